/*
 * mm.c — matrix products besides matmul (arith.c): mm (2-D) and bmm (3-D)
 * -> MatMul; addmm(input, mat1, mat2, beta, alpha) -> Gemm; baddbmm ->
 * MatMul, scaled, plus beta * input.
 */
#include "fn_util.h"

static int mm(struct p2o_ctx *c, const struct p2o_args *a, const char *l, const char *r,
	      int rank, struct p2o_value **y)
{
	struct p2o_value *x1 = p2o_arg_tensor(c, a, l), *x2 = p2o_arg_tensor(c, a, r);

	if (!x1 || !x2)
		return -1;
	if (x1->rank != rank || x2->rank != rank)
		return p2o_fail(c, "expects two %d-D tensors, got %d-D and %d-D", rank, x1->rank,
				x2->rank);
	if (!(x1 = p2o_cast(c, x1, P2O_DT_FLOAT32)) || !(x2 = p2o_cast(c, x2, P2O_DT_FLOAT32)))
		return -1;
	return (*y = p2o_emit_binary(c, "MatMul", x1, x2)) ? 0 : -1;
}

static int call_mm(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *y;

	(void)m;
	return mm(c, a, "input", "mat2", 2, &y) ? -1 : p2o_result(c, y, out);
}

static int call_bmm(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	struct p2o_value *y;

	(void)m;
	return mm(c, a, "input", "mat2", 3, &y) ? -1 : p2o_result(c, y, out);
}

static int call_addmm(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	struct p2o_value *ins[3] = {p2o_arg_tensor(c, a, "mat1"), p2o_arg_tensor(c, a, "mat2"),
				    p2o_arg_tensor(c, a, "input")};
	double alpha, beta;
	struct p2o_node *n;

	(void)m;
	if (!ins[0] || !ins[1] || !ins[2] || p2o_arg_float(c, a, "alpha", &alpha) ||
	    p2o_arg_float(c, a, "beta", &beta))
		return -1;
	if (ins[0]->rank != 2 || ins[1]->rank != 2 || ins[2]->rank > 2)
		return p2o_fail(c, "addmm expects 2-D matrices and an input of at most 2-D");
	for (int i = 0; i < 3; i++)
		if (!(ins[i] = p2o_cast(c, ins[i], P2O_DT_FLOAT32)))
			return -1;
	if (!(n = p2o_emit(c, "Gemm", ins, 3, 1)) ||
	    p2o_attr_float(c->g, n, "alpha", (float)alpha) || p2o_attr_float(c->g, n, "beta", (float)beta))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

static int call_baddbmm(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	struct p2o_value *y, *x = p2o_arg_tensor(c, a, "input"), *k;
	double alpha, beta;

	(void)m;
	if (!x || p2o_arg_float(c, a, "alpha", &alpha) || p2o_arg_float(c, a, "beta", &beta) ||
	    mm(c, a, "batch1", "batch2", 3, &y) || !(x = p2o_cast(c, x, P2O_DT_FLOAT32)))
		return -1;
	if (alpha != 1 && (!(k = p2o_emit_scalar(c, "alpha", P2O_DT_FLOAT32, alpha)) ||
			   !(y = p2o_emit_binary(c, "Mul", y, k))))
		return -1;
	if (beta != 0) {
		if (beta != 1 && (!(k = p2o_emit_scalar(c, "beta", P2O_DT_FLOAT32, beta)) ||
				  !(x = p2o_emit_binary(c, "Mul", x, k))))
			return -1;
		if (!(y = p2o_emit_binary(c, "Add", y, x)))
			return -1;
	}
	return p2o_result(c, y, out);
}

const struct p2o_converter p2o_cv_mm = {"mm", 0, "input, mat2", NULL, NULL, call_mm};
const struct p2o_converter p2o_cv_bmm = {"bmm", 0, "input, mat2", NULL, NULL, call_bmm};
const struct p2o_converter p2o_cv_addmm = {"addmm", 0, "input, mat1, mat2, beta=1, alpha=1", NULL, NULL, call_addmm};
const struct p2o_converter p2o_cv_baddbmm = {"baddbmm", 0, "input, batch1, batch2, beta=1, alpha=1", NULL, NULL, call_baddbmm};
