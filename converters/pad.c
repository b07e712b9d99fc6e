/*
 * pad.c — padding layers and F.pad -> Pad (or Slice + Concat for circular).
 * ZeroPad1d/2d/3d, ConstantPad1d/2d/3d (padding, value),
 * ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d, CircularPad1d/2d/3d
 * (padding: an int or 2 * dims ints) and pad(input, pad, mode='constant',
 * value=None).  PyTorch lists pads from the last dimension backwards,
 * (left, right, top, bottom, ...); ONNX wants [begin..., end...] for
 * every axis.  Negative pads crop, as in PyTorch (reflect pads the whole
 * input, then crops; the other modes crop, then pad).
 * replicate -> ONNX "edge"; circular is decomposed (ONNX "wrap" is
 * opset 19 only).  F.pad's amounts may be run-time sizes (U-Net pads to
 * its skip's x.size()): then Pad's pads input is computed in the graph.
 */
#include "dyn_int.h"
#include "emit.h"

#include <string.h>

/* PyTorch's pad tuple pt[0..npt) on x -> ONNX pads for every axis;
 * checks the sizes PyTorch checks when they are known. */
static int onnx_pads(struct p2o_ctx *c, const struct p2o_value *x, const int64_t *pt, int npt,
		     const char *mode, int64_t *pads)
{
	int r = x->rank;

	memset(pads, 0, 2 * (size_t)r * sizeof *pads);
	for (int i = 0; i < npt / 2; i++) {
		int a = r - 1 - i;
		int64_t in = x->dims[a].v, l = pt[2 * i], rt = pt[2 * i + 1];
		pads[a] = l;
		pads[a + r] = rt;
		if (in < 0)
			continue;
		if (in + l + rt <= 0)
			return p2o_fail(c, "padding (%lld, %lld) leaves dimension %d of size %lld empty",
					(long long)l, (long long)rt, a, (long long)in);
		if (!strcmp(mode, "reflect") && (l >= in || rt >= in)) /* over the whole input */
			return p2o_fail(c, "reflect padding (%lld, %lld) must be smaller than the size "
					"%lld of dimension %d", (long long)l, (long long)rt,
					(long long)in, a);
		in += (l < 0 ? l : 0) + (rt < 0 ? rt : 0); /* circular: after cropping */
		if (!strcmp(mode, "circular") && (l > in || rt > in))
			return p2o_fail(c, "circular padding (%lld, %lld) must be at most the size "
					"%lld of dimension %d", (long long)l, (long long)rt,
					(long long)in, a);
	}
	return 0;
}

/* F.pad with amounts of which some (pv[i]) are known only at run time, the
 * others in pt: one Pad with a computed pads input (run-time amounts that
 * turn out negative crop, as ONNX Pad does).  mode: ONNX's. */
static int apply_dyn(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val *const *pv,
		     const int64_t *pt, int npt, const char *mode, double value,
		     struct p2o_val **out)
{
	struct p2o_val *vals[2 * P2O_MAX_RANK] = {NULL};
	int64_t known[2 * P2O_MAX_RANK] = {0};
	struct p2o_value *ins[3] = {x, NULL, NULL}, *y;
	struct p2o_node *n;
	int r = x->rank;

	if (!strcmp(mode, "circular"))
		return p2o_fail(c, "circular padding needs amounts known at conversion time");
	for (int i = 0; i < npt; i++) { /* (left, right, ...) from the last axis */
		int ax = r - 1 - i / 2 + (i % 2 ? r : 0);
		vals[ax] = pv[i];
		known[ax] = p2o_is_dyn_int(pv[i]) ? 0 : pt[i];
	}
	if (!(ins[1] = p2o_int_vector(c, "pads", vals, known, 2 * (size_t)r)) ||
	    (!strcmp(mode, "constant") && value != 0 &&
	     !(ins[2] = p2o_emit_scalar(c, "value", x->dtype, value))) ||
	    !(n = p2o_emit(c, "Pad", ins, ins[2] ? 3 : 2, 1)))
		return -1;
	if ((strcmp(mode, "constant") && p2o_attr_string(c->g, n, "mode", mode)) ||
	    p2o_finish(c, n, NULL))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	y = n->outputs[0];
	for (int ax = 0; ax < r; ax++) /* axes padded by known amounts keep their size */
		if (!p2o_is_dyn_int(vals[ax]) && !p2o_is_dyn_int(vals[ax + r]) &&
		    (x->dims[ax].v >= 0 || (!known[ax] && !known[ax + r])))
			y->dims[ax] = x->dims[ax].v < 0 ? x->dims[ax] : (struct p2o_dim){
				x->dims[ax].v + known[ax] + known[ax + r], NULL};
	return p2o_result(c, y, out);
}

/* pv: F.pad's amounts when some are known only at run time, else NULL */
static int apply(struct p2o_ctx *c, struct p2o_value *x, const int64_t *pt,
		 struct p2o_val *const *pv, int npt, const char *mode, double value,
		 struct p2o_val **out)
{
	int64_t pads[2 * P2O_MAX_RANK];
	const char *onnx_mode = !strcmp(mode, "replicate") ? "edge" : mode;
	struct p2o_value *y;

	if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "replicate") &&
	    strcmp(mode, "circular"))
		return p2o_fail(c, "padding mode '%s' is not one of 'constant', 'reflect', "
				"'replicate', 'circular'", mode);
	if (x->rank < 1)
		return p2o_fail(c, "padding needs an input of known rank");
	if (npt % 2 || npt / 2 > x->rank)
		return p2o_fail(c, "padding has %d values; expected an even number, at most %d "
				"for a %d-D input", npt, 2 * x->rank, x->rank);
	if (strcmp(mode, "constant") && (npt / 2 > x->rank - 1 || x->rank < 2))
		return p2o_fail(c, "%s padding pads at most %d dimensions of a %d-D input "
				"(not the batch), not %d", mode, x->rank - 1, x->rank, npt / 2);
	if (pv)
		return apply_dyn(c, x, pv, pt, npt, onnx_mode, value, out);
	if (onnx_pads(c, x, pt, npt, mode, pads) ||
	    !(y = p2o_emit_pad(c, x, pads, onnx_mode, value)))
		return -1;
	return p2o_result(c, y, out);
}

/* "ConstantPad2d" -> 2, "ZeroPad2d" -> 2 */
static int layer_dims(const struct p2o_module *m)
{
	const char *p = strstr(m->type, "Pad");
	return p ? p[3] - '0' : 0;
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		      struct p2o_val **out)
{
	struct p2o_args a = p2o_module_args(m);
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	int sp = layer_dims(m);
	int64_t pt[6];
	double value = 0;
	const char *mode = "constant";

	if (!x || p2o_arg_ints(c, &a, "padding", 2 * sp, pt))
		return -1;
	if (!strncmp(m->type, "ConstantPad", 11) && p2o_arg_float(c, &a, "value", &value))
		return -1;
	if (!strncmp(m->type, "Reflection", 10))
		mode = "reflect";
	else if (!strncmp(m->type, "Replication", 11))
		mode = "replicate";
	else if (!strncmp(m->type, "Circular", 8))
		mode = "circular";
	if (x->rank != sp + 1 && x->rank != sp + 2)
		return p2o_fail(c, "%s expects a %d-D or %d-D input, got %d-D", m->type, sp + 1,
				sp + 2, x->rank);
	return apply(c, x, pt, NULL, 2 * sp, mode, value, out);
}

static int call_fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	struct p2o_val *pv = p2o_arg(a, "pad"), *mv = p2o_arg(a, "mode");
	int64_t pt[2 * P2O_MAX_RANK];
	double value = 0;
	int dyn = 0;

	(void)m;
	if (!x)
		return -1;
	if (!pv || (pv->kind != V_TUPLE && pv->kind != V_LIST) || pv->u.seq.n > 2 * P2O_MAX_RANK)
		return p2o_fail(c, "pad must be a tuple of ints (left, right, top, bottom, ...)");
	for (size_t i = 0; i < pv->u.seq.n; i++) {
		if (p2o_is_dyn_int(pv->u.seq.items[i]))
			dyn = 1;
		else if (p2o_val_int(pv->u.seq.items[i], &pt[i]))
			return p2o_fail(c, "pad must be a tuple of ints, entry %zu is not", i);
	}
	if (!mv || mv->kind != V_STR)
		return p2o_fail(c, "mode must be a string");
	if (!p2o_arg_is_none(a, "value")) {
		if (p2o_arg_float(c, a, "value", &value))
			return -1;
		if (value != 0 && strcmp(mv->u.s, "constant"))
			return p2o_fail(c, "value is only for mode='constant'");
	}
	return apply(c, x, pt, dyn ? pv->u.seq.items : NULL, (int)pv->u.seq.n, mv->u.s, value,
		     out);
}

#define L(name, sym, sig) \
	const struct p2o_converter p2o_cv_##sym = {name, P2O_CONV_LAYER, sig, NULL, NULL, call_layer};
L("ConstantPad1d", constant_pad1d, "padding, value")
L("ConstantPad2d", constant_pad2d, "padding, value")
L("ConstantPad3d", constant_pad3d, "padding, value")
L("CircularPad1d", circular_pad1d, "padding")
L("CircularPad2d", circular_pad2d, "padding")
L("CircularPad3d", circular_pad3d, "padding")
L("ReflectionPad1d", reflection_pad1d, "padding")
L("ReflectionPad2d", reflection_pad2d, "padding")
L("ReflectionPad3d", reflection_pad3d, "padding")
L("ReplicationPad1d", replication_pad1d, "padding")
L("ReplicationPad2d", replication_pad2d, "padding")
L("ReplicationPad3d", replication_pad3d, "padding")
L("ZeroPad1d", zero_pad1d, "padding")
L("ZeroPad2d", zero_pad2d, "padding")
L("ZeroPad3d", zero_pad3d, "padding")
const struct p2o_converter p2o_cv_pad = {"pad", 0, "input, pad, mode='constant', value=None",
					 NULL, NULL, call_fn};
