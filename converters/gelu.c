/*
 * gelu.c — GELU (layer) and gelu (F.gelu), approximate='none' or 'tanh'.
 * Opsets with Gelu (20+): one Gelu node.  Below, the formulas PyTorch
 * computes:
 *   none: 0.5 * x * (1 + erf(x / sqrt(2)))
 *   tanh: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
 */
#include "emit.h"

#include <math.h>
#include <string.h>

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input"), *t;
	struct p2o_val *mode = p2o_arg(&a, "approximate");
	int use_tanh;

	if (!x)
		return -1;
	if (!mode || mode->kind != V_STR || (strcmp(mode->u.s, "none") && strcmp(mode->u.s, "tanh")))
		return p2o_fail(c, "gelu: approximate must be 'none' or 'tanh'");
	use_tanh = !strcmp(mode->u.s, "tanh");
	if (c->g->opset->gelu) {
		struct p2o_node *n = p2o_emit(c, "Gelu", &x, 1, 1);
		if (!n || (use_tanh && p2o_attr_string(c->g, n, "approximate", "tanh")))
			return c->err->code ? -1 : p2o_fail(c, "out of memory");
		return p2o_finish(c, n, out);
	}
	if (use_tanh) {
		/* x + 0.044715 x^3, scaled by sqrt(2/pi), through tanh */
		t = p2o_emit_binary(c, "Mul", x, p2o_emit_binary(c, "Mul", x, x));
		t = p2o_emit_binary(c, "Add", x, p2o_emit_binary_k(c, "Mul", t, 0.044715));
		t = p2o_emit_unary(c, "Tanh", p2o_emit_binary_k(c, "Mul", t, sqrt(2 / M_PI)));
	} else {
		t = p2o_emit_unary(c, "Erf", p2o_emit_binary_k(c, "Mul", x, M_SQRT1_2));
	}
	t = p2o_emit_binary(c, "Mul", x, p2o_emit_binary_k(c, "Add", t, 1.0));
	t = p2o_emit_binary_k(c, "Mul", t, 0.5);
	return t ? p2o_result(c, t, out) : -1;
}

const struct p2o_converter p2o_cv_gelu_layer = {"GELU", P2O_CONV_LAYER, "approximate='none'", NULL, NULL, call};
const struct p2o_converter p2o_cv_gelu = {"gelu", 0, "input, approximate='none'", NULL, NULL, call};
