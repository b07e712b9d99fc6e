/*
 * maxpool.c — MaxPool1d/2d/3d and max_pool1d/2d/3d -> MaxPool.
 * stride defaults to kernel_size; padding pads with -inf as in PyTorch;
 * ceil_mode and dilation map to the ONNX attributes (ceil_mode only when
 * it changes the output: see p2o_pool_ceil_mode).  The functional form
 * takes ceil_mode before return_indices, the layer after.
 */
#include "fn_util.h"

#include <string.h>

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	const char *type = m ? m->type : NULL;
	int sp = type ? type[7] - '0' : 0;
	int64_t k[3], s[3], p[6], d[3], ceil_mode = 0, ri = 0;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	struct p2o_node *n;
	int rc;

	if (!x)
		return -1;
	if (!sp)
		sp = x->rank - 2;
	if (x->rank != sp + 2 || sp < 1 || sp > 3)
		return p2o_fail(c, "max pooling expects [batch, channels, %d spatial dims]", sp);
	if ((rc = p2o_pool_whole(c, &a, x, sp, "GlobalMaxPool", out)))
		return rc < 0 ? -1 : 0;
	if (p2o_arg_ints(c, &a, "kernel_size", sp, k) ||
	    p2o_arg_ints(c, &a, p2o_arg_is_none(&a, "stride") ? "kernel_size" : "stride", sp, s) ||
	    p2o_arg_ints(c, &a, "padding", sp, p) || p2o_arg_ints(c, &a, "dilation", sp, d) ||
	    p2o_val_int(p2o_arg(&a, "ceil_mode"), &ceil_mode) ||
	    p2o_val_int(p2o_arg(&a, "return_indices"), &ri))
		return -1;
	if (ri)
		return p2o_fail(c, "return_indices=True is not supported");
	memcpy(p + sp, p, (size_t)sp * sizeof *p);
	ceil_mode = ceil_mode && p2o_pool_ceil_mode(x, sp, k, s, p, d);
	if (!(n = p2o_emit(c, "MaxPool", &x, 1, 1)) ||
	    p2o_attr_ints(c->g, n, "kernel_shape", k, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "strides", s, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "pads", p, 2 * (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "dilations", d, (size_t)sp) ||
	    p2o_attr_int(c->g, n, "ceil_mode", ceil_mode))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

#define LAYER_SIG "kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False"
#define FN_SIG "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, " \
	       "return_indices=False"
const struct p2o_converter p2o_cv_maxpool1d = {"MaxPool1d", P2O_CONV_LAYER, LAYER_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_maxpool2d = {"MaxPool2d", P2O_CONV_LAYER, LAYER_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_maxpool3d = {"MaxPool3d", P2O_CONV_LAYER, LAYER_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_max_pool1d = {"max_pool1d", 0, FN_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_max_pool2d = {"max_pool2d", 0, FN_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_max_pool3d = {"max_pool3d", 0, FN_SIG, NULL, NULL, call};
