/*
 * expand.c — x.expand(*sizes), x.expand_as(y), broadcast_to(x, shape) ->
 * Expand; x.repeat(*sizes) -> Tile (with Unsqueeze for new leading
 * dimensions).  In expand, -1 (and the size of the same dimension, even
 * when it is a dynamic batch) keeps a dimension: it becomes 1 in Expand's
 * shape, which broadcasting keeps, so no batch size is ever baked in.
 * Other run-time sizes are computed in the graph.
 */
#include "dyn_int.h"
#include "fn_util.h"

#include <string.h>

static int expand(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val **items, size_t n,
		  struct p2o_val **out)
{
	struct p2o_val *dyn[P2O_MAX_RANK] = {0};
	int64_t dims[P2O_MAX_RANK];
	struct p2o_value *ins[2];
	struct p2o_dim od[P2O_MAX_RANK];
	struct p2o_node *node;
	int off, same = 1;

	if (x->rank < 0 || n > P2O_MAX_RANK || n < (size_t)x->rank)
		return p2o_fail(c, "expand needs at least %d sizes for this input, %zu given",
				x->rank, n);
	off = (int)n - x->rank;
	for (int i = 0; i < (int)n; i++) {
		struct p2o_val *v = items[i];
		struct p2o_dim xd = i >= off ? x->dims[i - off] : (struct p2o_dim){1, NULL};
		od[i] = xd;
		dims[i] = 1;
		if (v->kind != V_INT)
			return p2o_fail(c, "sizes must be ints, not %s", p2o_v_kind_name(v));
		if (i >= off && (p2o_dyn_is_dim(v, x, i - off) ||
				  (!p2o_is_dyn_int(v) && v->u.i == -1)))
			continue; /* keep */
		if (p2o_is_dyn_int(v)) {
			dyn[i] = v;
			od[i] = v->sym_dim >= 0 ? v->sym_of->dims[v->sym_dim] : (struct p2o_dim){-1, NULL};
			same = 0;
			continue;
		}
		if (v->u.i < 0)
			return p2o_fail(c, "size %lld is not allowed here", (long long)v->u.i);
		if (xd.v >= 0 && xd.v != 1 && xd.v != v->u.i)
			return p2o_fail(c, "cannot expand dimension %d of size %lld to %lld",
					i - off, (long long)xd.v, (long long)v->u.i);
		dims[i] = v->u.i;
		od[i] = (struct p2o_dim){v->u.i, NULL};
		same &= xd.v == v->u.i;
	}
	if (same && off == 0)
		return p2o_result(c, x, out);
	ins[0] = x;
	if (!(ins[1] = p2o_int_vector(c, "shape", dyn, dims, n)) ||
	    !(node = p2o_emit(c, "Expand", ins, 2, 1)) || p2o_finish(c, node, NULL))
		return -1;
	node->outputs[0]->rank = (int)n;
	memcpy(node->outputs[0]->dims, od, n * sizeof *od);
	return p2o_result(c, node->outputs[0], out);
}

static int call_expand(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		       struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	struct p2o_val **items;
	size_t n;

	(void)m;
	if (!x)
		return -1;
	p2o_sizes_items(p2o_arg(a, "size"), &items, &n);
	return expand(c, x, items, n, out);
}

/* x.expand_as(y): y's sizes, as run-time sizes where they are dynamic */
static int call_expand_as(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *y = p2o_arg_tensor(c, a, "other");
	struct p2o_val *items[P2O_MAX_RANK];

	(void)m;
	if (!x || !y)
		return -1;
	if (y->rank < 0)
		return p2o_fail(c, "the rank of the other tensor must be known");
	for (int d = 0; d < y->rank; d++) {
		if (!(items[d] = p2o_v_int(&c->g->arena, y->dims[d].v >= 0 ? y->dims[d].v : -2)))
			return p2o_fail(c, "out of memory");
		items[d]->sym_of = y;
		items[d]->sym_dim = d;
	}
	return expand(c, x, items, (size_t)y->rank, out);
}

static int call_repeat(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		       struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *ins[2];
	int64_t reps[P2O_MAX_RANK], lead[P2O_MAX_RANK];
	struct p2o_val **items;
	struct p2o_node *node;
	size_t n;

	(void)m;
	if (!x)
		return -1;
	p2o_sizes_items(p2o_arg(a, "repeats"), &items, &n);
	if (x->rank < 0 || n > P2O_MAX_RANK || n < (size_t)x->rank)
		return p2o_fail(c, "repeat needs at least %d sizes for this input, %zu given",
				x->rank, n);
	for (size_t i = 0; i < n; i++)
		if (p2o_val_int(items[i], &reps[i]) || reps[i] < 0)
			return p2o_fail(c, "repeat takes non-negative ints known at conversion time");
	for (size_t i = 0; i < n - (size_t)x->rank; i++)
		lead[i] = (int64_t)i;
	if (n > (size_t)x->rank && !(x = p2o_emit_unsqueeze(c, x, lead, n - (size_t)x->rank)))
		return -1;
	ins[0] = x;
	if (!(ins[1] = p2o_emit_ints(c, "repeats", reps, n)) ||
	    !(node = p2o_emit(c, "Tile", ins, 2, 1)))
		return -1;
	return p2o_finish(c, node, out);
}

const struct p2o_converter p2o_cv_expand = {"expand", 0, "input, *size", NULL, NULL, call_expand};
const struct p2o_converter p2o_cv_broadcast_to = {"broadcast_to", 0, "input, size", NULL, NULL, call_expand};
const struct p2o_converter p2o_cv_expand_as = {"expand_as", 0, "input, other", NULL, NULL, call_expand_as};
const struct p2o_converter p2o_cv_repeat = {"repeat", 0, "input, *repeats", NULL, NULL, call_repeat};
