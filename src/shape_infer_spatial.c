/* shape_infer_spatial.c — shape rules for spatial ops: ConvTranspose, Pad,
 * Resize, DepthToSpace, SpaceToDepth.  A dimension a rule cannot compute
 * is unknown; a symbolic dimension the op leaves alone stays symbolic. */
#include "shape_infer.h"

#include <string.h>

static const struct p2o_dim UNKNOWN = {-1, NULL};

static int fail(struct p2o_err *err, const struct p2o_node *n, const char *msg)
{
	return p2o_errf(err, P2O_ECONVERT, n->name, "%s: %s", n->op, msg);
}

static void copy_type(struct p2o_value *dst, const struct p2o_value *src)
{
	dst->dtype = src->dtype;
	dst->rank = src->rank;
	memcpy(dst->dims, src->dims, sizeof dst->dims);
}

static int64_t attr_at(const struct p2o_attr *a, int i, int64_t dflt)
{
	return a && (size_t)i < a->n ? a->ints[i] : dflt;
}

/* [N, C_in, spatial...] x W [C_in, C_out/group, k...] -> [N, C_out, ...]:
 * stride * (in - 1) + output_padding + dilation * (k - 1) + 1 - pads. */
int p2o_infer_conv_transpose(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0], *w = n->inputs[1];
	struct p2o_value *o = n->outputs[0];
	const struct p2o_attr *ks = p2o_node_attr(n, "kernel_shape");
	const struct p2o_attr *st = p2o_node_attr(n, "strides");
	const struct p2o_attr *pd = p2o_node_attr(n, "pads");
	const struct p2o_attr *dl = p2o_node_attr(n, "dilations");
	const struct p2o_attr *op = p2o_node_attr(n, "output_padding");
	const struct p2o_attr *gr = p2o_node_attr(n, "group");
	int sp;

	(void)g;
	if (x->rank < 3 || w->rank != x->rank)
		return fail(err, n, "input and weight must be [N, C, spatial...] and [C, M, k...]");
	sp = x->rank - 2;
	copy_type(o, x);
	o->dims[1] = w->dims[1].v >= 0 ? (struct p2o_dim){w->dims[1].v * (gr ? gr->i : 1), NULL}
				       : UNKNOWN;
	for (int d = 0; d < sp; d++) {
		int64_t in = x->dims[2 + d].v, k = attr_at(ks, d, w->dims[2 + d].v);
		int64_t out = attr_at(st, d, 1) * (in - 1) + attr_at(op, d, 0) +
			      attr_at(dl, d, 1) * (k - 1) + 1 - attr_at(pd, d, 0) -
			      attr_at(pd, d + sp, 0);
		if (in < 0 || k < 0)
			o->dims[2 + d] = UNKNOWN;
		else if (out <= 0)
			return fail(err, n, "the output would be empty");
		else
			o->dims[2 + d] = (struct p2o_dim){out, NULL};
	}
	return 0;
}

/* Pad (opset >= 11): pads as a constant input [begin..., end...]. */
int p2o_infer_pad(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t pads[2 * P2O_MAX_RANK];
	long np = n->nin > 1 && n->inputs[1] ? p2o_const_ints(n->inputs[1], pads, 2 * P2O_MAX_RANK)
					     : -1;

	(void)g;
	copy_type(o, x);
	if (x->rank < 0)
		return 0;
	if (np < 0) {
		for (int d = 0; d < x->rank; d++)
			o->dims[d] = UNKNOWN;
		return 0;
	}
	if (np != 2 * x->rank)
		return fail(err, n, "pads must have 2 * rank entries");
	for (int d = 0; d < x->rank; d++) {
		int64_t extra = pads[d] + pads[d + x->rank];
		if (x->dims[d].v >= 0) {
			if (x->dims[d].v + extra < 0)
				return fail(err, n, "padding would make a dimension negative");
			o->dims[d].v += extra;
		} else if (extra) {
			o->dims[d] = UNKNOWN;
		}
	}
	return 0;
}

/* Resize (opset >= 13): X, roi, scales, sizes.  Sizes when constant;
 * else floor(in * scale) computed as ONNX Runtime does (in float). */
int p2o_infer_resize(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	const struct p2o_value *scales = n->nin > 2 ? n->inputs[2] : NULL;
	const struct p2o_value *sizes = n->nin > 3 ? n->inputs[3] : NULL;
	struct p2o_value *o = n->outputs[0];
	int64_t sz[P2O_MAX_RANK];
	const float *sc;

	(void)g;
	copy_type(o, x);
	if (x->rank < 0)
		return 0;
	if (sizes) {
		long k = p2o_const_ints(sizes, sz, P2O_MAX_RANK);
		if (k >= 0 && k != x->rank)
			return fail(err, n, "sizes must have one entry per dimension");
		for (int d = 0; d < x->rank; d++)
			o->dims[d] = k < 0 ? UNKNOWN : (struct p2o_dim){sz[d], NULL};
		return 0;
	}
	sc = scales && scales->dtype == P2O_DT_FLOAT32 ? p2o_const_data(scales) : NULL;
	if (sc && p2o_value_numel(scales) != (size_t)x->rank)
		return fail(err, n, "scales must have one entry per dimension");
	for (int d = 0; d < x->rank; d++) {
		if (!sc)
			o->dims[d] = UNKNOWN;
		else if (x->dims[d].v >= 0)
			o->dims[d] = (struct p2o_dim){(int64_t)(sc[d] * (float)x->dims[d].v), NULL};
		else if (sc[d] != 1.0f)
			o->dims[d] = UNKNOWN;
	}
	return 0;
}

/* DepthToSpace / SpaceToDepth on [N, C, H, W] with blocksize b. */
int p2o_infer_depth_space(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	const struct p2o_attr *bs = p2o_node_attr(n, "blocksize");
	int to_space = !strcmp(n->op, "DepthToSpace");
	int64_t b = bs ? bs->i : 0;

	(void)g;
	if (x->rank != 4 || b <= 0)
		return fail(err, n, "needs a 4-D input and a positive blocksize");
	copy_type(o, x);
	for (int d = 1; d < 4; d++) {
		int64_t v = x->dims[d].v, f = d == 1 ? b * b : b;
		int shrink = (d == 1) == to_space; /* the dimension that divides */
		if (v < 0)
			o->dims[d] = UNKNOWN;
		else if (shrink && v % f)
			return fail(err, n, "a dimension is not a multiple of the block size");
		else
			o->dims[d].v = shrink ? v / f : v * f;
	}
	return 0;
}
