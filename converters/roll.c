/*
 * roll.c — torch.roll(input, shifts, dims=None) and x.roll(...).  ONNX has
 * no Roll: rolling one axis by s is Concat(x[n-s:], x[:n-s]) along it, s
 * taken modulo the axis size n when n is known (any shift, negative too;
 * a multiple of n is no node at all).  On an axis of run-time size the
 * slices are x[-s:], x[:-s], which is right when |s| < n at run time.
 * shifts and dims may be tuples of equal length (each axis rolled in turn;
 * a repeated dim adds its shifts, as PyTorch does); dims=None rolls the
 * flattened tensor by one shift and restores the shape.
 */
#include "fn_util.h"

#include <string.h>

static struct p2o_value *roll_axis(struct p2o_ctx *c, struct p2o_value *x, int64_t axis,
				   int64_t s)
{
	int64_t n = x->dims[axis].v, split, zero = 0, end = INT64_MAX;
	struct p2o_value *parts[2];

	if (n >= 0) {
		if (n == 0 || (s %= n) == 0)
			return x;
		split = s > 0 ? n - s : -s;
	} else {
		if (s == 0)
			return x;
		split = -s;
	}
	if (!(parts[0] = p2o_emit_slice(c, x, &split, &end, &axis, NULL, 1)) ||
	    !(parts[1] = p2o_emit_slice(c, x, &zero, &split, &axis, NULL, 1)) ||
	    !(parts[0] = p2o_emit_concat(c, parts, 2, axis)))
		return NULL;
	/* the shape does not change (a dynamic size keeps its name) */
	memcpy(parts[0]->dims, x->dims, sizeof x->dims);
	return parts[0];
}

/* shifts or dims: an int or a tuple/list of ints. */
static int int_list(struct p2o_ctx *c, struct p2o_val *v, const char *what, int64_t *out,
		    size_t *n)
{
	struct p2o_val **items = &v;

	*n = 1;
	if (v->kind == V_TUPLE || v->kind == V_LIST) {
		items = v->u.seq.items;
		*n = v->u.seq.n;
	}
	if (*n == 0 || *n > P2O_MAX_RANK)
		return p2o_fail(c, "roll: %s must hold 1 to %d ints, not %zu", what, P2O_MAX_RANK,
				*n);
	for (size_t i = 0; i < *n; i++)
		if (p2o_val_int(items[i], &out[i]))
			return p2o_fail(c, "roll: %s must be ints known at conversion time, not %s",
					what, p2o_v_kind_name(items[i]));
	return 0;
}

/* dims=None: roll x.flatten() and reshape back. */
static struct p2o_value *roll_flat(struct p2o_ctx *c, struct p2o_value *x, int64_t s)
{
	int64_t flat = -1, shape[P2O_MAX_RANK];
	struct p2o_value *y, *ins[2];
	struct p2o_node *n;
	int known = 1;

	for (int d = 0; d < x->rank; d++)
		known &= (shape[d] = x->dims[d].v) >= 0;
	if (!(y = p2o_emit_reshape(c, x, &flat, 1)) || !(y = roll_axis(c, y, 0, s)))
		return NULL;
	if (known)
		return p2o_emit_reshape(c, y, shape, (size_t)x->rank);
	ins[0] = y;
	if (!(ins[1] = p2o_emit_unary(c, "Shape", x)) || !(n = p2o_emit(c, "Reshape", ins, 2, 1)) ||
	    p2o_finish(c, n, NULL))
		return NULL;
	n->outputs[0]->rank = x->rank;
	memcpy(n->outputs[0]->dims, x->dims, sizeof x->dims);
	return n->outputs[0];
}

static int call_roll(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t shifts[P2O_MAX_RANK], dims[P2O_MAX_RANK];
	size_t ns, nd;

	(void)m;
	if (!x || int_list(c, p2o_arg(a, "shifts"), "shifts", shifts, &ns))
		return -1;
	if (x->rank < 0)
		return p2o_fail(c, "roll needs an input of known rank");
	if (p2o_arg_is_none(a, "dims")) {
		if (ns != 1)
			return p2o_fail(c, "roll without dims takes one shift, not %zu", ns);
		x = roll_flat(c, x, shifts[0]);
		return x ? p2o_result(c, x, out) : -1;
	}
	if (int_list(c, p2o_arg(a, "dims"), "dims", dims, &nd))
		return -1;
	if (nd != ns)
		return p2o_fail(c, "roll: %zu shifts but %zu dims (they must match)", ns, nd);
	for (size_t i = 0; i < nd && x; i++) {
		int64_t axis;
		if (p2o_axis(c, dims[i], x->rank, &axis))
			return -1;
		x = roll_axis(c, x, axis, shifts[i]);
	}
	return x ? p2o_result(c, x, out) : -1;
}

const struct p2o_converter p2o_cv_roll = {"roll", 0, "input, shifts, dims=None", NULL, NULL,
					  call_roll};
