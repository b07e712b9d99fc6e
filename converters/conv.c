/*
 * conv.c — Conv1d, Conv2d, Conv3d -> ONNX Conv.
 * Weights: weight [out, in/groups, k...], bias [out] unless bias=False.
 * in_channels, out_channels and kernel_size may be left out: the weight
 * says them.  padding: int, tuple, 'same' (extra padding goes at the end,
 * as PyTorch does) or 'valid'.  padding_mode 'reflect', 'replicate' or
 * 'circular' pads first (Pad, or Slice + Concat for circular), then the
 * Conv has no padding, as in PyTorch.
 */
#include "emit.h"

#include <string.h>

#define SIG "in_channels=None, out_channels=None, kernel_size=None, stride=1, " \
	    "padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', " \
	    "device=None, dtype=None"

static int spatial_dims(const struct p2o_module *m)
{
	return m->type[4] - '0'; /* "Conv2d" */
}

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	int sp = spatial_dims(m);
	int64_t shape[2 + 3], in = -1, out = -1, groups = 1, k[3];
	struct p2o_args a = p2o_module_args(m);
	const struct p2o_tensor *w;
	int64_t with_bias = 1;

	p2o_val_int(p2o_arg(&a, "in_channels"), &in);
	p2o_val_int(p2o_arg(&a, "out_channels"), &out);
	p2o_val_int(p2o_arg(&a, "groups"), &groups);
	p2o_val_int(p2o_arg(&a, "bias"), &with_bias);
	shape[0] = out;
	shape[1] = in >= 0 && groups > 0 ? in / groups : -1;
	for (int d = 0; d < sp; d++)
		shape[2 + d] = -1;
	if (!p2o_arg_is_none(&a, "kernel_size")) {
		struct p2o_val *ks = p2o_arg(&a, "kernel_size");
		for (int d = 0; d < sp; d++) {
			if (p2o_val_int(ks, &k[d]) && !((ks->kind == V_TUPLE || ks->kind == V_LIST) &&
							 ks->u.seq.n == (size_t)sp &&
							 !p2o_val_int(ks->u.seq.items[d], &k[d])))
				return p2o_bind_problem(b, m, "kernel_size must be an int or %d ints", sp);
			shape[2 + d] = k[d];
		}
	}
	/* every key is looked at, so that all problems are reported at once */
	if ((w = p2o_bind_param(b, m, "weight", 0, 2 + sp, shape))) {
		shape[0] = w->shape[0];
		if (p2o_bind_set_arg(b, m, "out_channels", w->shape[0]) ||
		    p2o_bind_set_arg(b, m, "in_channels", w->shape[1] * groups))
			return -1;
	}
	if (with_bias)
		p2o_bind_param(b, m, "bias", 0, 1, &shape[0]);
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		struct p2o_val **out)
{
	struct p2o_args a = p2o_module_args(m);
	int sp = spatial_dims(m), nin = 2;
	int64_t stride[3], dil[3], pads[6], kshape[3], groups;
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *ins[3];
	const struct p2o_tensor *w = p2o_module_weight(m, "weight");
	struct p2o_val *padding = p2o_arg(&a, "padding"), *pmode = p2o_arg(&a, "padding_mode");
	struct p2o_node *n;

	if (!x || p2o_arg_ints(c, &a, "stride", sp, stride) ||
	    p2o_arg_ints(c, &a, "dilation", sp, dil) || p2o_arg_int(c, &a, "groups", &groups))
		return -1;
	if (!pmode || pmode->kind != V_STR ||
	    (strcmp(pmode->u.s, "zeros") && strcmp(pmode->u.s, "reflect") &&
	     strcmp(pmode->u.s, "replicate") && strcmp(pmode->u.s, "circular")))
		return p2o_fail(c, "%s: padding_mode must be 'zeros', 'reflect', 'replicate' or "
				"'circular'", m->type);
	if (x->rank != sp + 2)
		return p2o_fail(c, "%s expects a %d-D input [batch, channels, ...], got %d-D",
				m->type, sp + 2, x->rank);
	for (int d = 0; d < sp; d++)
		kshape[d] = w->shape[2 + d];
	if (padding->kind == V_STR) {
		int same = !strcmp(padding->u.s, "same");
		if (!same && strcmp(padding->u.s, "valid"))
			return p2o_fail(c, "padding must be a number, a tuple, 'same' or 'valid'");
		for (int d = 0; d < sp; d++) {
			int64_t total = same ? dil[d] * (kshape[d] - 1) : 0;
			pads[d] = total / 2;
			pads[d + sp] = total - total / 2;
		}
	} else {
		if (p2o_arg_ints(c, &a, "padding", sp, pads))
			return -1;
		memcpy(pads + sp, pads, (size_t)sp * sizeof *pads);
	}
	if (strcmp(pmode->u.s, "zeros")) {
		/* pad explicitly (PyTorch: F.pad then conv with padding 0) */
		int64_t all[2 * (2 + 3)] = {0};
		const char *mode = !strcmp(pmode->u.s, "replicate") ? "edge" : pmode->u.s;
		for (int d = 0; d < sp; d++) {
			all[2 + d] = pads[d];
			all[2 + sp + 2 + d] = pads[sp + d];
		}
		if (!(x = p2o_emit_pad(c, x, all, mode, 0)))
			return -1;
		memset(pads, 0, sizeof pads);
	}
	ins[0] = x;
	if (!(ins[1] = p2o_weight_value(c, m, "weight")))
		return -1;
	if (p2o_module_weight(m, "bias")) {
		if (!(ins[2] = p2o_weight_value(c, m, "bias")))
			return -1;
		nin = 3;
	}
	if (!(n = p2o_emit(c, "Conv", ins, (size_t)nin, 1)) ||
	    p2o_attr_ints(c->g, n, "kernel_shape", kshape, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "strides", stride, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "pads", pads, 2 * (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "dilations", dil, (size_t)sp) ||
	    p2o_attr_int(c->g, n, "group", groups))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

const struct p2o_converter p2o_cv_conv1d = {"Conv1d", P2O_CONV_LAYER, SIG, NULL, bind, call};
const struct p2o_converter p2o_cv_conv2d = {"Conv2d", P2O_CONV_LAYER, SIG, NULL, bind, call};
const struct p2o_converter p2o_cv_conv3d = {"Conv3d", P2O_CONV_LAYER, SIG, NULL, bind, call};
