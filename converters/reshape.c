/*
 * reshape.c — x.view(*shape), x.reshape(*shape), torch.reshape(x, shape),
 * x.view_as(y), x.reshape_as(y) -> Reshape.  The batch dimension never
 * becomes a constant: a literal -1 stays -1; a size known only at run time
 * (x.size(0) of a dynamic batch) at its own position becomes 0 (copy);
 * one other such size becomes -1 (inferred); beyond that the shape is
 * computed in the graph (Concat of constants and Shape-derived sizes), so
 * `x.reshape(b * 2, -1)` and `x.view(b, c // g, g, h, w)` work at any batch.
 */
#include "dyn_int.h"
#include "fn_util.h"

#include <string.h>

static int reshape(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val *shape,
		   struct p2o_val **out)
{
	struct p2o_val **items, *dyn[P2O_MAX_RANK] = {0};
	int64_t dims[P2O_MAX_RANK];
	size_t n, ndyn = 0, minus = 0, last = 0;
	struct p2o_value *s, *ins[2];
	struct p2o_node *node;

	p2o_sizes_items(shape, &items, &n);
	if (n > P2O_MAX_RANK)
		return p2o_fail(c, "shape has more than %d dimensions", P2O_MAX_RANK);
	for (size_t i = 0; i < n; i++) {
		struct p2o_val *v = items[i];
		if (v->kind != V_INT)
			return p2o_fail(c, "shape entries must be ints, not %s", p2o_v_kind_name(v));
		if (p2o_dyn_is_dim(v, x, (int)i)) {
			dims[i] = 0; /* the same dynamic dimension, in place */
		} else if (p2o_is_dyn_int(v)) {
			dims[i] = -1;
			dyn[i] = v;
			ndyn++;
			last = i;
		} else if (v->u.i == -1 || v->u.i > 0) {
			dims[i] = v->u.i;
			minus += v->u.i == -1;
		} else {
			return p2o_fail(c, "shape entries must be positive or -1, not %lld",
					(long long)v->u.i);
		}
	}
	if (minus > 1)
		return p2o_fail(c, "only one dimension can be -1");
	if (ndyn == 0 || (ndyn == 1 && !minus)) { /* a constant shape */
		if (ndyn)
			dyn[last] = NULL; /* the one run-time size: inferred (-1) */
		if (!(x = p2o_emit_reshape(c, x, dims, n)))
			return -1;
		return p2o_result(c, x, out);
	}
	ins[0] = x;
	if (!(ins[1] = s = p2o_int_vector(c, "shape", dyn, dims, n)) ||
	    !(node = p2o_emit(c, "Reshape", ins, 2, 1)) || p2o_finish(c, node, NULL))
		return -1;
	/* what is known of the output: constants, copies, run-time sizes that
	 * are a dimension of some tensor */
	struct p2o_value *o = node->outputs[0];
	for (size_t i = 0; i < n && o->rank == (int)n; i++) {
		if (dims[i] > 0)
			o->dims[i] = (struct p2o_dim){dims[i], NULL};
		else if (dims[i] == 0)
			o->dims[i] = x->dims[i];
		else if (dyn[i] && dyn[i]->sym_dim >= 0)
			o->dims[i] = dyn[i]->sym_of->dims[dyn[i]->sym_dim];
	}
	return p2o_result(c, o, out);
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");

	(void)m;
	return x ? reshape(c, x, p2o_arg(a, "shape"), out) : -1;
}

/* x.view_as(y): y's shape, constant when y's sizes are known. */
static int call_as(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *y = p2o_arg_tensor(c, a, "other");
	struct p2o_value *ins[2];
	int64_t dims[P2O_MAX_RANK];
	struct p2o_node *n;
	int known = 1;

	(void)m;
	if (!x || !y)
		return -1;
	if (y->rank < 0)
		return p2o_fail(c, "the rank of the other tensor must be known");
	for (int d = 0; d < y->rank; d++) {
		dims[d] = y->dims[d].v;
		if (dims[d] < 0 && d < x->rank && x->dims[d].sym && y->dims[d].sym &&
		    !strcmp(x->dims[d].sym, y->dims[d].sym))
			dims[d] = 0;
		known &= dims[d] >= 0;
	}
	if (known) {
		if (!(x = p2o_emit_reshape(c, x, dims, (size_t)y->rank)))
			return -1;
		return p2o_result(c, x, out);
	}
	ins[0] = x;
	if (!(n = p2o_emit(c, "Shape", &y, 1, 1)) || p2o_finish(c, n, NULL))
		return -1;
	ins[1] = n->outputs[0];
	if (!(n = p2o_emit(c, "Reshape", ins, 2, 1)) || p2o_finish(c, n, NULL))
		return -1;
	memcpy(n->outputs[0]->dims, y->dims, sizeof y->dims);
	n->outputs[0]->rank = y->rank;
	return p2o_result(c, n->outputs[0], out);
}

const struct p2o_converter p2o_cv_view = {"view", 0, "input, *shape", NULL, NULL, call};
const struct p2o_converter p2o_cv_reshape = {"reshape", 0, "input, *shape", NULL, NULL, call};
const struct p2o_converter p2o_cv_view_as = {"view_as", 0, "input, other", NULL, NULL, call_as};
const struct p2o_converter p2o_cv_reshape_as = {"reshape_as", 0, "input, other", NULL, NULL, call_as};
