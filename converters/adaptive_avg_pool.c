/*
 * adaptive_avg_pool.c — AdaptiveAvgPool1d/2d/3d, adaptive_avg_pool2d.
 * Output size 1 -> GlobalAveragePool.  Otherwise, when the input size is
 * known and a multiple of the output size, an AveragePool with
 * kernel = stride = input / output gives the same windows.  Other cases
 * (overlapping windows) are not supported yet.
 */
#include "converter.h"

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	struct p2o_val *os = p2o_arg(&a, "output_size");
	int64_t size[3], k[3], pads[6] = {0};
	int sp, global = 1;
	struct p2o_node *n;

	if (!x)
		return -1;
	sp = x->rank - 2;
	if (sp < 1 || sp > 3)
		return p2o_fail(c, "adaptive pooling expects [batch, channels, spatial...]");
	for (int d = 0; d < sp; d++) {
		struct p2o_val *v = os->kind == V_TUPLE || os->kind == V_LIST ?
					    (os->u.seq.n == (size_t)sp ? os->u.seq.items[d] : NULL) : os;
		if (!v)
			return p2o_fail(c, "output_size must have %d values", sp);
		if (v->kind == V_NONE)
			size[d] = x->dims[2 + d].v; /* None keeps the input size */
		else if (p2o_val_int(v, &size[d]))
			return p2o_fail(c, "output_size must be ints");
		global &= size[d] == 1;
	}
	if (global)
		return p2o_unary(c, "GlobalAveragePool", x, out);
	for (int d = 0; d < sp; d++) {
		int64_t in = x->dims[2 + d].v;
		if (in < 0 || size[d] <= 0 || in % size[d])
			return p2o_fail(c, "adaptive average pooling from size %lld to %lld is not "
					"supported yet (needs a known input size that is a multiple)",
					(long long)in, (long long)size[d]);
		k[d] = in / size[d];
	}
	if (!(n = p2o_emit(c, "AveragePool", &x, 1, 1)) ||
	    p2o_attr_ints(c->g, n, "kernel_shape", k, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "strides", k, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "pads", pads, 2 * (size_t)sp))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

const struct p2o_converter p2o_cv_adaptive_avg_pool1d_layer = {"AdaptiveAvgPool1d", P2O_CONV_LAYER, "output_size", NULL, NULL, call};
const struct p2o_converter p2o_cv_adaptive_avg_pool2d_layer = {"AdaptiveAvgPool2d", P2O_CONV_LAYER, "output_size", NULL, NULL, call};
const struct p2o_converter p2o_cv_adaptive_avg_pool3d_layer = {"AdaptiveAvgPool3d", P2O_CONV_LAYER, "output_size", NULL, NULL, call};
const struct p2o_converter p2o_cv_adaptive_avg_pool2d = {"adaptive_avg_pool2d", 0, "input, output_size", NULL, NULL, call};
