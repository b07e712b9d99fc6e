/*
 * divmod.c — a // b and a % b on tensors (floor_divide, remainder, with
 * Python's floor semantics as in PyTorch 1.13) and fmod (C's truncated
 * remainder).  Ints: Mod (fmod=0 takes the divisor's sign) and an exact
 * (a - a mod b) / b; floats: Floor(a / b) and a - b * Floor(a / b), or
 * Mod with fmod=1.
 */
#include "fn_util.h"

static struct p2o_value *mod(struct p2o_ctx *c, struct p2o_value *a, struct p2o_value *b,
			     int fmod)
{
	struct p2o_value *ins[2] = {a, b};
	struct p2o_node *n = p2o_emit(c, "Mod", ins, 2, 1);

	if (!n || p2o_attr_int(c->g, n, "fmod", fmod) || p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return n->outputs[0];
}

/* what: 'd' floor_divide, 'r' remainder, 'f' fmod */
static int divmod(struct p2o_ctx *c, const struct p2o_args *a, char what, struct p2o_val **out)
{
	struct p2o_val *l = p2o_arg(a, "input"), *r = p2o_arg(a, "other");
	enum p2o_dtype t = p2o_common_dt(l, r);
	struct p2o_value *x, *y, *q;

	if (l->kind != V_TENSOR && r->kind != V_TENSOR)
		return p2o_fail(c, "a tensor is expected");
	if (t == P2O_DT_BOOL)
		t = P2O_DT_INT64;
	if (!(x = p2o_operand(c, l, t, "input")) || !(y = p2o_operand(c, r, t, "other")))
		return -1;
	if (what == 'f') {
		q = mod(c, x, y, 1);
	} else if (!p2o_is_float_dt(t)) {
		q = mod(c, x, y, 0);
		if (q && what == 'd' && (q = p2o_emit_binary(c, "Sub", x, q)))
			q = p2o_emit_binary(c, "Div", q, y);
	} else {
		q = p2o_emit_binary(c, "Div", x, y);
		q = q ? p2o_emit_unary(c, "Floor", q) : NULL;
		if (q && what == 'r' && (q = p2o_emit_binary(c, "Mul", y, q)))
			q = p2o_emit_binary(c, "Sub", x, q);
	}
	return q ? p2o_result(c, q, out) : -1;
}

static int call_floor_divide(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			     struct p2o_val **out)
{
	(void)m;
	return divmod(c, a, 'd', out);
}

static int call_remainder(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	(void)m;
	return divmod(c, a, 'r', out);
}

static int call_fmod(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	(void)m;
	return divmod(c, a, 'f', out);
}

const struct p2o_converter p2o_cv_floor_divide = {"floor_divide", 0, "input, other", NULL, NULL, call_floor_divide};
const struct p2o_converter p2o_cv_remainder = {"remainder", 0, "input, other", NULL, NULL, call_remainder};
const struct p2o_converter p2o_cv_fmod = {"fmod", 0, "input, other", NULL, NULL, call_fmod};
