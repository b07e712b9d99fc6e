/* emit.c — opset-dependent node forms (see emit.h). */
#include "emit.h"

#include <stdio.h>
#include <string.h>

static struct p2o_value *finish(struct p2o_ctx *c, struct p2o_node *n)
{
	if (!n || p2o_finish(c, n, NULL))
		return NULL;
	return n->outputs[0];
}

struct p2o_value *p2o_emit_ints(struct p2o_ctx *c, const char *what, const int64_t *v,
				 size_t n)
{
	const char *name = p2o_sprintf(&c->g->arena, "%s.%s", c->name, what);
	struct p2o_value *k = name ? p2o_graph_const_i64(c->g, name, v, n) : NULL;

	if (!k)
		p2o_fail(c, "out of memory");
	return k;
}

struct p2o_value *p2o_emit_scalar(struct p2o_ctx *c, const char *what, enum p2o_dtype dt,
				   double v)
{
	const char *name = p2o_sprintf(&c->g->arena, "%s.%s", c->name, what);
	struct p2o_value *k = NULL;

	if (name && dt == P2O_DT_INT64) {
		int64_t i = (int64_t)v;
		k = p2o_graph_const(c->g, name, dt, 0, NULL, &i);
	} else if (name) {
		float f = (float)v;
		k = p2o_graph_const(c->g, name, P2O_DT_FLOAT32, 0, NULL, &f);
	}
	if (!k)
		p2o_fail(c, "out of memory");
	return k;
}

/* Squeeze/Unsqueeze/ReduceSum-13 style: axes as an attribute or an input. */
static struct p2o_value *with_axes(struct p2o_ctx *c, const char *op, struct p2o_value *x,
				   const int64_t *axes, size_t n, int as_input, int keepdims)
{
	struct p2o_value *ins[2] = {x, NULL};
	struct p2o_node *node;

	if (as_input && n && !(ins[1] = p2o_emit_ints(c, "axes", axes, n)))
		return NULL;
	if (!(node = p2o_emit(c, op, ins, ins[1] ? 2 : 1, 1)))
		return NULL;
	if (!as_input && n && p2o_attr_ints(c->g, node, "axes", axes, n))
		return p2o_fail(c, "out of memory"), NULL;
	if (keepdims >= 0 && p2o_attr_int(c->g, node, "keepdims", keepdims))
		return p2o_fail(c, "out of memory"), NULL;
	return finish(c, node);
}

struct p2o_value *p2o_emit_unsqueeze(struct p2o_ctx *c, struct p2o_value *x,
				     const int64_t *axes, size_t n)
{
	return with_axes(c, "Unsqueeze", x, axes, n, c->g->opset->axes_as_input, -1);
}

struct p2o_value *p2o_emit_squeeze(struct p2o_ctx *c, struct p2o_value *x,
				   const int64_t *axes, size_t n)
{
	return with_axes(c, "Squeeze", x, axes, n, c->g->opset->axes_as_input, -1);
}

struct p2o_value *p2o_emit_reduce(struct p2o_ctx *c, const char *op, struct p2o_value *x,
				  const int64_t *axes, size_t n, int keepdims)
{
	int as_input = !strcmp(op, "ReduceSum") ? c->g->opset->axes_as_input
						: c->g->opset->reduce_axes_input;
	return with_axes(c, op, x, axes, n, as_input, keepdims ? 1 : 0);
}

int p2o_emit_split(struct p2o_ctx *c, struct p2o_value *x, int64_t axis,
		   const int64_t *sizes, size_t nparts, struct p2o_value **outs)
{
	struct p2o_value *ins[2] = {x, NULL};
	struct p2o_node *n;

	if (c->g->opset->axes_as_input && !(ins[1] = p2o_emit_ints(c, "split", sizes, nparts)))
		return -1;
	if (!(n = p2o_emit(c, "Split", ins, ins[1] ? 2 : 1, nparts)) ||
	    p2o_attr_int(c->g, n, "axis", axis) ||
	    (!ins[1] && p2o_attr_ints(c->g, n, "split", sizes, nparts)))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, NULL))
		return -1;
	/* shape inference for Split: the parts of the input */
	for (size_t i = 0; i < nparts; i++) {
		struct p2o_value *o = n->outputs[i];
		o->dtype = x->dtype;
		o->rank = x->rank;
		memcpy(o->dims, x->dims, sizeof o->dims);
		if (x->rank > 0) {
			int64_t a = axis < 0 ? axis + x->rank : axis;
			o->dims[a] = (struct p2o_dim){sizes[i], NULL};
		}
		outs[i] = o;
	}
	return 0;
}

struct p2o_value *p2o_emit_slice(struct p2o_ctx *c, struct p2o_value *x,
				 const int64_t *starts, const int64_t *ends,
				 const int64_t *axes, const int64_t *steps, size_t n)
{
	struct p2o_value *ins[5] = {x};
	struct p2o_node *node;

	if (!(ins[1] = p2o_emit_ints(c, "starts", starts, n)) ||
	    !(ins[2] = p2o_emit_ints(c, "ends", ends, n)) ||
	    !(ins[3] = p2o_emit_ints(c, "axes", axes, n)) ||
	    (steps && !(ins[4] = p2o_emit_ints(c, "steps", steps, n))))
		return NULL;
	node = p2o_emit(c, "Slice", ins, steps ? 5 : 4, 1);
	return finish(c, node);
}

struct p2o_value *p2o_emit_clip(struct p2o_ctx *c, struct p2o_value *x, int has_lo,
				double lo, int has_hi, double hi)
{
	struct p2o_value *ins[3] = {x, NULL, NULL};

	if ((has_lo && !(ins[1] = p2o_emit_scalar(c, "min", x->dtype, lo))) ||
	    (has_hi && !(ins[2] = p2o_emit_scalar(c, "max", x->dtype, hi))))
		return NULL;
	return finish(c, p2o_emit(c, "Clip", ins, has_hi ? 3 : has_lo ? 2 : 1, 1));
}

struct p2o_value *p2o_emit_transpose(struct p2o_ctx *c, struct p2o_value *x,
				     const int64_t *perm, size_t n)
{
	struct p2o_node *node = p2o_emit(c, "Transpose", &x, 1, 1);

	if (node && p2o_attr_ints(c->g, node, "perm", perm, n))
		return p2o_fail(c, "out of memory"), NULL;
	return finish(c, node);
}

struct p2o_value *p2o_emit_reshape(struct p2o_ctx *c, struct p2o_value *x,
				   const int64_t *shape, size_t n)
{
	struct p2o_value *ins[2] = {x, p2o_emit_ints(c, "shape", shape, n)};

	return ins[1] ? finish(c, p2o_emit(c, "Reshape", ins, 2, 1)) : NULL;
}

struct p2o_value *p2o_emit_binary(struct p2o_ctx *c, const char *op, struct p2o_value *a,
				  struct p2o_value *b)
{
	struct p2o_value *ins[2] = {a, b};

	if (!a || !b) /* an operand failed: the error is already set */
		return NULL;
	return finish(c, p2o_emit(c, op, ins, 2, 1));
}

struct p2o_value *p2o_emit_unary(struct p2o_ctx *c, const char *op, struct p2o_value *x)
{
	if (!x)
		return NULL;
	return finish(c, p2o_emit(c, op, &x, 1, 1));
}

struct p2o_value *p2o_emit_binary_k(struct p2o_ctx *c, const char *op, struct p2o_value *x,
				    double k)
{
	struct p2o_value *kv;

	if (!x || !(kv = p2o_emit_scalar(c, "k", x->dtype, k)))
		return NULL;
	return p2o_emit_binary(c, op, x, kv);
}

struct p2o_value *p2o_emit_filled(struct p2o_ctx *c, const char *what, int rank,
				  const int64_t *shape, float v)
{
	const char *name = p2o_sprintf(&c->g->arena, "%s.%s", c->name, what);
	size_t n = 1;
	float *data;
	struct p2o_value *k = NULL;

	for (int d = 0; d < rank; d++)
		n *= (size_t)shape[d];
	if (name && (data = p2o_alloc_array(&c->g->arena, n ? n : 1, sizeof *data))) {
		for (size_t i = 0; i < n; i++)
			data[i] = v;
		k = p2o_graph_const(c->g, name, P2O_DT_FLOAT32, rank, shape, data);
	}
	if (!k)
		p2o_fail(c, "out of memory");
	return k;
}

struct p2o_value *p2o_emit_reshape_like(struct p2o_ctx *c, struct p2o_value *y,
				       struct p2o_value *x)
{
	int64_t shape[P2O_MAX_RANK];
	struct p2o_value *ins[2] = {y, NULL};
	struct p2o_node *n;
	int known = 1;

	if (x->rank < 1)
		return p2o_fail(c, "internal: reshape to the shape of a scalar"), NULL;
	shape[0] = 0;
	for (int d = 1; d < x->rank; d++)
		known &= (shape[d] = x->dims[d].v) >= 0;
	if (known)
		return p2o_emit_reshape(c, y, shape, (size_t)x->rank);
	if (!(ins[1] = p2o_emit_unary(c, "Shape", x)) || !(n = p2o_emit(c, "Reshape", ins, 2, 1)) ||
	    p2o_finish(c, n, NULL))
		return NULL;
	n->outputs[0]->dtype = x->dtype;
	n->outputs[0]->rank = x->rank;
	for (int d = 0; d < x->rank; d++)
		n->outputs[0]->dims[d] = x->dims[d];
	return n->outputs[0];
}

struct p2o_value *p2o_emit_concat(struct p2o_ctx *c, struct p2o_value *const *xs, size_t n,
				  int64_t axis)
{
	struct p2o_node *node = p2o_emit(c, "Concat", xs, n, 1);

	if (node && p2o_attr_int(c->g, node, "axis", axis))
		return p2o_fail(c, "out of memory"), NULL;
	return finish(c, node);
}

/* Circular padding of one axis: [x[-l:], x, x[:r]]. */
static struct p2o_value *pad_circular(struct p2o_ctx *c, struct p2o_value *x, int64_t axis,
				      int64_t l, int64_t r)
{
	struct p2o_value *parts[3];
	size_t n = 0;
	int64_t end = INT64_MAX, zero = 0;

	if (l > 0 && !(parts[n++] = p2o_emit_slice(c, x, (int64_t[]){-l}, &end, &axis, NULL, 1)))
		return NULL;
	parts[n++] = x;
	if (r > 0 && !(parts[n++] = p2o_emit_slice(c, x, &zero, &r, &axis, NULL, 1)))
		return NULL;
	return p2o_emit_concat(c, parts, n, axis);
}

struct p2o_value *p2o_emit_pad(struct p2o_ctx *c, struct p2o_value *x, const int64_t *pads,
			       const char *mode, double value)
{
	int64_t st[P2O_MAX_RANK], en[P2O_MAX_RANK], ax[P2O_MAX_RANK], pos[2 * P2O_MAX_RANK];
	int r = x->rank, ncrop = 0, npad = 0, circular = !strcmp(mode, "circular");
	int reflect = !strcmp(mode, "reflect");
	struct p2o_value *ins[3] = {NULL, NULL, NULL};
	struct p2o_node *n;

	if (r < 0 || r > P2O_MAX_RANK)
		return p2o_fail(c, "padding needs an input of known rank"), NULL;
	for (int a = 0; a < r; a++) {
		if (pads[a] < 0 || pads[a + r] < 0) {
			st[ncrop] = pads[a] < 0 ? -pads[a] : 0;
			en[ncrop] = pads[a + r] < 0 ? pads[a + r] : INT64_MAX;
			ax[ncrop++] = a;
		}
		pos[a] = pads[a] > 0 ? pads[a] : 0;
		pos[a + r] = pads[a + r] > 0 ? pads[a + r] : 0;
		npad += pos[a] || pos[a + r];
	}
	if (ncrop && !reflect && !(x = p2o_emit_slice(c, x, st, en, ax, NULL, (size_t)ncrop)))
		return NULL;
	if (!npad)
		return x;
	if (circular) {
		for (int a = 0; a < r && x; a++)
			if (pos[a] || pos[a + r])
				x = pad_circular(c, x, a, pos[a], pos[a + r]);
		return x;
	}
	if (reflect && ncrop) { /* reflect the whole input, then crop */
		struct p2o_value *y = p2o_emit_pad(c, x, pos, mode, 0);
		return y ? p2o_emit_slice(c, y, st, en, ax, NULL, (size_t)ncrop) : NULL;
	}
	ins[0] = x;
	if (!(ins[1] = p2o_emit_ints(c, "pads", pos, 2 * (size_t)r)))
		return NULL;
	if (!strcmp(mode, "constant") && value != 0 &&
	    !(ins[2] = p2o_emit_scalar(c, "value", x->dtype, value)))
		return NULL;
	if (!(n = p2o_emit(c, "Pad", ins, ins[2] ? 3 : 2, 1)))
		return NULL;
	if (strcmp(mode, "constant") && p2o_attr_string(c->g, n, "mode", mode))
		return p2o_fail(c, "out of memory"), NULL;
	return finish(c, n);
}

/* span = the positions a window can start at - 1; the extra window
 * ceil_mode adds (when span % s) starts at (span / s + 1) * s */
static int64_t pool_span(const struct p2o_value *x, int d, int sp, const int64_t *k,
			 const int64_t *pads, const int64_t *dil)
{
	return x->dims[2 + d].v + pads[d] + pads[d + sp] - (dil ? dil[d] : 1) * (k[d] - 1) - 1;
}

int p2o_pool_ceil_mode(const struct p2o_value *x, int sp, const int64_t *k, const int64_t *s,
		       int64_t *pads, const int64_t *dil)
{
	int need = 0;

	for (int d = 0; d < sp; d++) {
		int64_t in = x->dims[2 + d].v, span = pool_span(x, d, sp, k, pads, dil);
		if (in < 0 || (span % s[d] && (span / s[d] + 1) * s[d] < in + pads[d]))
			need = 1;
	}
	for (int d = 0; need && d < sp; d++) {
		int64_t in = x->dims[2 + d].v, span = pool_span(x, d, sp, k, pads, dil);
		if (in >= 0 && span >= 0 && span % s[d] && (span / s[d] + 1) * s[d] >= in + pads[d] &&
		    span % s[d] <= pads[d + sp])
			pads[d + sp] -= span % s[d]; /* a dropped extra window: end padding */
	}
	return need;
}
