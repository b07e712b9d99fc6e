/*
 * softplus.c — Softplus (layer) and softplus (F.softplus), beta and
 * threshold as PyTorch computes them:
 *   y = x                      where beta * x > threshold
 *       log(1 + exp(beta x)) / beta  elsewhere
 * -> Where(Greater(beta x, threshold), x, Softplus(beta x) / beta).  The
 * Where is kept at the defaults too: ONNX's Softplus is log(exp(x) + 1),
 * which overflows to inf for x > 88 in a runtime that computes it as
 * written, while PyTorch gives x.
 */
#include "emit.h"

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input"), *ins[3], *bx;
	double beta, th;
	struct p2o_node *n;

	if (!x || p2o_arg_float(c, &a, "beta", &beta) || p2o_arg_float(c, &a, "threshold", &th))
		return -1;
	if (beta == 0)
		return p2o_fail(c, "softplus: beta must not be 0");
	bx = beta == 1 ? x : p2o_emit_binary_k(c, "Mul", x, beta);
	ins[0] = p2o_emit_binary_k(c, "Greater", bx, th);
	ins[1] = x;
	ins[2] = p2o_emit_unary(c, "Softplus", bx);
	if (beta != 1)
		ins[2] = p2o_emit_binary_k(c, "Div", ins[2], beta);
	if (!ins[0] || !ins[2] || !(n = p2o_emit(c, "Where", ins, 3, 1)))
		return -1;
	return p2o_finish(c, n, out);
}

const struct p2o_converter p2o_cv_softplus_layer = {"Softplus", P2O_CONV_LAYER, "beta=1, threshold=20", NULL, NULL, call};
const struct p2o_converter p2o_cv_softplus = {"softplus", 0, "input, beta=1, threshold=20", NULL, NULL, call};
