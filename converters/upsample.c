/*
 * upsample.c — Upsample, UpsamplingNearest2d, UpsamplingBilinear2d and
 * interpolate, upsample, upsample_nearest, upsample_bilinear -> Resize
 * (opset >= 13 form: roi omitted, `sizes` for size=, `scales` for
 * scale_factor=).
 *   nearest       -> nearest, asymmetric, floor      (src = floor(dst / s))
 *   nearest-exact -> nearest, half_pixel, round_prefer_ceil
 *   linear/bilinear/trilinear -> linear; bicubic -> cubic, a = -0.75;
 *   align_corners=True -> align_corners, else half_pixel (not
 *   pytorch_half_pixel: PyTorch maps an output of size 1 from the centre,
 *   half_pixel does too).
 * size= keeps the batch dynamic: sizes = Concat(Shape(x)[0:2], size); a
 * size known only at run time (x.shape[-2:] of a dynamic input) comes from
 * the graph (Shape -> Gather), and the output keeps that dimension's name.
 * scale_factor= works on inputs of unknown spatial size; when the size is
 * known the float scale is nudged by ulps if ONNX Runtime's float product
 * would floor to another size than PyTorch's.  recompute_scale_factor=True
 * needs a known size (it becomes sizes).  'area' and antialias are not
 * supported.
 */
#include "dyn_int.h"
#include "emit.h"

#include <math.h>
#include <string.h>

struct opts {
	const char *mode;
	int ac;        /* align_corners: -1 None */
	int recompute;
};

static int get_floats(struct p2o_ctx *c, struct p2o_val *v, const char *what, int sp,
		      double *out, struct p2o_val **dyn)
{
	int single = v->kind != V_TUPLE && v->kind != V_LIST;

	if (!single && v->u.seq.n != (size_t)sp)
		return p2o_fail(c, "%s must be a number or %d numbers, got %zu", what, sp, v->u.seq.n);
	for (int d = 0; d < sp; d++) {
		struct p2o_val *e = single ? v : v->u.seq.items[d];
		if (dyn && p2o_is_dyn_int(e))
			dyn[d] = e, out[d] = 1; /* a size known at run time */
		else if (p2o_val_float(e, &out[d]) || out[d] <= 0)
			return p2o_fail(c, "%s must be positive numbers", what);
	}
	return 0;
}

static int resize(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val *size,
		  struct p2o_val *scale, const struct opts *o, struct p2o_val **out)
{
	int sp = x->rank - 2, nearest = !strncmp(o->mode, "nearest", 7);
	int cubic = !strcmp(o->mode, "bicubic"), use_sizes = size->kind != V_NONE;
	double v[3];
	int64_t sz[5];
	float sc[5] = {1, 1, 1, 1, 1};
	struct p2o_value *ins[4] = {x, NULL, NULL, NULL};
	struct p2o_val *dyn[5] = {NULL, NULL, NULL, NULL, NULL};
	struct p2o_node *n;
	static const char *const LINEAR[] = {"linear", "bilinear", "trilinear"};

	if (sp < 1 || sp > 3)
		return p2o_fail(c, "interpolation expects a 3-D to 5-D input, got %d-D", x->rank);
	if (strcmp(o->mode, "nearest") && strcmp(o->mode, "nearest-exact") &&
	    strcmp(o->mode, LINEAR[sp - 1]) && !(cubic && sp == 2))
		return p2o_fail(c, "mode '%s' does not fit a %d-D input (or is not supported): use "
				"'nearest', 'nearest-exact', '%s'%s", o->mode, x->rank,
				LINEAR[sp - 1], sp == 2 ? " or 'bicubic'" : "");
	if (nearest && o->ac >= 0)
		return p2o_fail(c, "align_corners can only be set with the interpolating modes "
				"linear, bilinear, bicubic, trilinear");
	if (use_sizes == (scale->kind != V_NONE))
		return p2o_fail(c, "give exactly one of size and scale_factor");
	if (get_floats(c, use_sizes ? size : scale, use_sizes ? "size" : "scale_factor", sp, v,
		       use_sizes ? dyn + 2 : NULL))
		return -1;
	for (int d = 0; d < sp; d++) {
		int64_t in = x->dims[2 + d].v;
		if (use_sizes) {
			sz[2 + d] = (int64_t)v[d];
			if ((double)sz[2 + d] != v[d])
				return p2o_fail(c, "size must be ints");
		} else if (o->recompute) {
			if (in < 0)
				return p2o_fail(c, "recompute_scale_factor=True needs a known input size "
						"(dimension %d is dynamic)", 2 + d);
			sz[2 + d] = (int64_t)floor((double)in * v[d]);
		} else {
			int64_t want = (int64_t)floor((double)in * v[d]);
			float f = (float)v[d];
			for (int i = 0; in >= 0 && i < 64 && (int64_t)(f * (float)in) != want; i++)
				f = nextafterf(f, (int64_t)(f * (float)in) < want ? INFINITY : 0);
			sc[2 + d] = f;
		}
		if ((use_sizes || o->recompute) && sz[2 + d] <= 0)
			return p2o_fail(c, "the output size of dimension %d would be %lld", 2 + d,
					(long long)sz[2 + d]);
	}
	use_sizes |= o->recompute;
	if (!use_sizes) {
		if (!(ins[2] = p2o_graph_const(c->g, p2o_sprintf(&c->g->arena, "%s.scales", c->name),
					       P2O_DT_FLOAT32, 1, (int64_t[]){x->rank}, sc)))
			return p2o_fail(c, "out of memory");
	} else if (x->dims[0].v >= 0 && x->dims[1].v >= 0 && !dyn[2] && !dyn[3] && !dyn[4]) {
		sz[0] = x->dims[0].v;
		sz[1] = x->dims[1].v;
		if (!(ins[3] = p2o_emit_ints(c, "sizes", sz, (size_t)x->rank)))
			return -1;
	} else { /* the batch (and channels) from the input at run time */
		struct p2o_value *parts[2];
		int64_t zero = 0, two = 2;
		if (!(parts[0] = p2o_emit_unary(c, "Shape", x)) ||
		    !(parts[0] = p2o_emit_slice(c, parts[0], &zero, &two, &zero, NULL, 1)) ||
		    !(parts[1] = p2o_int_vector(c, "size", dyn + 2, sz + 2, (size_t)sp)) ||
		    !(ins[3] = p2o_emit_concat(c, parts, 2, 0)))
			return -1;
	}
	if (!(n = p2o_emit(c, "Resize", ins, use_sizes ? 4 : 3, 1)) ||
	    p2o_attr_string(c->g, n, "mode", nearest ? "nearest" : cubic ? "cubic" : "linear") ||
	    p2o_attr_string(c->g, n, "coordinate_transformation_mode",
			    !strcmp(o->mode, "nearest") ? "asymmetric" :
			    o->ac > 0 ? "align_corners" : "half_pixel") ||
	    (nearest && p2o_attr_string(c->g, n, "nearest_mode",
					!strcmp(o->mode, "nearest") ? "floor" : "round_prefer_ceil")) ||
	    (cubic && p2o_attr_float(c->g, n, "cubic_coeff_a", -0.75f)))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, out))
		return -1;
	if (use_sizes) { /* sizes computed at run time: the shape is still known */
		struct p2o_value *y = n->outputs[0];
		y->rank = x->rank;
		y->dims[0] = x->dims[0];
		y->dims[1] = x->dims[1];
		for (int d = 0; d < sp; d++) {
			struct p2o_val *e = dyn[2 + d];
			y->dims[2 + d] = !e ? (struct p2o_dim){sz[2 + d], NULL} :
				e->sym_dim >= 0 ? e->sym_of->dims[e->sym_dim] : (struct p2o_dim){-1, NULL};
		}
	}
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	const char *type = m ? m->type : strrchr(c->name, '.') ? strrchr(c->name, '.') + 1 : c->name;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	struct opts o = {"nearest", -1, 0};
	struct p2o_val *mode = p2o_arg(&a, "mode");
	int64_t v;

	if (!x)
		return -1;
	if (strstr(type, "ilinear")) { /* UpsamplingBilinear2d, upsample_bilinear */
		o.mode = "bilinear";
		o.ac = 1;
	} else if (mode) {
		if (mode->kind != V_STR)
			return p2o_fail(c, "mode must be a string");
		o.mode = mode->u.s;
	}
	if (!p2o_arg_is_none(&a, "align_corners")) {
		if (p2o_val_int(p2o_arg(&a, "align_corners"), &v))
			return p2o_fail(c, "align_corners must be None, True or False");
		o.ac = v != 0;
	}
	if (!p2o_arg_is_none(&a, "recompute_scale_factor")) {
		if (p2o_val_int(p2o_arg(&a, "recompute_scale_factor"), &v))
			return p2o_fail(c, "recompute_scale_factor must be None, True or False");
		o.recompute = v != 0;
	}
	if (!p2o_arg_is_none(&a, "antialias") &&
	    (p2o_val_int(p2o_arg(&a, "antialias"), &v) || v))
		return p2o_fail(c, "antialias=True is not supported");
	if (!strcmp(o.mode, "area"))
		return p2o_fail(c, "mode 'area' is not supported; adaptive_avg_pool%dd with the "
				"output size is the same", x->rank - 2);
	return resize(c, x, p2o_arg(&a, "size"), p2o_arg(&a, "scale_factor"), &o, out);
}

#define USIG "size=None, scale_factor=None"
#define SIG USIG ", mode='nearest', align_corners=None"
const struct p2o_converter p2o_cv_upsample_layer = {
	"Upsample", P2O_CONV_LAYER, SIG ", recompute_scale_factor=None", NULL, NULL, call};
const struct p2o_converter p2o_cv_upsampling_bilinear2d = {
	"UpsamplingBilinear2d", P2O_CONV_LAYER, USIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_upsampling_nearest2d = {
	"UpsamplingNearest2d", P2O_CONV_LAYER, USIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_interpolate = {
	"interpolate", 0, "input, " SIG ", recompute_scale_factor=None, antialias=False",
	NULL, NULL, call};
const struct p2o_converter p2o_cv_upsample = {"upsample", 0, "input, " SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_upsample_bilinear = {
	"upsample_bilinear", 0, "input, " USIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_upsample_nearest = {
	"upsample_nearest", 0, "input, " USIG, NULL, NULL, call};
