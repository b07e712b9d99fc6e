/*
 * conv_transpose.c — ConvTranspose1d/2d/3d -> ONNX ConvTranspose.
 * Weights: weight [in, out/groups, k...] (ONNX's layout too), bias [out]
 * unless bias=False; in_channels, out_channels and kernel_size may be left
 * out (the weight says them).  Output size, as in PyTorch and ONNX with
 * explicit pads: (in - 1) * stride - 2 * padding + dilation * (k - 1) +
 * output_padding + 1.  output_padding becomes a smaller end pad where the
 * padding allows (ONNX Runtime refuses output_padding >= stride, which
 * PyTorch allows when it is below the dilation); the rest stays
 * output_padding, or when it is >= stride becomes zeros padded after a
 * ConvTranspose without bias, then the bias.  forward(input, output_size) turns output_size into
 * output_padding (the input's spatial size must be known).  Only
 * padding_mode='zeros' exists in PyTorch.
 */
#include "emit.h"

#include <string.h>

#define SIG "in_channels=None, out_channels=None, kernel_size=None, stride=1, " \
	    "padding=0, output_padding=0, groups=1, bias=True, dilation=1, " \
	    "padding_mode='zeros', device=None, dtype=None"

static int spatial_dims(const struct p2o_module *m)
{
	return m->type[13] - '0'; /* "ConvTranspose2d" */
}

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	int sp = spatial_dims(m);
	int64_t shape[2 + 3], in = -1, out = -1, groups = 1, with_bias = 1, bshape;
	struct p2o_args a = p2o_module_args(m);
	const struct p2o_tensor *w;

	p2o_val_int(p2o_arg(&a, "in_channels"), &in);
	p2o_val_int(p2o_arg(&a, "out_channels"), &out);
	p2o_val_int(p2o_arg(&a, "groups"), &groups);
	p2o_val_int(p2o_arg(&a, "bias"), &with_bias);
	if (groups <= 0)
		return p2o_bind_problem(b, m, "groups must be positive");
	shape[0] = in;
	shape[1] = out >= 0 ? out / groups : -1;
	for (int d = 0; d < sp; d++)
		shape[2 + d] = -1;
	if (!p2o_arg_is_none(&a, "kernel_size")) {
		struct p2o_val *ks = p2o_arg(&a, "kernel_size");
		for (int d = 0; d < sp; d++) {
			int64_t k;
			if (p2o_val_int(ks, &k) && !((ks->kind == V_TUPLE || ks->kind == V_LIST) &&
						     ks->u.seq.n == (size_t)sp &&
						     !p2o_val_int(ks->u.seq.items[d], &k)))
				return p2o_bind_problem(b, m, "kernel_size must be an int or %d ints", sp);
			shape[2 + d] = k;
		}
	}
	bshape = out;
	/* every key is looked at, so that all problems are reported at once */
	if ((w = p2o_bind_param(b, m, "weight", 0, 2 + sp, shape))) {
		bshape = w->shape[1] * groups;
		if (p2o_bind_set_arg(b, m, "in_channels", w->shape[0]) ||
		    p2o_bind_set_arg(b, m, "out_channels", bshape))
			return -1;
	}
	if (with_bias)
		p2o_bind_param(b, m, "bias", 0, 1, &bshape);
	return 0;
}

/* output_size (sp ints, or sp + 2 with batch and channels) -> output_padding */
static int from_output_size(struct p2o_ctx *c, const struct p2o_value *x, struct p2o_val *os,
			    int sp, const int64_t *k, const int64_t *s, const int64_t *p,
			    const int64_t *d, int64_t *op)
{
	size_t n = os->kind == V_TUPLE || os->kind == V_LIST ? os->u.seq.n : 0;

	if (n != (size_t)sp && n != (size_t)sp + 2)
		return p2o_fail(c, "output_size must have %d (or %d) entries", sp, sp + 2);
	for (int i = 0; i < sp; i++) {
		int64_t want, in = x->dims[2 + i].v, lo;
		if (p2o_val_int(os->u.seq.items[n - (size_t)sp + (size_t)i], &want))
			return p2o_fail(c, "output_size entries must be ints");
		if (in < 0)
			return p2o_fail(c, "output_size needs a known input size (dimension %d is "
					"dynamic)", 2 + i);
		lo = (in - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1;
		op[i] = want - lo;
		if (op[i] < 0 || (op[i] >= s[i] && op[i] >= d[i]))
			return p2o_fail(c, "output_size %lld is not reachable from input size %lld "
					"(between %lld and %lld)", (long long)want, (long long)in,
					(long long)lo, (long long)(lo + (s[i] > d[i] ? s[i] : d[i]) - 1));
	}
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		struct p2o_val **out)
{
	struct p2o_args a = p2o_module_args(m);
	int sp = spatial_dims(m), nin = 2, tail = 0;
	int64_t stride[3], dil[3], pads[6], opad[3], k[3], groups, ext[10] = {0}, bshape[4];
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *ins[3] = {NULL}, *y, *b;
	const struct p2o_tensor *w = p2o_module_weight(m, "weight");
	struct p2o_node *n;

	if (!x || p2o_arg_ints(c, &a, "stride", sp, stride) ||
	    p2o_arg_ints(c, &a, "dilation", sp, dil) || p2o_arg_ints(c, &a, "padding", sp, pads) ||
	    p2o_arg_ints(c, &a, "output_padding", sp, opad) || p2o_arg_int(c, &a, "groups", &groups))
		return -1;
	if (!p2o_is_str_val(p2o_arg(&a, "padding_mode"), "zeros"))
		return p2o_fail(c, "%s supports only padding_mode='zeros' (as PyTorch)", m->type);
	if (x->rank != sp + 2)
		return p2o_fail(c, "%s expects a %d-D input [batch, channels, ...], got %d-D",
				m->type, sp + 2, x->rank);
	if (x->dims[1].v >= 0 && x->dims[1].v != w->shape[0])
		return p2o_fail(c, "%s expects %lld input channels, got %lld", m->type,
				(long long)w->shape[0], (long long)x->dims[1].v);
	for (int d = 0; d < sp; d++)
		k[d] = w->shape[2 + d];
	if (!p2o_arg_is_none(in, "output_size") &&
	    from_output_size(c, x, p2o_arg(in, "output_size"), sp, k, stride, pads, dil, opad))
		return -1;
	/* output_padding as less cropping at the end where it can: the same
	 * values, and runtimes that want output_padding < stride accept it */
	for (int d = 0; d < sp; d++) {
		int64_t take = opad[d] < pads[d] ? opad[d] : pads[d];
		pads[sp + d] = pads[d] - take;
		opad[d] -= take;
	}
	/* what is left and >= stride (dilation > stride): zeros at the end,
	 * then the bias (the extra positions get no kernel contribution) */
	for (int d = 0; d < sp; d++)
		tail |= opad[d] >= stride[d];
	for (int d = 0; tail && d < sp; d++) {
		ext[(sp + 2) + 2 + d] = opad[d];
		opad[d] = 0;
	}
	ins[0] = x;
	if (!(ins[1] = p2o_weight_value(c, m, "weight")))
		return -1;
	if (p2o_module_weight(m, "bias")) {
		if (!(ins[2] = p2o_weight_value(c, m, "bias")))
			return -1;
		nin = tail ? 2 : 3;
	}
	if (!(n = p2o_emit(c, "ConvTranspose", ins, (size_t)nin, 1)) ||
	    p2o_attr_ints(c->g, n, "kernel_shape", k, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "strides", stride, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "pads", pads, 2 * (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "dilations", dil, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "output_padding", opad, (size_t)sp) ||
	    p2o_attr_int(c->g, n, "group", groups))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, out))
		return -1;
	if (!tail)
		return 0;
	for (int d = 0; d < sp; d++)
		bshape[1 + d] = 1;
	bshape[0] = w->shape[1] * groups;
	if (!(y = p2o_emit_pad(c, n->outputs[0], ext, "constant", 0)) ||
	    (nin == 2 && ins[2] && (!(b = p2o_emit_reshape(c, ins[2], bshape, 1 + (size_t)sp)) ||
				    !(y = p2o_emit_binary(c, "Add", y, b)))))
		return -1;
	return p2o_result(c, y, out);
}

#define FWD "input, output_size=None"
const struct p2o_converter p2o_cv_conv_transpose1d = {"ConvTranspose1d", P2O_CONV_LAYER, SIG, FWD, bind, call};
const struct p2o_converter p2o_cv_conv_transpose2d = {"ConvTranspose2d", P2O_CONV_LAYER, SIG, FWD, bind, call};
const struct p2o_converter p2o_cv_conv_transpose3d = {"ConvTranspose3d", P2O_CONV_LAYER, SIG, FWD, bind, call};
