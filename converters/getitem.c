/*
 * getitem.c — x[index]: ints -> Gather with a scalar index (the dimension
 * goes), slices -> one Slice (negative indices and steps; an open end is
 * INT64_MAX, so no size is baked in; bounds may be run-time sizes), None
 * -> Unsqueeze, ... -> as many full slices as needed, a tensor or a list
 * of ints -> Gather (index_select: one per index; not with ints).  Boolean
 * masks are not supported (the result's size depends on the data).
 */
#include "dyn_int.h"
#include "fn_util.h"

enum { MAXI = 2 * P2O_MAX_RANK };

struct plan {
	int64_t sl_axes[P2O_MAX_RANK], sl_known[2][P2O_MAX_RANK], sl_steps[P2O_MAX_RANK];
	struct p2o_val *sl_dyn[2][P2O_MAX_RANK];
	size_t nsl, nint, nnew;
	int64_t int_axes[P2O_MAX_RANK], int_idx[P2O_MAX_RANK], new_axes[MAXI];
	struct p2o_val *tensor; /* a tensor or list index */
	int64_t tensor_axis;
	int dyn_bounds;
};

/* One slice bound: None -> dflt, an int, or a run-time size. */
static int bound(struct p2o_ctx *c, struct plan *p, int which, struct p2o_val *v, int64_t dflt)
{
	struct p2o_val **dyn = &p->sl_dyn[which][p->nsl];
	int64_t *k = &p->sl_known[which][p->nsl];

	*k = dflt;
	if (v->kind == V_NONE)
		return 0;
	if (p2o_is_dyn_int(v)) {
		*dyn = v;
		p->dyn_bounds = 1;
		return 0;
	}
	return p2o_val_int(v, k) ? p2o_fail(c, "slice bounds must be ints, not %s",
					    p2o_v_kind_name(v)) : 0;
}

static int add_slice(struct p2o_ctx *c, struct plan *p, struct p2o_val *s, int64_t axis)
{
	struct p2o_val **b = s->u.seq.items;
	int64_t step = 1;

	if (b[2]->kind != V_NONE && (p2o_val_int(b[2], &step) || step == 0))
		return p2o_fail(c, "a slice step must be a non-zero int");
	if (b[0]->kind == V_NONE && b[1]->kind == V_NONE && step == 1)
		return 0; /* ':' keeps the dimension */
	p->sl_dyn[0][p->nsl] = p->sl_dyn[1][p->nsl] = NULL;
	if (bound(c, p, 0, b[0], step > 0 ? 0 : -1) ||
	    bound(c, p, 1, b[1], step > 0 ? INT64_MAX : INT64_MIN))
		return -1;
	p->sl_axes[p->nsl] = axis;
	p->sl_steps[p->nsl++] = step;
	return 0;
}

static int make_plan(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val *index,
		     struct plan *p)
{
	struct p2o_val **items = &index;
	size_t n = 1, used = 0, ell = 0;
	int64_t d = 0, od = 0;

	if (index->kind == V_TUPLE) {
		items = index->u.seq.items;
		n = index->u.seq.n;
	}
	for (size_t i = 0; i < n; i++) {
		enum p2o_vkind k = items[i]->kind;
		used += k != V_NONE && k != V_ELLIPSIS;
		ell += k == V_ELLIPSIS;
	}
	if (x->rank < 0)
		return p2o_fail(c, "indexing needs an input of known rank");
	if (ell > 1 || used > (size_t)x->rank || n > MAXI)
		return p2o_fail(c, ell > 1 ? "an index can have only one '...'" :
				"too many indices for a %d-D tensor", x->rank);
	for (size_t i = 0; i < n; i++) {
		struct p2o_val *v = items[i];
		int64_t k;
		if (v->kind == V_ELLIPSIS) {
			d += x->rank - (int64_t)used;
			od += x->rank - (int64_t)used;
		} else if (v->kind == V_NONE) {
			p->new_axes[p->nnew++] = od++;
		} else if (v->kind == V_SLICE) {
			if (add_slice(c, p, v, d++))
				return -1;
			od++;
		} else if (v->kind == V_TENSOR || v->kind == V_LIST) {
			if (p->tensor)
				return p2o_fail(c, "only one tensor or list index is supported");
			p->tensor = v;
			p->tensor_axis = d++;
			od += v->kind == V_LIST ? 1 : v->u.t->rank;
		} else if (p2o_val_int(v, &k) == 0 && v->kind == V_INT) {
			if (x->dims[d].v >= 0 && (k >= x->dims[d].v || k < -x->dims[d].v))
				return p2o_fail(c, "index %lld is out of range for dimension %lld of "
						"size %lld", (long long)k, (long long)d,
						(long long)x->dims[d].v);
			p->int_axes[p->nint] = d++;
			p->int_idx[p->nint++] = k;
		} else {
			char got[64];
			p2o_v_repr(v, got, sizeof got);
			return p2o_fail(c, "unsupported index %s %s (ints known at conversion time, "
					"slices, None, ... and one int tensor are supported)",
					p2o_v_kind_name(v), got);
		}
	}
	if (p->tensor && p->nint)
		return p2o_fail(c, "a tensor index together with int indices is not supported");
	return 0;
}

static struct p2o_value *slice(struct p2o_ctx *c, struct p2o_value *x, struct plan *p)
{
	struct p2o_value *ins[5] = {x};
	struct p2o_node *n;

	int unit = 1;

	for (size_t i = 0; i < p->nsl; i++)
		unit &= p->sl_steps[i] == 1;
	if (!p->dyn_bounds)
		return p2o_emit_slice(c, x, p->sl_known[0], p->sl_known[1], p->sl_axes,
				      unit ? NULL : p->sl_steps, p->nsl);
	if (!(ins[1] = p2o_int_vector(c, "starts", p->sl_dyn[0], p->sl_known[0], p->nsl)) ||
	    !(ins[2] = p2o_int_vector(c, "ends", p->sl_dyn[1], p->sl_known[1], p->nsl)) ||
	    !(ins[3] = p2o_emit_ints(c, "axes", p->sl_axes, p->nsl)) ||
	    !(ins[4] = p2o_emit_ints(c, "steps", p->sl_steps, p->nsl)) ||
	    !(n = p2o_emit(c, "Slice", ins, 5, 1)) || p2o_finish(c, n, NULL))
		return NULL;
	return n->outputs[0];
}

static struct p2o_value *gather(struct p2o_ctx *c, struct p2o_value *x, struct p2o_value *idx,
				int64_t axis)
{
	struct p2o_value *ins[2] = {x, idx};
	struct p2o_node *n = p2o_emit(c, "Gather", ins, 2, 1);

	if (!n || p2o_attr_int(c->g, n, "axis", axis) || p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return n->outputs[0];
}

/* A list of ints as a 1-D int64 index; a tensor index as int64. */
static struct p2o_value *index_value(struct p2o_ctx *c, struct p2o_val *v)
{
	int64_t k[4096];

	if (v->kind == V_TENSOR) {
		if (v->u.t->dtype == P2O_DT_BOOL || p2o_is_float_dt(v->u.t->dtype)) {
			p2o_fail(c, "only int tensors can index (boolean masks are not supported)");
			return NULL;
		}
		return p2o_cast(c, v->u.t, P2O_DT_INT64);
	}
	if (!v->u.seq.n || v->u.seq.n > P2O_ARRAY_LEN(k)) {
		p2o_fail(c, "an index list must have 1 to %zu ints", P2O_ARRAY_LEN(k));
		return NULL;
	}
	for (size_t i = 0; i < v->u.seq.n; i++)
		if (p2o_val_int(v->u.seq.items[i], &k[i])) {
			p2o_fail(c, "an index list must hold ints known at conversion time");
			return NULL;
		}
	return p2o_emit_ints(c, "index", k, v->u.seq.n);
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *k;
	struct plan p = {0};

	(void)m;
	if (!x || make_plan(c, x, p2o_arg(a, "index"), &p))
		return -1;
	if (p.nsl && !(x = slice(c, x, &p)))
		return -1;
	for (size_t i = p.nint; i-- > 0;) { /* last axis first: the others stay put */
		const char *name = p2o_sprintf(&c->g->arena, "%s.index", c->name);
		if (!name || !(k = p2o_graph_const(c->g, name, P2O_DT_INT64, 0, NULL, &p.int_idx[i])) ||
		    !(x = gather(c, x, k, p.int_axes[i])))
			return c->err->code ? -1 : p2o_fail(c, "out of memory");
	}
	if (p.tensor && (!(k = index_value(c, p.tensor)) || !(x = gather(c, x, k, p.tensor_axis))))
		return -1;
	if (p.nnew && !(x = p2o_emit_unsqueeze(c, x, p.new_axes, p.nnew)))
		return -1;
	return p2o_result(c, x, out);
}

const struct p2o_converter p2o_cv_getitem = {"getitem", 0, "input, index", NULL, NULL, call};
