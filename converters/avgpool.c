/*
 * avgpool.c — AvgPool1d/2d/3d and avg_pool1d/2d/3d -> AveragePool.
 * stride defaults to kernel_size; padding, ceil_mode and count_include_pad
 * map to the ONNX attributes (ceil_mode only when it changes the output:
 * see p2o_pool_ceil_mode; ONNX Runtime divides a window that overhangs
 * the padded input by its overlap with it, as PyTorch does).
 * divisor_override=d: sum / d = AveragePool(count_include_pad=1) * k / d,
 * exact when no window overhangs the padded input (always without
 * ceil_mode; with ceil_mode the input size must be known and fit).
 */
#include "fn_util.h"

#include <string.h>

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	const char *name = m ? m->type : strrchr(c->name, '.') ? strrchr(c->name, '.') + 1 : c->name;
	int sp = name[strlen(name) - 2] - '0'; /* "AvgPool2d", "avg_pool2d" */
	int64_t k[3], s[3], p[6], ceil_mode = 0, cip = 1, div = 0, kprod = 1;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input"), *y, *f;
	struct p2o_node *n;
	int rc;

	if (!x)
		return -1;
	if (x->rank != sp + 2)
		return p2o_fail(c, "%s expects [batch, channels, %d spatial dims], got %d-D", name,
				sp, x->rank);
	if ((rc = p2o_pool_whole(c, &a, x, sp, "GlobalAveragePool", out)))
		return rc < 0 ? -1 : 0;
	if (p2o_arg_ints(c, &a, "kernel_size", sp, k) ||
	    p2o_arg_ints(c, &a, p2o_arg_is_none(&a, "stride") ? "kernel_size" : "stride", sp, s) ||
	    p2o_arg_ints(c, &a, "padding", sp, p) ||
	    p2o_val_int(p2o_arg(&a, "ceil_mode"), &ceil_mode) ||
	    p2o_val_int(p2o_arg(&a, "count_include_pad"), &cip))
		return p2o_fail(c, "%s: kernel_size, stride and padding must be ints or tuples of %d "
				"ints; ceil_mode and count_include_pad True or False", name, sp);
	if (!p2o_arg_is_none(&a, "divisor_override") &&
	    (p2o_val_int(p2o_arg(&a, "divisor_override"), &div) || div <= 0))
		return p2o_fail(c, "divisor_override must be None or a positive int");
	for (int d = 0; d < sp; d++) {
		if (k[d] <= 0 || s[d] <= 0 || p[d] < 0 || 2 * p[d] > k[d])
			return p2o_fail(c, "%s: kernel and stride must be positive and padding at most "
					"half the kernel", name);
		kprod *= k[d];
		if (div && ceil_mode) {
			int64_t in = x->dims[2 + d].v, span = in + 2 * p[d] - k[d];
			int64_t o = (span + s[d] - 1) / s[d] + 1;
			if (in >= 0 && (o - 1) * s[d] >= in + p[d])
				o--;
			if (in < 0 || (o - 1) * s[d] + k[d] > in + 2 * p[d])
				return p2o_fail(c, "divisor_override with ceil_mode=True is supported only "
						"when no window overhangs the padded input (input size %lld)",
						(long long)in);
		}
	}
	memcpy(p + sp, p, (size_t)sp * sizeof *p);
	ceil_mode = ceil_mode && p2o_pool_ceil_mode(x, sp, k, s, p, NULL);
	if (div)
		cip = 1;
	if (!(n = p2o_emit(c, "AveragePool", &x, 1, 1)) ||
	    p2o_attr_ints(c->g, n, "kernel_shape", k, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "strides", s, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "pads", p, 2 * (size_t)sp) ||
	    p2o_attr_int(c->g, n, "ceil_mode", ceil_mode != 0) ||
	    p2o_attr_int(c->g, n, "count_include_pad", cip != 0))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, out))
		return -1;
	if (!div || div == kprod)
		return 0;
	y = n->outputs[0];
	if (!(f = p2o_emit_scalar(c, "divisor", x->dtype, (double)kprod / (double)div)) ||
	    !(y = p2o_emit_binary(c, "Mul", y, f)))
		return -1;
	return p2o_result(c, y, out);
}

#define SIG1 "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True"
#define SIG SIG1 ", divisor_override=None"
const struct p2o_converter p2o_cv_avgpool1d = {"AvgPool1d", P2O_CONV_LAYER, SIG1, NULL, NULL, call};
const struct p2o_converter p2o_cv_avgpool2d = {"AvgPool2d", P2O_CONV_LAYER, SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_avgpool3d = {"AvgPool3d", P2O_CONV_LAYER, SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_avg_pool1d = {"avg_pool1d", 0, "input, " SIG1, NULL, NULL, call};
const struct p2o_converter p2o_cv_avg_pool2d = {"avg_pool2d", 0, "input, " SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_avg_pool3d = {"avg_pool3d", 0, "input, " SIG, NULL, NULL, call};
