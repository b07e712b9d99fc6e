/*
 * activations.c — elementwise activations that are one ONNX op, as layers
 * and functions (torch.nn.X, F.x / torch.x / x.x()).  inplace changes
 * nothing in a graph.
 *   ReLU6, relu6                -> Clip(0, 6)
 *   Hardtanh, hardtanh          -> Clip(min_val, max_val) (min_value and
 *                                  max_value, deprecated, override them)
 *   LeakyReLU, leaky_relu       -> LeakyRelu(alpha = negative_slope)
 *   ELU, elu / CELU, celu       -> Elu / Celu (alpha)
 *   SELU, selu                  -> Selu (PyTorch's constants are ONNX's
 *                                  defaults)
 *   Sigmoid, Tanh, Softsign     -> Sigmoid, Tanh, Softsign
 *   Hardsigmoid, hardsigmoid    -> HardSigmoid(alpha 1/6, beta 1/2):
 *                                  PyTorch's relu6(x + 3) / 6
 *   Threshold, threshold        -> Where(x > threshold, x, value)
 */
#include "emit.h"

enum act { RELU6, HARDTANH, LEAKY, ELU, CELU, SELU, SIGMOID, TANH, SOFTSIGN, HARDSIGMOID,
	   THRESHOLD };

/* op(x) with one float attribute (name NULL: none). */
static int op_attr(struct p2o_ctx *c, const char *op, struct p2o_value *x, const char *name,
		   double v, struct p2o_val **out)
{
	struct p2o_node *n = p2o_emit(c, op, &x, 1, 1);

	if (!n || (name && p2o_attr_float(c->g, n, name, (float)v)))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

static int hardtanh(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value *x,
		    struct p2o_val **out)
{
	double lo, hi;

	if (p2o_arg_float(c, a, p2o_arg_is_none(a, "min_value") ? "min_val" : "min_value", &lo) ||
	    p2o_arg_float(c, a, p2o_arg_is_none(a, "max_value") ? "max_val" : "max_value", &hi))
		return -1;
	if (lo > hi)
		return p2o_fail(c, "hardtanh: min_val %g is greater than max_val %g", lo, hi);
	return (x = p2o_emit_clip(c, x, 1, lo, 1, hi)) ? p2o_result(c, x, out) : -1;
}

static int threshold(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value *x,
		     struct p2o_val **out)
{
	double th, value;
	struct p2o_value *ins[3];

	if (p2o_arg_float(c, a, "threshold", &th) || p2o_arg_float(c, a, "value", &value))
		return -1;
	ins[0] = p2o_emit_binary_k(c, "Greater", x, th);
	ins[1] = x;
	ins[2] = p2o_emit_scalar(c, "value", x->dtype, value);
	struct p2o_node *n;

	if (!ins[0] || !ins[2] || !(n = p2o_emit(c, "Where", ins, 3, 1)))
		return -1;
	return p2o_finish(c, n, out);
}

static int act(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
	       enum act k, struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	double v = 0;

	if (!x)
		return -1;
	switch (k) {
	case RELU6:
		return (x = p2o_emit_clip(c, x, 1, 0, 1, 6)) ? p2o_result(c, x, out) : -1;
	case HARDTANH:
		return hardtanh(c, &a, x, out);
	case LEAKY:
		return p2o_arg_float(c, &a, "negative_slope", &v) ? -1 :
		       op_attr(c, "LeakyRelu", x, "alpha", v, out);
	case ELU:
	case CELU:
		if (p2o_arg_float(c, &a, "alpha", &v))
			return -1;
		if (k == CELU && v == 0)
			return p2o_fail(c, "celu: alpha must not be 0");
		return op_attr(c, k == ELU ? "Elu" : "Celu", x, "alpha", v, out);
	case SELU:
		return op_attr(c, "Selu", x, NULL, 0, out);
	case SIGMOID:
		return op_attr(c, "Sigmoid", x, NULL, 0, out);
	case TANH:
		return op_attr(c, "Tanh", x, NULL, 0, out);
	case SOFTSIGN:
		return op_attr(c, "Softsign", x, NULL, 0, out);
	case HARDSIGMOID: {
		struct p2o_node *n = p2o_emit(c, "HardSigmoid", &x, 1, 1);
		if (!n || p2o_attr_float(c->g, n, "alpha", 1.0f / 6) ||
		    p2o_attr_float(c->g, n, "beta", 0.5f))
			return c->err->code ? -1 : p2o_fail(c, "out of memory");
		return p2o_finish(c, n, out);
	}
	case THRESHOLD:
		return threshold(c, &a, x, out);
	}
	return p2o_fail(c, "internal error: unknown activation");
}

#define ACT(fn, kind) \
	static int fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
		      struct p2o_val **out) { return act(c, m, a, kind, out); }
ACT(call_relu6, RELU6)
ACT(call_hardtanh, HARDTANH)
ACT(call_leaky, LEAKY)
ACT(call_elu, ELU)
ACT(call_celu, CELU)
ACT(call_selu, SELU)
ACT(call_sigmoid, SIGMOID)
ACT(call_tanh, TANH)
ACT(call_softsign, SOFTSIGN)
ACT(call_hardsigmoid, HARDSIGMOID)
ACT(call_threshold, THRESHOLD)

#define L P2O_CONV_LAYER
#define HT_SIG "min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None"
const struct p2o_converter p2o_cv_relu6_layer = {"ReLU6", L, "inplace=False", NULL, NULL, call_relu6};
const struct p2o_converter p2o_cv_relu6 = {"relu6", 0, "input, inplace=False", NULL, NULL, call_relu6};
const struct p2o_converter p2o_cv_hardtanh_layer = {"Hardtanh", L, HT_SIG, NULL, NULL, call_hardtanh};
const struct p2o_converter p2o_cv_hardtanh = {"hardtanh", 0, "input, min_val=-1.0, max_val=1.0, inplace=False", NULL, NULL, call_hardtanh};
const struct p2o_converter p2o_cv_leaky_relu_layer = {"LeakyReLU", L, "negative_slope=0.01, inplace=False", NULL, NULL, call_leaky};
const struct p2o_converter p2o_cv_leaky_relu = {"leaky_relu", 0, "input, negative_slope=0.01, inplace=False", NULL, NULL, call_leaky};
const struct p2o_converter p2o_cv_elu_layer = {"ELU", L, "alpha=1.0, inplace=False", NULL, NULL, call_elu};
const struct p2o_converter p2o_cv_elu = {"elu", 0, "input, alpha=1.0, inplace=False", NULL, NULL, call_elu};
const struct p2o_converter p2o_cv_celu_layer = {"CELU", L, "alpha=1.0, inplace=False", NULL, NULL, call_celu};
const struct p2o_converter p2o_cv_celu = {"celu", 0, "input, alpha=1.0, inplace=False", NULL, NULL, call_celu};
const struct p2o_converter p2o_cv_selu_layer = {"SELU", L, "inplace=False", NULL, NULL, call_selu};
const struct p2o_converter p2o_cv_selu = {"selu", 0, "input, inplace=False", NULL, NULL, call_selu};
const struct p2o_converter p2o_cv_sigmoid_layer = {"Sigmoid", L, "", NULL, NULL, call_sigmoid};
const struct p2o_converter p2o_cv_sigmoid = {"sigmoid", 0, "input", NULL, NULL, call_sigmoid};
const struct p2o_converter p2o_cv_tanh_layer = {"Tanh", L, "", NULL, NULL, call_tanh};
const struct p2o_converter p2o_cv_tanh = {"tanh", 0, "input", NULL, NULL, call_tanh};
const struct p2o_converter p2o_cv_softsign_layer = {"Softsign", L, "", NULL, NULL, call_softsign};
const struct p2o_converter p2o_cv_softsign = {"softsign", 0, "input", NULL, NULL, call_softsign};
const struct p2o_converter p2o_cv_hardsigmoid_layer = {"Hardsigmoid", L, "inplace=False", NULL, NULL, call_hardsigmoid};
const struct p2o_converter p2o_cv_hardsigmoid = {"hardsigmoid", 0, "input, inplace=False", NULL, NULL, call_hardsigmoid};
const struct p2o_converter p2o_cv_threshold_layer = {"Threshold", L, "threshold, value, inplace=False", NULL, NULL, call_threshold};
const struct p2o_converter p2o_cv_threshold = {"threshold", 0, "input, threshold, value, inplace=False", NULL, NULL, call_threshold};
