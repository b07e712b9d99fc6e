/*
 * lrn.c — LocalResponseNorm (layer) and local_response_norm (F.) on
 * [N, C, spatial...]: x / (k + alpha / size * sum of squares)^beta over
 * `size` neighbouring channels.
 * Odd size -> LRN (same window as PyTorch; other ranks than 4 are reshaped
 * to [N, C, -1, 1] and back, as ONNX Runtime's LRN takes only 4-D).
 * Even size: the windows differ (PyTorch sums [c - size/2, c + size/2 - 1],
 * ONNX [c - size/2 + 1, c + size/2]) and ONNX Runtime rejects even sizes,
 * so it is PyTorch's own formula: x*x unsqueezed/reshaped to [N, 1, C, -1],
 * AveragePool over (size, 1) with pads size/2 before and size/2 - 1 after
 * (zeros counted), reshaped back, * alpha + k, ^ beta, x / that.
 */
#include "emit.h"

static int lrn(struct p2o_ctx *c, struct p2o_value *x, int64_t size, double alpha,
	       double beta, double k, struct p2o_val **out)
{
	static const int64_t FLAT[4] = {0, 0, -1, 1};
	struct p2o_value *y = x->rank == 4 ? x : p2o_emit_reshape(c, x, FLAT, 4);
	struct p2o_node *n;

	if (!y || !(n = p2o_emit(c, "LRN", &y, 1, 1)))
		return -1;
	if (p2o_attr_int(c->g, n, "size", size) || p2o_attr_float(c->g, n, "alpha", (float)alpha) ||
	    p2o_attr_float(c->g, n, "beta", (float)beta) || p2o_attr_float(c->g, n, "bias", (float)k))
		return p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, NULL))
		return -1;
	y = x->rank == 4 ? n->outputs[0] : p2o_emit_reshape_like(c, n->outputs[0], x);
	return y ? p2o_result(c, y, out) : -1;
}

static int even(struct p2o_ctx *c, struct p2o_value *x, int64_t size, double alpha,
		double beta, double k, struct p2o_val **out)
{
	static const int64_t COLS[4] = {0, 1, 0, -1}, AXIS1 = 1;
	int64_t kernel[2] = {size, 1}, pads[4] = {size / 2, 0, (size - 1) / 2, 0};
	struct p2o_value *sq = p2o_emit_binary(c, "Mul", x, x), *y;
	struct p2o_node *n;

	/* [N, C, ...] -> [N, 1, C, ...] -> [N, 1, C, rest] */
	if (sq && !(sq = p2o_emit_unsqueeze(c, sq, &AXIS1, 1)))
		return -1;
	if (sq && x->rank != 3 && !(sq = p2o_emit_reshape(c, sq, COLS, 4)))
		return -1;
	if (!sq || !(n = p2o_emit(c, "AveragePool", &sq, 1, 1)))
		return -1;
	if (p2o_attr_ints(c->g, n, "kernel_shape", kernel, 2) ||
	    p2o_attr_ints(c->g, n, "pads", pads, 4) || p2o_attr_int(c->g, n, "count_include_pad", 1))
		return p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, NULL))
		return -1;
	y = p2o_emit_binary_k(c, "Mul", p2o_emit_reshape_like(c, n->outputs[0], x), alpha);
	y = p2o_emit_binary_k(c, "Pow", p2o_emit_binary_k(c, "Add", y, k), beta);
	y = p2o_emit_binary(c, "Div", x, y);
	return y ? p2o_result(c, y, out) : -1;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	int64_t size;
	double alpha, beta, k;

	if (!x || p2o_arg_int(c, &a, "size", &size) || p2o_arg_float(c, &a, "alpha", &alpha) ||
	    p2o_arg_float(c, &a, "beta", &beta) || p2o_arg_float(c, &a, "k", &k))
		return -1;
	if (x->rank < 3)
		return p2o_fail(c, "local_response_norm expects [batch, channels, spatial...], got "
				"a %d-D input", x->rank);
	if (size < 1)
		return p2o_fail(c, "local_response_norm: size must be at least 1, got %lld",
				(long long)size);
	return size % 2 ? lrn(c, x, size, alpha, beta, k, out) : even(c, x, size, alpha, beta, k, out);
}

const struct p2o_converter p2o_cv_local_response_norm_layer = {"LocalResponseNorm", P2O_CONV_LAYER,
	"size, alpha=0.0001, beta=0.75, k=1.0", NULL, NULL, call};
const struct p2o_converter p2o_cv_local_response_norm = {"local_response_norm", 0,
	"input, size, alpha=0.0001, beta=0.75, k=1.0", NULL, NULL, call};
