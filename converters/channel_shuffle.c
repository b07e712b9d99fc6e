/*
 * channel_shuffle.c — ChannelShuffle, channel_shuffle (groups g) on
 * [N, C, ...]: Reshape [0, g, C/g, -1], Transpose [0, 2, 1, 3], Reshape
 * back to the input's shape (a constant [0, C, spatial...] when the
 * spatial size is known, else Shape(x)), so the batch and the spatial
 * size stay dynamic.  The channel count must be known.
 */
#include "emit.h"

#include <string.h>

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input"), *y, *shp;
	int64_t g, ch, shape[P2O_MAX_RANK], perm[4] = {0, 2, 1, 3};
	int known = 1;

	if (!x || p2o_arg_int(c, &a, "groups", &g))
		return -1;
	if (x->rank < 3)
		return p2o_fail(c, "channel_shuffle expects [batch, channels, spatial...], got %d-D",
				x->rank);
	if ((ch = x->dims[1].v) < 0)
		return p2o_fail(c, "channel_shuffle needs a known number of channels");
	if (g <= 0 || ch % g)
		return p2o_fail(c, "channel_shuffle: %lld channels are not divisible into %lld groups",
				(long long)ch, (long long)g);
	if (g == 1 || g == ch)
		return p2o_result(c, x, out);
	shape[0] = 0, shape[1] = g, shape[2] = ch / g, shape[3] = -1;
	if (!(y = p2o_emit_reshape(c, x, shape, 4)) || !(y = p2o_emit_transpose(c, y, perm, 4)))
		return -1;
	shape[1] = ch;
	for (int d = 2; d < x->rank; d++)
		known &= (shape[d] = x->dims[d].v) >= 0;
	if (known)
		return (y = p2o_emit_reshape(c, y, shape, (size_t)x->rank)) ? p2o_result(c, y, out) : -1;
	if (!(shp = p2o_emit_unary(c, "Shape", x)) || !(y = p2o_emit_binary(c, "Reshape", y, shp)))
		return -1;
	y->rank = x->rank; /* the input's shape, known to us but not to the rule */
	memcpy(y->dims, x->dims, sizeof y->dims);
	return p2o_result(c, y, out);
}

const struct p2o_converter p2o_cv_channel_shuffle_layer = {
	"ChannelShuffle", P2O_CONV_LAYER, "groups", NULL, NULL, call};
const struct p2o_converter p2o_cv_channel_shuffle = {
	"channel_shuffle", 0, "input, groups", NULL, NULL, call};
