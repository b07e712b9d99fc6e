/*
 * swish.c — self-gated activations x * gate(x), as layers and functions:
 *   SiLU, silu           -> x * Sigmoid(x)
 *   Hardswish, hardswish -> HardSwish (opset 14+), else
 *                           x * HardSigmoid(x; alpha 1/6, beta 1/2)
 *   Mish, mish           -> Mish (opset 18+), else x * Tanh(Softplus(x))
 * inplace changes nothing in a graph.
 */
#include "emit.h"

enum gate { SILU, HARDSWISH, MISH };

static int gated(struct p2o_ctx *c, const struct p2o_args *a, enum gate k,
		 struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *g = NULL;
	const struct p2o_opset *ops = c->g->opset;
	struct p2o_node *n;

	if (!x)
		return -1;
	if ((k == HARDSWISH && ops->hardswish) || (k == MISH && ops->mish))
		return p2o_unary(c, k == MISH ? "Mish" : "HardSwish", x, out);
	switch (k) {
	case SILU:
		g = p2o_emit_unary(c, "Sigmoid", x);
		break;
	case HARDSWISH:
		if (!(n = p2o_emit(c, "HardSigmoid", &x, 1, 1)) ||
		    p2o_attr_float(c->g, n, "alpha", 1.0f / 6) || p2o_attr_float(c->g, n, "beta", 0.5f))
			return c->err->code ? -1 : p2o_fail(c, "out of memory");
		if (p2o_finish(c, n, NULL))
			return -1;
		g = n->outputs[0];
		break;
	case MISH:
		g = p2o_emit_unary(c, "Tanh", p2o_emit_unary(c, "Softplus", x));
		break;
	}
	return (x = p2o_emit_binary(c, "Mul", x, g)) ? p2o_result(c, x, out) : -1;
}

#define GATE(fn, kind) \
	static int fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
		      struct p2o_val **out) { (void)m; return gated(c, a, kind, out); }
GATE(call_silu, SILU)
GATE(call_hardswish, HARDSWISH)
GATE(call_mish, MISH)

const struct p2o_converter p2o_cv_silu_layer = {"SiLU", P2O_CONV_LAYER, "inplace=False", NULL, NULL, call_silu};
const struct p2o_converter p2o_cv_silu = {"silu", 0, "input, inplace=False", NULL, NULL, call_silu};
const struct p2o_converter p2o_cv_hardswish_layer = {"Hardswish", P2O_CONV_LAYER, "inplace=False", NULL, NULL, call_hardswish};
const struct p2o_converter p2o_cv_hardswish = {"hardswish", 0, "input, inplace=False", NULL, NULL, call_hardswish};
const struct p2o_converter p2o_cv_mish_layer = {"Mish", P2O_CONV_LAYER, "inplace=False", NULL, NULL, call_mish};
const struct p2o_converter p2o_cv_mish = {"mish", 0, "input, inplace=False", NULL, NULL, call_mish};
