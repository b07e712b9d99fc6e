/*
 * arith.c — a + b, a - b, a * b, a / b, a ** b, a @ b, -a and their names
 * (torch.add, x.mul, ...) -> Add Sub Mul Div Pow MatMul Neg.  Numbers
 * become scalar constants of the tensor's type; int tensors meeting a
 * float are cast to float32, and `/` always divides as floats (PyTorch's
 * true division).
 */
#include "emit.h"

#include <string.h>

static int is_float(enum p2o_dtype t)
{
	return t == P2O_DT_FLOAT32 || t == P2O_DT_FLOAT16 || t == P2O_DT_FLOAT64 ||
	       t == P2O_DT_BFLOAT16;
}

static struct p2o_value *cast(struct p2o_ctx *c, struct p2o_value *x, enum p2o_dtype to)
{
	struct p2o_node *n;

	if (x->dtype == to)
		return x;
	if (!(n = p2o_emit(c, "Cast", &x, 1, 1)) ||
	    p2o_attr_int(c->g, n, "to", to == P2O_DT_FLOAT32 ? 1 : 7) || p2o_finish(c, n, NULL))
		return NULL;
	return n->outputs[0];
}

/* A number as a 0-D constant of the given type (int64 or float32). */
static struct p2o_value *scalar(struct p2o_ctx *c, const struct p2o_val *v, enum p2o_dtype t)
{
	double d;

	return p2o_val_float(v, &d) ? NULL : p2o_emit_scalar(c, "scalar", t, d);
}

static int binary(struct p2o_ctx *c, const char *op, const struct p2o_args *a,
		  struct p2o_val **out)
{
	struct p2o_val *l = p2o_arg(a, "input"), *r = p2o_arg(a, "other");
	struct p2o_value *ins[2];
	enum p2o_dtype t = P2O_DT_INT64;
	struct p2o_node *n;

	if (!p2o_arg_is_none(a, "alpha") && !(p2o_arg(a, "alpha")->kind == V_INT &&
					      p2o_arg(a, "alpha")->u.i == 1))
		return p2o_fail(c, "alpha other than 1 is not supported yet");
	if (l->kind != V_TENSOR && r->kind != V_TENSOR)
		return p2o_fail(c, "%s needs a tensor", op);
	/* the result type: float if anything is float */
	if ((l->kind == V_TENSOR && is_float(l->u.t->dtype)) || l->kind == V_FLOAT ||
	    (r->kind == V_TENSOR && is_float(r->u.t->dtype)) || r->kind == V_FLOAT ||
	    !strcmp(op, "Div"))
		t = P2O_DT_FLOAT32;
	for (int i = 0; i < 2; i++) {
		struct p2o_val *v = i ? r : l;
		ins[i] = v->kind == V_TENSOR ? cast(c, v->u.t, is_float(v->u.t->dtype) ? v->u.t->dtype : t)
					     : scalar(c, v, t);
		if (!ins[i])
			return c->err->code ? -1 : p2o_fail(c, "%s: operand must be a tensor or a number", op);
	}
	if (!(n = p2o_emit(c, op, ins, 2, 1)))
		return -1;
	return p2o_finish(c, n, out);
}

#define BINARY(fn, op) \
	static int fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
		      struct p2o_val **out) { (void)m; return binary(c, op, a, out); }
BINARY(call_add, "Add")
BINARY(call_sub, "Sub")
BINARY(call_mul, "Mul")
BINARY(call_div, "Div")
BINARY(call_pow, "Pow")
BINARY(call_matmul, "MatMul")

static int call_neg(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");

	(void)m;
	return x ? p2o_unary(c, "Neg", x, out) : -1;
}

const struct p2o_converter p2o_cv_add = {"add", 0, "input, other, alpha=1", NULL, NULL, call_add};
const struct p2o_converter p2o_cv_sub = {"sub", 0, "input, other, alpha=1", NULL, NULL, call_sub};
const struct p2o_converter p2o_cv_mul = {"mul", 0, "input, other", NULL, NULL, call_mul};
const struct p2o_converter p2o_cv_div = {"div", 0, "input, other", NULL, NULL, call_div};
const struct p2o_converter p2o_cv_pow = {"pow", 0, "input, other", NULL, NULL, call_pow};
const struct p2o_converter p2o_cv_matmul = {"matmul", 0, "input, other", NULL, NULL, call_matmul};
const struct p2o_converter p2o_cv_neg = {"neg", 0, "input", NULL, NULL, call_neg};
