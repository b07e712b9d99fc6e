/*
 * reshape.c — x.view(*shape), x.reshape(*shape), torch.reshape(x, shape)
 * -> Reshape.  The batch dimension never becomes a constant: a literal -1
 * stays -1, and x.size(d) of a dynamic dimension d at the same position
 * becomes 0 (copy), so `x.view(x.size(0), -1)` works at any batch size.
 */
#include "emit.h"

/* The requested shape as Reshape's int64 input. */
static int target_shape(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val *shape,
			int64_t *dims, int *rank)
{
	struct p2o_val **items = &shape;
	size_t n = 1;
	int minus = 0;

	if (shape->kind == V_TUPLE || shape->kind == V_LIST) {
		items = shape->u.seq.items;
		n = shape->u.seq.n;
		if (n == 1 && (items[0]->kind == V_TUPLE || items[0]->kind == V_LIST)) {
			items = items[0]->u.seq.items; /* view((a, b)) */
			n = shape->u.seq.items[0]->u.seq.n;
		}
	}
	if (n > P2O_MAX_RANK)
		return p2o_fail(c, "shape has more than %d dimensions", P2O_MAX_RANK);
	for (size_t i = 0; i < n; i++) {
		const struct p2o_val *v = items[i];
		if (v->kind != V_INT)
			return p2o_fail(c, "shape entries must be ints, not %s", p2o_v_kind_name(v));
		if (v->u.i >= 0 || (v->u.i == -1 && !v->sym_of)) {
			dims[i] = v->u.i;
		} else if (v->sym_of == x && v->sym_dim == (int)i) {
			dims[i] = 0; /* the same dynamic dimension, in place */
		} else if (!minus) {
			dims[i] = -1; /* the one dynamic size: inferred */
		} else {
			return p2o_fail(c, "this shape has more than one size known only at run time");
		}
		minus += dims[i] == -1;
		if (minus > 1)
			return p2o_fail(c, "only one dimension can be -1 (or dynamic)");
	}
	*rank = (int)n;
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *y;
	int64_t dims[P2O_MAX_RANK];
	int rank = 0;

	(void)m;
	if (!x || target_shape(c, x, p2o_arg(a, "shape"), dims, &rank) ||
	    !(y = p2o_emit_reshape(c, x, dims, (size_t)rank)))
		return -1;
	return p2o_result(c, y, out);
}

const struct p2o_converter p2o_cv_view = {"view", 0, "input, *shape", NULL, NULL, call};
const struct p2o_converter p2o_cv_reshape = {"reshape", 0, "input, *shape", NULL, NULL, call};
