/* shape_infer_fn.c — shape rules for the ops the function converters emit
 * that shape_infer.c's table lacks: ArgMax/ArgMin, more reductions,
 * comparisons, Expand, Tile, Einsum, Range and elementwise math. */
#include "shape_infer.h"

#include <string.h>

static const struct p2o_dim UNKNOWN = {-1, NULL};

static int fail(struct p2o_err *err, const struct p2o_node *n, const char *msg)
{
	return p2o_errf(err, P2O_ECONVERT, n->name, "%s: %s", n->op, msg);
}

static int64_t attr_int(const struct p2o_node *n, const char *name, int64_t dflt)
{
	const struct p2o_attr *a = p2o_node_attr(n, name);
	return a ? a->i : dflt;
}

/* A rule of shape_infer.c's table applied as another op ("Equal"). */
static int as_op(struct p2o_graph *g, struct p2o_node *n, const char *op, struct p2o_err *err)
{
	struct p2o_node tmp = *n;

	tmp.op = op;
	return p2o_infer_node(g, &tmp, err);
}

static int arg_reduce(struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t axis = attr_int(n, "axis", 0);
	int keep = (int)attr_int(n, "keepdims", 1);

	o->dtype = P2O_DT_INT64;
	o->rank = -1;
	if (x->rank < 0)
		return 0;
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis >= x->rank)
		return fail(err, n, "axis out of range");
	o->rank = 0;
	for (int d = 0; d < x->rank; d++)
		if (d != axis)
			o->dims[o->rank++] = x->dims[d];
		else if (keep)
			o->dims[o->rank++] = (struct p2o_dim){1, NULL};
	return 0;
}

/* Expand: numpy broadcasting of the input with the target shape. */
static int expand(struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0], *s = n->inputs[1];
	struct p2o_value *o = n->outputs[0];
	int64_t shape[P2O_MAX_RANK];
	long r = p2o_const_ints(s, shape, P2O_MAX_RANK);

	o->dtype = x->dtype;
	o->rank = -1;
	if (x->rank < 0)
		return 0;
	if (r < 0) { /* computed shape: its length gives the rank */
		if (s->rank == 1 && s->dims[0].v >= 0) {
			o->rank = (int)(s->dims[0].v > x->rank ? s->dims[0].v : x->rank);
			for (int d = 0; d < o->rank; d++)
				o->dims[d] = UNKNOWN;
		}
		return 0;
	}
	o->rank = (int)(r > x->rank ? r : x->rank);
	for (int d = 0; d < o->rank; d++) {
		int k = d - (o->rank - x->rank), j = d - (o->rank - (int)r);
		struct p2o_dim xd = k >= 0 ? x->dims[k] : (struct p2o_dim){1, NULL};
		int64_t sd = j >= 0 ? shape[j] : 1;
		if (sd == 1 || sd == xd.v)
			o->dims[d] = xd;
		else if (xd.v == 1 || xd.v < 0)
			o->dims[d] = (struct p2o_dim){sd, NULL};
		else
			return fail(err, n, "the shape does not broadcast with the input");
	}
	return 0;
}

static int tile(struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t rep[P2O_MAX_RANK];
	long r = p2o_const_ints(n->inputs[1], rep, P2O_MAX_RANK);

	o->dtype = x->dtype;
	o->rank = x->rank;
	if (x->rank < 0)
		return 0;
	if (r >= 0 && r != x->rank)
		return fail(err, n, "repeats must have one entry per dimension");
	for (int d = 0; d < x->rank; d++)
		if (r < 0 || (x->dims[d].v < 0 && rep[d] != 1))
			o->dims[d] = UNKNOWN;
		else
			o->dims[d] = rep[d] == 1 ? x->dims[d]
						 : (struct p2o_dim){x->dims[d].v * rep[d], NULL};
	return 0;
}

/* Einsum "ab,bc->ac" (lower-case labels, as converters/einsum.c writes
 * it): each output label takes its size from the operands; an ellipsis or
 * an implicit output leaves the shape unknown. */
static int einsum(struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_attr *eq = p2o_node_attr(n, "equation");
	const char *arrow = eq && eq->s ? strstr(eq->s, "->") : NULL;
	struct p2o_dim size[26];
	int seen[26] = {0}, pos = 0;
	size_t term = 0;
	struct p2o_value *o = n->outputs[0];

	o->dtype = n->inputs[0]->dtype;
	o->rank = -1;
	if (!arrow || strstr(eq->s, "..."))
		return 0;
	for (const char *s = eq->s; s <= arrow; s++) {
		if (*s >= 'a' && *s <= 'z') {
			const struct p2o_value *x = term < n->nin ? n->inputs[term] : NULL;
			if (!x || x->rank < 0 || pos >= x->rank)
				return x && x->rank < 0 ? 0 : fail(err, n, "the equation does not fit the inputs");
			if (!seen[*s - 'a']++ || size[*s - 'a'].v < 0)
				size[*s - 'a'] = x->dims[pos];
			pos++;
		} else if (*s == ',' || s == arrow) {
			term++;
			pos = 0;
		}
	}
	o->rank = 0;
	for (const char *s = arrow + 2; *s; s++) {
		if (*s < 'a' || *s > 'z' || !seen[*s - 'a'] || o->rank >= P2O_MAX_RANK)
			return fail(err, n, "bad output term in the equation");
		o->dims[o->rank++] = size[*s - 'a'];
	}
	return 0;
}

/* Range(start, limit, delta): 1-D, max(ceil((limit - start) / delta), 0)
 * elements when all three are int constants, else of unknown size. */
static int range(struct p2o_node *n)
{
	int64_t v[3];
	struct p2o_value *o = n->outputs[0];

	o->dtype = n->inputs[0]->dtype;
	o->rank = 1;
	o->dims[0] = UNKNOWN;
	for (int i = 0; i < 3; i++)
		if (p2o_const_ints(n->inputs[i], &v[i], 1) != 1)
			return 0;
	if (v[2] != 0) {
		int64_t d = v[1] - v[0], q = d / v[2] + (d % v[2] != 0 && (d < 0) == (v[2] < 0));
		o->dims[0].v = q > 0 ? q : 0;
	}
	return 0;
}

int p2o_infer_fn_ops(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	static const char *const SAME[] = {"Acos", "Asin", "Atan", "Cosh", "Sinh", "Tan"};
	static const char *const REDUCE[] = {"ReduceL1", "ReduceL2", "ReduceLogSumExp",
					     "ReduceProd", "ReduceSumSquare"};
	const char *op = n->op;

	for (size_t i = 0; i < P2O_ARRAY_LEN(SAME); i++)
		if (!strcmp(op, SAME[i]))
			return as_op(g, n, "Abs", err);
	for (size_t i = 0; i < P2O_ARRAY_LEN(REDUCE); i++)
		if (!strcmp(op, REDUCE[i]))
			return p2o_infer_reduce(g, n, err);
	if (!strcmp(op, "LessOrEqual") || !strcmp(op, "GreaterOrEqual") || !strcmp(op, "Xor"))
		return as_op(g, n, "Equal", err);
	if (!strcmp(op, "ArgMax") || !strcmp(op, "ArgMin"))
		return arg_reduce(n, err);
	if (!strcmp(op, "Expand"))
		return expand(n, err);
	if (!strcmp(op, "Tile"))
		return tile(n, err);
	if (!strcmp(op, "Einsum"))
		return einsum(n, err);
	if (!strcmp(op, "Range"))
		return range(n);
	return 1; /* not an op of this table */
}
