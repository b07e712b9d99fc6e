/*
 * compare.c — comparisons and logic: eq ne lt le gt ge (and the operators
 * == != < <= > >= on tensors) -> Equal, Not(Equal), Less, LessOrEqual,
 * Greater, GreaterOrEqual; logical_and/or/xor/not -> And/Or/Xor/Not on
 * bool (other types are cast: nonzero is True); & | ^ ~ on bool tensors
 * (bitwise_*) -> the same; where(cond, a, b) -> Where.  Operands may be
 * numbers; mixed types compare as float32 (as PyTorch promotes them).
 */
#include "fn_util.h"

static const struct {
	const char *name, *op;
	int negate;
} CMP[] = {
	{"eq", "Equal", 0}, {"ne", "Equal", 1}, {"lt", "Less", 0},
	{"le", "LessOrEqual", 0}, {"gt", "Greater", 0}, {"ge", "GreaterOrEqual", 0},
};

static int compare(struct p2o_ctx *c, const struct p2o_args *a, size_t k, struct p2o_val **out)
{
	struct p2o_val *l = p2o_arg(a, "input"), *r = p2o_arg(a, "other");
	struct p2o_value *ins[2], *y;
	enum p2o_dtype t;

	if (l->kind != V_TENSOR && r->kind != V_TENSOR)
		return p2o_fail(c, "%s needs a tensor", CMP[k].name);
	t = p2o_common_dt(l, r);
	if (t == P2O_DT_BOOL && k >= 2) /* ordering bools: as ints */
		t = P2O_DT_INT64;
	if (!(ins[0] = p2o_operand(c, l, t, "input")) || !(ins[1] = p2o_operand(c, r, t, "other")) ||
	    !(y = p2o_emit_binary(c, CMP[k].op, ins[0], ins[1])) ||
	    (CMP[k].negate && !(y = p2o_emit_unary(c, "Not", y))))
		return -1;
	return p2o_result(c, y, out);
}

static struct p2o_value *as_bool(struct p2o_ctx *c, const struct p2o_args *a, const char *name)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, name);
	return x ? p2o_cast(c, x, P2O_DT_BOOL) : NULL;
}

static int logic(struct p2o_ctx *c, const struct p2o_args *a, const char *op, int bitwise,
		 struct p2o_val **out)
{
	struct p2o_value *x = as_bool(c, a, "input"), *y = NULL, *r;
	struct p2o_val *other = p2o_arg(a, "other");

	if (!x)
		return -1;
	if (bitwise && (p2o_arg(a, "input")->u.t->dtype != P2O_DT_BOOL ||
			(other && other->kind == V_TENSOR && other->u.t->dtype != P2O_DT_BOOL)))
		return p2o_fail(c, "& | ^ ~ are supported on bool tensors only");
	if (other && !(y = other->kind == V_TENSOR ? as_bool(c, a, "other")
						    : p2o_operand(c, other, P2O_DT_BOOL, "other")))
		return -1;
	r = y ? p2o_emit_binary(c, op, x, y) : p2o_emit_unary(c, op, x);
	return r ? p2o_result(c, r, out) : -1;
}

#define LOGIC(fn, op, bitwise) \
	static int fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
		      struct p2o_val **out) { (void)m; return logic(c, a, op, bitwise, out); }
LOGIC(call_and, "And", 0)
LOGIC(call_or, "Or", 0)
LOGIC(call_xor, "Xor", 0)
LOGIC(call_not, "Not", 0)
LOGIC(call_band, "And", 1)
LOGIC(call_bor, "Or", 1)
LOGIC(call_bxor, "Xor", 1)
LOGIC(call_bnot, "Not", 1)

static int call_where(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	struct p2o_val *x = p2o_arg(a, "input"), *y = p2o_arg(a, "other");
	struct p2o_value *ins[3];
	enum p2o_dtype t = p2o_common_dt(x, y);
	struct p2o_node *n;

	(void)m;
	if (p2o_arg_is_none(a, "input") || p2o_arg_is_none(a, "other"))
		return p2o_fail(c, "where(condition) without values is not supported "
				"(its size depends on the data)");
	if (!(ins[0] = as_bool(c, a, "condition")) || !(ins[1] = p2o_operand(c, x, t, "input")) ||
	    !(ins[2] = p2o_operand(c, y, t, "other")) || !(n = p2o_emit(c, "Where", ins, 3, 1)))
		return -1;
	return p2o_finish(c, n, out);
}

#define CMP_CV(name, k) \
	static int call_##name(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
			       struct p2o_val **out) { (void)m; return compare(c, a, k, out); } \
	const struct p2o_converter p2o_cv_##name = {#name, 0, "input, other", NULL, NULL, call_##name};
CMP_CV(eq, 0)
CMP_CV(ne, 1)
CMP_CV(lt, 2)
CMP_CV(le, 3)
CMP_CV(gt, 4)
CMP_CV(ge, 5)
const struct p2o_converter p2o_cv_logical_and = {"logical_and", 0, "input, other", NULL, NULL, call_and};
const struct p2o_converter p2o_cv_logical_or = {"logical_or", 0, "input, other", NULL, NULL, call_or};
const struct p2o_converter p2o_cv_logical_xor = {"logical_xor", 0, "input, other", NULL, NULL, call_xor};
const struct p2o_converter p2o_cv_logical_not = {"logical_not", 0, "input", NULL, NULL, call_not};
const struct p2o_converter p2o_cv_bitwise_and = {"bitwise_and", 0, "input, other", NULL, NULL, call_band};
const struct p2o_converter p2o_cv_bitwise_or = {"bitwise_or", 0, "input, other", NULL, NULL, call_bor};
const struct p2o_converter p2o_cv_bitwise_xor = {"bitwise_xor", 0, "input, other", NULL, NULL, call_bxor};
const struct p2o_converter p2o_cv_bitwise_not = {"bitwise_not", 0, "input", NULL, NULL, call_bnot};
const struct p2o_converter p2o_cv_where = {"where", 0, "condition, input=None, other=None", NULL, NULL, call_where};
