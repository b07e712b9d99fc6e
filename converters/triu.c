/*
 * triu.c — torch.triu(input, diagonal=0) and torch.tril (functions and
 * tensor methods): zero the elements below (triu) or above (tril) the
 * given diagonal of the last two dimensions; any rank >= 2, any dtype.
 * One form for every opset (ONNX Trilu needs opset 14): Where(drop, 0, x)
 * (And(x, Not(drop)) for bool x) with drop = (col - row < diagonal) for
 * triu, (col - row > diagonal) for tril.  The [rows, cols] mask is a constant when both sizes are known at
 * conversion time (and small), else computed from Shape(x): Range(0, n, 1)
 * row and column numbers.  The mask broadcasts over leading dimensions.
 */
#include "fn_util.h"

#include <string.h>

enum { MAX_CONST_MASK = 1 << 22 };

/* Range(0, x.shape[axis], 1): the indices along a trailing axis of x. */
static struct p2o_value *indices(struct p2o_ctx *c, struct p2o_value *shape,
				 const struct p2o_value *x, int axis, const char *what)
{
	struct p2o_value *ins[3];
	struct p2o_node *n;

	if (!(ins[0] = p2o_emit_scalar(c, "zero_index", P2O_DT_INT64, 0)) ||
	    !(ins[2] = p2o_emit_scalar(c, "one_step", P2O_DT_INT64, 1)) ||
	    !(ins[1] = p2o_emit_scalar(c, what, P2O_DT_INT64, axis)) ||
	    !(n = p2o_emit(c, "Gather", (struct p2o_value *[]){shape, ins[1]}, 2, 1)) ||
	    p2o_finish(c, n, NULL))
		return NULL;
	ins[1] = n->outputs[0];
	if (!(n = p2o_emit(c, "Range", ins, 3, 1)) || p2o_finish(c, n, NULL))
		return NULL;
	n->outputs[0]->dims[0] = x->dims[axis]; /* the same size, symbolic or not */
	return n->outputs[0];
}

/* The bool mask [rows, cols] of the elements to zero. */
static struct p2o_value *drop_mask(struct p2o_ctx *c, struct p2o_value *x, int upper,
				   int64_t k)
{
	int64_t R = x->dims[x->rank - 2].v, C = x->dims[x->rank - 1].v;
	struct p2o_value *shape, *rows, *cols;
	struct p2o_node *n;

	if (R >= 0 && C >= 0 && (C == 0 || R <= MAX_CONST_MASK / C)) {
		unsigned char *m = p2o_alloc_array(&c->g->arena, (size_t)(R * C) + 1, 1);
		struct p2o_value *v;
		if (!m)
			return p2o_fail(c, "out of memory"), NULL;
		for (int64_t i = 0; i < R; i++)
			for (int64_t j = 0; j < C; j++)
				m[i * C + j] = upper ? j - i < k : j - i > k;
		v = p2o_graph_const(c->g, p2o_sprintf(&c->g->arena, "%s.mask", c->name),
				    P2O_DT_BOOL, 2, (int64_t[]){R, C}, m);
		return v ? v : (p2o_fail(c, "out of memory"), NULL);
	}
	if (!(n = p2o_emit(c, "Shape", &x, 1, 1)) || p2o_finish(c, n, NULL))
		return NULL;
	shape = n->outputs[0];
	if (!(rows = indices(c, shape, x, x->rank - 2, "row_axis")) ||
	    !(cols = indices(c, shape, x, x->rank - 1, "col_axis")))
		return NULL;
	/* col - row: [cols] - [rows, 1] -> [rows, cols] */
	return p2o_emit_binary(c, upper ? "Less" : "Greater",
			       p2o_emit_binary(c, "Sub", cols,
					       p2o_emit_unsqueeze(c, rows, (int64_t[]){1}, 1)),
			       p2o_emit_scalar(c, "diagonal", P2O_DT_INT64, (double)k));
}

static int tri(struct p2o_ctx *c, const struct p2o_args *a, int upper, struct p2o_val **out)
{
	const char *fn = upper ? "triu" : "tril";
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *ins[3];
	struct p2o_node *n;
	int64_t k;

	if (!x || p2o_arg_int(c, a, "diagonal", &k))
		return -1;
	if (x->rank < 2)
		return p2o_fail(c, "%s: input must have at least 2 dimensions, got %s", fn,
				x->rank < 0 ? "a tensor of unknown rank" :
				x->rank == 0 ? "a 0-D tensor" : "a 1-D tensor");
	if (!(ins[0] = drop_mask(c, x, upper, k)))
		return -1;
	if (x->dtype == P2O_DT_BOOL) { /* x and not drop (ONNX Runtime has no bool Where) */
		if (!(ins[1] = p2o_emit_unary(c, "Not", ins[0])) ||
		    !(n = p2o_emit(c, "And", (struct p2o_value *[]){x, ins[1]}, 2, 1)) ||
		    p2o_finish(c, n, NULL))
			return -1;
	} else {
		if (!(ins[1] = p2o_operand(c, &(struct p2o_val){.kind = V_INT, .u.i = 0}, x->dtype,
					   "zero")))
			return -1;
		ins[2] = x;
		if (!(n = p2o_emit(c, "Where", ins, 3, 1)) || p2o_finish(c, n, NULL))
			return -1;
	}
	/* the mask broadcasts to x: x's shape, with its symbolic sizes */
	n->outputs[0]->rank = x->rank;
	memcpy(n->outputs[0]->dims, x->dims, sizeof x->dims);
	return p2o_result(c, n->outputs[0], out);
}

static int call_triu(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	(void)m;
	return tri(c, a, 1, out);
}

static int call_tril(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	(void)m;
	return tri(c, a, 0, out);
}

const struct p2o_converter p2o_cv_triu = {"triu", 0, "input, diagonal=0, out=None", NULL, NULL,
					  call_triu};
const struct p2o_converter p2o_cv_tril = {"tril", 0, "input, diagonal=0, out=None", NULL, NULL,
					  call_tril};
