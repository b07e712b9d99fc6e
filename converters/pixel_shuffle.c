/*
 * pixel_shuffle.c — PixelShuffle, pixel_shuffle -> DepthToSpace (mode
 * CRD: channel c * r^2 + i * r + j goes to (c, h * r + i, w * r + j), as
 * in PyTorch).  PixelUnshuffle, pixel_unshuffle: ONNX SpaceToDepth puts
 * the block offset first ((i * r + j) * C + c), PyTorch last, so it runs
 * on one channel at a time: Reshape [-1, 1, 0, 0], SpaceToDepth, Reshape
 * [-1, C*r*r, 0, 0] (batch and spatial size stay dynamic; the channel
 * count must be known).  4-D inputs [N, C, H, W] only.
 */
#include "emit.h"

#include <string.h>

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	const char *type = m ? m->type : strrchr(c->name, '.') ? strrchr(c->name, '.') + 1 : c->name;
	int un = strstr(type, "nshuffle") != NULL;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input"), *in = x, *y;
	int64_t r, ch;
	struct p2o_node *n;

	if (!x || p2o_arg_int(c, &a, un ? "downscale_factor" : "upscale_factor", &r))
		return -1;
	if (r <= 0)
		return p2o_fail(c, "%s: the factor must be positive, got %lld", type, (long long)r);
	if (x->rank != 4)
		return p2o_fail(c, "%s: only 4-D inputs [batch, channels, height, width] are "
				"supported, got %d-D", type, x->rank);
	if (!un && x->dims[1].v >= 0 && x->dims[1].v % (r * r))
		return p2o_fail(c, "%s: %lld channels are not divisible by %lld", type,
				(long long)x->dims[1].v, (long long)(r * r));
	for (int d = 2; un && d < 4; d++)
		if (x->dims[d].v >= 0 && x->dims[d].v % r)
			return p2o_fail(c, "%s: dimension %d (%lld) is not divisible by %lld", type, d,
					(long long)x->dims[d].v, (long long)r);
	if (un && x->dims[1].v < 0)
		return p2o_fail(c, "%s needs a known number of channels", type);
	if (un && r == 1)
		return p2o_result(c, x, out);
	/* unshuffle: each channel alone, so that SpaceToDepth's order is ours */
	if (un && !(x = p2o_emit_reshape(c, x, (int64_t[]){-1, 1, 0, 0}, 4)))
		return -1;
	if (!(n = p2o_emit(c, un ? "SpaceToDepth" : "DepthToSpace", &x, 1, 1)) ||
	    p2o_attr_int(c->g, n, "blocksize", r) ||
	    (!un && p2o_attr_string(c->g, n, "mode", "CRD")))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, un ? NULL : out))
		return -1;
	if (!un)
		return 0;
	ch = in->dims[1].v * r * r;
	if (!(y = p2o_emit_reshape(c, n->outputs[0], (int64_t[]){-1, ch, 0, 0}, 4)))
		return -1;
	/* [batch, C*r*r, H/r, W/r]: known to us, not to the Reshape rule */
	y->dims[0] = in->dims[0];
	for (int d = 2; d < 4; d++)
		y->dims[d] = in->dims[d].v >= 0 ? (struct p2o_dim){in->dims[d].v / r, NULL}
						 : (struct p2o_dim){-1, NULL};
	return p2o_result(c, y, out);
}

const struct p2o_converter p2o_cv_pixel_shuffle_layer = {
	"PixelShuffle", P2O_CONV_LAYER, "upscale_factor", NULL, NULL, call};
const struct p2o_converter p2o_cv_pixel_unshuffle_layer = {
	"PixelUnshuffle", P2O_CONV_LAYER, "downscale_factor", NULL, NULL, call};
const struct p2o_converter p2o_cv_pixel_shuffle = {
	"pixel_shuffle", 0, "input, upscale_factor", NULL, NULL, call};
const struct p2o_converter p2o_cv_pixel_unshuffle = {
	"pixel_unshuffle", 0, "input, downscale_factor", NULL, NULL, call};
