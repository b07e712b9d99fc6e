/*
 * unary.c — elementwise math (torch.X, x.X()): abs sqrt exp log sin cos
 * tan asin acos atan sinh cosh floor ceil round sign erf reciprocal ->
 * the ONNX op of the same meaning; rsqrt, log2, log10, log1p, expm1,
 * square as two nodes; clamp/clip (numbers -> Clip, tensors -> Max/Min),
 * clamp_min, clamp_max.  Functions of floats cast int inputs to float32,
 * as PyTorch does.
 */
#include "fn_util.h"

#include <math.h>
#include <string.h>

enum { INT_OK = 1, INT_SAME = 2 }; /* valid on ints; the identity on ints */

static const struct {
	const char *name, *op;
	unsigned flags;
	const char *then; /* a second op, with the constant k for Add/Sub/Div */
	double k;
} OPS[] = {
	{"abs", "Abs", INT_OK, NULL, 0}, {"acos", "Acos", 0, NULL, 0},
	{"asin", "Asin", 0, NULL, 0}, {"atan", "Atan", 0, NULL, 0},
	{"ceil", "Ceil", INT_SAME, NULL, 0}, {"cos", "Cos", 0, NULL, 0},
	{"cosh", "Cosh", 0, NULL, 0}, {"erf", "Erf", 0, NULL, 0}, {"exp", "Exp", 0, NULL, 0},
	{"expm1", "Exp", 0, "Sub", 1}, {"floor", "Floor", INT_SAME, NULL, 0},
	{"log", "Log", 0, NULL, 0}, {"log10", "Log", 0, "Div", 2.302585092994045684},
	{"log1p", NULL, 0, "Add", 1}, {"log2", "Log", 0, "Div", 0.693147180559945309},
	{"reciprocal", "Reciprocal", 0, NULL, 0}, {"round", "Round", INT_SAME, NULL, 0},
	{"rsqrt", "Sqrt", 0, "Reciprocal", 0}, {"sign", "Sign", INT_OK, NULL, 0},
	{"sin", "Sin", 0, NULL, 0}, {"sinh", "Sinh", 0, NULL, 0}, {"sqrt", "Sqrt", 0, NULL, 0},
	{"square", NULL, INT_OK, "Mul", 0}, {"tan", "Tan", 0, NULL, 0},
};

static int unary(struct p2o_ctx *c, const struct p2o_args *a, size_t k, struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *y, *kv;
	int64_t decimals = 0;

	if (!x || (p2o_arg(a, "decimals") && p2o_arg_int(c, a, "decimals", &decimals)))
		return -1;
	if (decimals)
		return p2o_fail(c, "round with decimals is not supported");
	if (!p2o_is_float_dt(x->dtype) && (OPS[k].flags & INT_SAME))
		return p2o_result(c, x, out); /* floor/ceil/round of ints */
	if (!(OPS[k].flags & INT_OK) || x->dtype == P2O_DT_BOOL)
		x = p2o_cast(c, x, P2O_DT_FLOAT32);
	if (!x || !(y = OPS[k].op ? p2o_emit_unary(c, OPS[k].op, x) : x))
		return -1;
	if (OPS[k].then && !strcmp(OPS[k].then, "Reciprocal"))
		y = p2o_emit_unary(c, "Reciprocal", y);
	else if (OPS[k].then && !strcmp(OPS[k].then, "Mul"))
		y = p2o_emit_binary(c, "Mul", y, y);
	else if (OPS[k].then) {
		if (!(kv = p2o_emit_scalar(c, "k", y->dtype, OPS[k].k)))
			return -1;
		y = p2o_emit_binary(c, OPS[k].then, y, kv);
		if (y && !OPS[k].op) /* log1p: log(x + 1) */
			y = p2o_emit_unary(c, "Log", y);
	}
	return y ? p2o_result(c, y, out) : -1;
}

/* clamp(input, min, max): numbers -> Clip; tensor bounds -> Max / Min. */
static int clamp(struct p2o_ctx *c, const struct p2o_args *a, const char *lo_name,
		 const char *hi_name, struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *y;
	struct p2o_val *lo = lo_name ? p2o_arg(a, lo_name) : NULL;
	struct p2o_val *hi = hi_name ? p2o_arg(a, hi_name) : NULL;
	int has_lo = lo && lo->kind != V_NONE, has_hi = hi && hi->kind != V_NONE;
	double l = 0, h = 0;

	if (!x)
		return -1;
	if (!has_lo && !has_hi)
		return p2o_fail(c, "clamp needs min or max");
	if ((has_lo && lo->kind == V_TENSOR) || (has_hi && hi->kind == V_TENSOR)) {
		enum p2o_dtype t = p2o_common_dt(p2o_arg(a, "input"), has_lo ? lo : hi);
		struct p2o_value *b;
		y = p2o_cast(c, x, t);
		if (y && has_lo && (b = p2o_operand(c, lo, t, lo_name)))
			y = p2o_emit_binary(c, "Max", y, b);
		if (y && has_hi && (b = p2o_operand(c, hi, t, hi_name)))
			y = p2o_emit_binary(c, "Min", y, b);
		return y && !c->err->code ? p2o_result(c, y, out) : -1;
	}
	if ((has_lo && p2o_val_float(lo, &l)) || (has_hi && p2o_val_float(hi, &h)))
		return p2o_fail(c, "clamp bounds must be numbers or tensors");
	if (!p2o_is_float_dt(x->dtype) && ((has_lo && l != floor(l)) || (has_hi && h != floor(h))))
		x = p2o_cast(c, x, P2O_DT_FLOAT32);
	if (x && x->dtype != P2O_DT_FLOAT32 && x->dtype != P2O_DT_INT64)
		x = p2o_cast(c, x, P2O_DT_FLOAT32);
	if (!x || !(y = p2o_emit_clip(c, x, has_lo, l, has_hi, h)))
		return -1;
	return p2o_result(c, y, out);
}

static int call_clamp(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	(void)m;
	return clamp(c, a, "min", "max", out);
}

static int call_clamp_min(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	(void)m;
	return clamp(c, a, "min", NULL, out);
}

static int call_clamp_max(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	(void)m;
	return clamp(c, a, NULL, "max", out);
}

#define UNARY(name, k, sig) \
	static int call_##name(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
			       struct p2o_val **out) { (void)m; return unary(c, a, k, out); } \
	const struct p2o_converter p2o_cv_##name = {#name, 0, sig, NULL, NULL, call_##name};
UNARY(abs, 0, "input")
UNARY(acos, 1, "input")
UNARY(asin, 2, "input")
UNARY(atan, 3, "input")
UNARY(ceil, 4, "input")
UNARY(cos, 5, "input")
UNARY(cosh, 6, "input")
UNARY(erf, 7, "input")
UNARY(exp, 8, "input")
UNARY(expm1, 9, "input")
UNARY(floor, 10, "input")
UNARY(log, 11, "input")
UNARY(log10, 12, "input")
UNARY(log1p, 13, "input")
UNARY(log2, 14, "input")
UNARY(reciprocal, 15, "input")
UNARY(round, 16, "input, decimals=0")
UNARY(rsqrt, 17, "input")
UNARY(sign, 18, "input")
UNARY(sin, 19, "input")
UNARY(sinh, 20, "input")
UNARY(sqrt, 21, "input")
UNARY(square, 22, "input")
UNARY(tan, 23, "input")
const struct p2o_converter p2o_cv_clamp = {"clamp", 0, "input, min=None, max=None", NULL, NULL, call_clamp};
const struct p2o_converter p2o_cv_clip = {"clip", 0, "input, min=None, max=None", NULL, NULL, call_clamp};
const struct p2o_converter p2o_cv_clamp_min = {"clamp_min", 0, "input, min", NULL, NULL, call_clamp_min};
const struct p2o_converter p2o_cv_clamp_max = {"clamp_max", 0, "input, max", NULL, NULL, call_clamp_max};
