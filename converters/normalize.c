/*
 * normalize.c — F.normalize(input, p=2.0, dim=1, eps=1e-12): input divided
 * by its p-norm over dim, clamped below at eps, as PyTorch computes it
 * (x / x.norm(p, dim, keepdim=True).clamp_min(eps)).  p=2 -> ReduceL2, p=1
 * -> ReduceL1, p=inf -> ReduceMax(Abs), any other p > 0 -> Pow(ReduceSum(
 * Pow(Abs(x), p)), 1/p); then Clip(min=eps) and Div.
 */
#include "fn_util.h"

#include <math.h>

static int call_normalize(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *norm;
	double p, eps;
	int64_t dim, axis;

	(void)m;
	if (!x || p2o_arg_float(c, a, "p", &p) || p2o_arg_int(c, a, "dim", &dim) ||
	    p2o_arg_float(c, a, "eps", &eps))
		return -1;
	if (!p2o_arg_is_none(a, "out"))
		return p2o_fail(c, "normalize: out= is not supported");
	if (!(p > 0))
		return p2o_fail(c, "normalize supports p > 0 (2, 1, inf, ...), not p=%g", p);
	if (p2o_axis(c, dim, x->rank, &axis) || !(x = p2o_cast(c, x, P2O_DT_FLOAT32)))
		return -1;
	if (p == 2 || p == 1) {
		norm = p2o_emit_reduce(c, p == 2 ? "ReduceL2" : "ReduceL1", x, &axis, 1, 1);
	} else if (!(norm = p2o_emit_unary(c, "Abs", x))) {
		return -1;
	} else if (isinf(p)) {
		norm = p2o_emit_reduce(c, "ReduceMax", norm, &axis, 1, 1);
	} else if ((norm = p2o_emit_binary_k(c, "Pow", norm, p))) {
		norm = p2o_emit_reduce(c, "ReduceSum", norm, &axis, 1, 1);
		norm = p2o_emit_binary_k(c, "Pow", norm, 1.0 / p);
	}
	if (!norm || !(norm = p2o_emit_clip(c, norm, 1, eps, 0, 0)) ||
	    !(x = p2o_emit_binary(c, "Div", x, norm)))
		return -1;
	return p2o_result(c, x, out);
}

const struct p2o_converter p2o_cv_normalize = {
	"normalize", 0, "input, p=2.0, dim=1, eps=1e-12, out=None", NULL, NULL, call_normalize};
