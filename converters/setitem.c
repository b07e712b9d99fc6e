/*
 * setitem.c — `x[index] = value` (also `x[index] += v`): the evaluator calls
 * setitem(x, index, value) and rebinds the assigned name (or attribute, or
 * outer item) to the result, an updated copy: Where(mask, value, x) with a
 * constant boolean mask of the selected elements.  Other names for the same
 * tensor (views, aliases) do not see the change, unlike PyTorch's write.
 *
 * index: ints, slices with bounds known at conversion time and positive
 * steps (as PyTorch requires), and `...`; every axis that is indexed
 * (not a plain `:`) needs a size known at conversion time.  value: a
 * number, or a tensor broadcastable to the selected region (then slices
 * must have step 1: the value is expanded to the region and padded to
 * x's shape).  Indexing by tensors, lists, None or bools is not supported.
 */
#include "fn_util.h"

#include <string.h>

enum { FULL, INT, SLICE, MAX_MASK = 1 << 24 };

struct sel {
	int kind;
	int64_t start, stop, step, count; /* INT: start */
};

static int parse_slice(struct p2o_ctx *c, struct p2o_val *s, int64_t n, struct sel *o)
{
	struct p2o_val **b = s->u.seq.items;
	int64_t v[3] = {0, n, 1};

	for (int i = 0; i < 3; i++)
		if (b[i]->kind != V_NONE && p2o_val_int(b[i], &v[i]))
			return p2o_fail(c, "in an assignment, slice bounds must be ints known at "
					"conversion time");
	if (v[2] <= 0)
		return p2o_fail(c, "slice steps must be positive, not %lld", (long long)v[2]);
	if (b[0]->kind == V_NONE && b[1]->kind == V_NONE && v[2] == 1)
		return o->kind = FULL, 0;
	if (n < 0)
		return p2o_fail(c, "assigning to a slice of a dimension of run-time size is not "
				"supported");
	for (int i = 0; i < 2; i++) {
		v[i] += v[i] < 0 ? n : 0;
		v[i] = v[i] < 0 ? 0 : v[i] > n ? n : v[i];
	}
	*o = (struct sel){SLICE, v[0], v[1], v[2], v[1] > v[0] ? (v[1] - v[0] + v[2] - 1) / v[2] : 0};
	return 0;
}

static int parse_index(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val *idx,
		       struct sel *sel)
{
	struct p2o_val **items = &idx;
	size_t n = 1, ell = 0;
	int axis = 0;

	if (idx->kind == V_TUPLE) {
		items = idx->u.seq.items;
		n = idx->u.seq.n;
	}
	for (size_t i = 0; i < n; i++)
		ell += items[i]->kind == V_ELLIPSIS;
	if (ell > 1 || (int)(n - ell) > x->rank)
		return p2o_fail(c, "too many indices for a %d-D tensor", x->rank);
	for (size_t i = 0; i < n; i++) {
		struct p2o_val *v = items[i];
		int64_t dim = axis < x->rank ? x->dims[axis].v : -1, k;
		if (v->kind == V_ELLIPSIS) {
			for (int e = 0; e < x->rank - (int)(n - 1); e++)
				sel[axis++].kind = FULL;
		} else if (v->kind == V_SLICE) {
			if (parse_slice(c, v, dim, &sel[axis++]))
				return -1;
		} else if (v->kind == V_INT && !p2o_val_int(v, &k)) {
			if (dim < 0)
				return p2o_fail(c, "assigning at an index of a dimension of run-time "
						"size is not supported");
			if (k < -dim || k >= dim)
				return p2o_fail(c, "index %lld is out of range for dimension %d of size "
						"%lld", (long long)k, axis, (long long)dim);
			sel[axis++] = (struct sel){INT, k < 0 ? k + dim : k, 0, 1, 1};
		} else {
			return p2o_fail(c, "in an assignment, indices must be ints, slices or ..., "
					"not %s", p2o_v_kind_name(v));
		}
	}
	while (axis < x->rank)
		sel[axis++].kind = FULL;
	return 0;
}

static int picked(const struct sel *s, int64_t i)
{
	if (s->kind == INT)
		return i == s->start;
	return i >= s->start && i < s->stop && (i - s->start) % s->step == 0;
}

/* The constant mask: size 1 on FULL axes, the dimension's size elsewhere. */
static struct p2o_value *mask_of(struct p2o_ctx *c, struct p2o_value *x, const struct sel *sel)
{
	int64_t shape[P2O_MAX_RANK], numel = 1, idx[P2O_MAX_RANK] = {0};
	unsigned char *m;

	for (int d = 0; d < x->rank; d++) {
		shape[d] = sel[d].kind == FULL ? 1 : x->dims[d].v;
		if ((numel *= shape[d]) > MAX_MASK)
			return p2o_fail(c, "the assigned region's mask would have over %d elements",
					MAX_MASK), NULL;
	}
	if (!(m = p2o_alloc_array(&c->g->arena, numel ? (size_t)numel : 1, 1)))
		return p2o_fail(c, "out of memory"), NULL;
	for (int64_t i = 0; i < numel; i++) {
		m[i] = 1;
		for (int d = 0; d < x->rank; d++)
			m[i] &= sel[d].kind == FULL || picked(&sel[d], idx[d]);
		for (int d = x->rank - 1; d >= 0 && ++idx[d] == shape[d]; d--)
			idx[d] = 0;
	}
	return p2o_graph_const(c->g, p2o_sprintf(&c->g->arena, "%s.mask", c->name), P2O_DT_BOOL,
			       x->rank, shape, m);
}

/* A tensor value placed in x's shape: unsqueezed to x's rank, expanded to
 * the region, padded with zeros around it. */
static struct p2o_value *place(struct p2o_ctx *c, struct p2o_value *x, struct p2o_value *v,
			       const struct sel *sel)
{
	int64_t axes[P2O_MAX_RANK], ex[P2O_MAX_RANK], pads[2 * P2O_MAX_RANK] = {0};
	int region = 0, na = 0, expand = 0, pad = 0;

	for (int d = 0; d < x->rank; d++)
		region += sel[d].kind != INT;
	if (v->rank < 0 || v->rank > region)
		return p2o_fail(c, "the assigned tensor has %d dimensions; the region has %d",
				v->rank, region), NULL;
	for (int i = 0; i < region - v->rank; i++)
		axes[na++] = i;
	if (na && !(v = p2o_emit_unsqueeze(c, v, axes, (size_t)na)))
		return NULL;
	na = 0;
	for (int d = 0; d < x->rank; d++)
		if (sel[d].kind == INT)
			axes[na++] = d;
	if (na && !(v = p2o_emit_unsqueeze(c, v, axes, (size_t)na)))
		return NULL;
	for (int d = 0; d < x->rank; d++) {
		int64_t vd = v->dims[d].v, n = x->dims[d].v;
		ex[d] = 1;
		if (sel[d].kind == FULL)
			continue;
		if (sel[d].kind == SLICE && sel[d].step != 1)
			return p2o_fail(c, "assigning a tensor to a slice with a step is not "
					"supported (only a number)"), NULL;
		if (vd >= 0 && vd != 1 && vd != sel[d].count)
			return p2o_fail(c, "the assigned tensor's size %lld does not match the region's "
					"%lld in dimension %d", (long long)vd, (long long)sel[d].count,
					d), NULL;
		expand |= vd != sel[d].count;
		ex[d] = sel[d].count;
		pads[d] = sel[d].start;
		pads[d + x->rank] = n - sel[d].start - sel[d].count;
		pad |= pads[d] || pads[d + x->rank];
	}
	if (expand) {
		struct p2o_value *ins[2] = {v, p2o_emit_ints(c, "region", ex, (size_t)x->rank)};
		if (!ins[1] || !(v = p2o_emit_binary(c, "Expand", ins[0], ins[1])))
			return NULL;
	}
	return pad ? p2o_emit_pad(c, v, pads, "constant", 0) : v;
}

static int call_setitem(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *ins[3];
	struct p2o_val *v = p2o_arg(a, "value");
	struct sel sel[P2O_MAX_RANK];
	struct p2o_node *n;

	(void)m;
	if (!x || (x->rank < 0 && p2o_fail(c, "assigning to part of a tensor of unknown rank "
						     "is not supported")))
		return -1;
	if (parse_index(c, x, p2o_arg(a, "index"), sel) || !(ins[0] = mask_of(c, x, sel)))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (v->kind == V_TENSOR)
		ins[1] = (ins[1] = p2o_cast(c, v->u.t, x->dtype)) ? place(c, x, ins[1], sel) : NULL;
	else
		ins[1] = p2o_operand(c, v, x->dtype, "value");
	ins[2] = x;
	if (!ins[1] || !(n = p2o_emit(c, "Where", ins, 3, 1)) || p2o_finish(c, n, NULL))
		return -1;
	memcpy(n->outputs[0]->dims, x->dims, sizeof x->dims);
	return p2o_result(c, n->outputs[0], out);
}

const struct p2o_converter p2o_cv_setitem = {"setitem", 0, "input, index, value", NULL, NULL,
					     call_setitem};
