/*
 * maxmin.c — max/min: without dim -> ReduceMax/ReduceMin over everything;
 * with an int dim -> (values, indices) = (ReduceMax, ArgMax) — a tuple
 * that also has .values and .indices; with a tensor -> Max/Min
 * (maximum/minimum).  argmax/argmin(dim=None -> of the flattened input)
 * -> ArgMax/ArgMin, int64.
 */
#include "fn_util.h"

#include <string.h>

static struct p2o_value *arg_reduce(struct p2o_ctx *c, const char *op, struct p2o_value *x,
				    int64_t axis, int keep)
{
	struct p2o_node *n = p2o_emit(c, op, &x, 1, 1);

	if (!n || p2o_attr_int(c->g, n, "axis", axis) || p2o_attr_int(c->g, n, "keepdims", keep) ||
	    p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return n->outputs[0];
}

static int binary(struct p2o_ctx *c, struct p2o_val *l, struct p2o_val *r, int is_max,
		  struct p2o_val **out)
{
	enum p2o_dtype t = p2o_common_dt(l, r);
	struct p2o_value *a, *b, *y;

	if (t == P2O_DT_BOOL)
		t = P2O_DT_INT64;
	if (!(a = p2o_operand(c, l, t, "input")) || !(b = p2o_operand(c, r, t, "other")) ||
	    !(y = p2o_emit_binary(c, is_max ? "Max" : "Min", a, b)))
		return -1;
	return p2o_result(c, y, out);
}

static int maxmin(struct p2o_ctx *c, const struct p2o_args *a, int is_max, struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *r[2];
	struct p2o_val *dim = p2o_arg(a, "dim");
	int64_t d;
	int keep;

	if (!x || p2o_arg_bool(c, a, "keepdim", &keep))
		return -1;
	if (dim->kind == V_TENSOR)
		return binary(c, p2o_arg(a, "input"), dim, is_max, out);
	if (x->dtype == P2O_DT_BOOL && !(x = p2o_cast(c, x, P2O_DT_INT64)))
		return -1;
	if (dim->kind == V_NONE) {
		if (!(x = p2o_emit_reduce(c, is_max ? "ReduceMax" : "ReduceMin", x, NULL, 0, 0)))
			return -1;
		return p2o_result(c, x, out);
	}
	if (p2o_arg_int(c, a, "dim", &d) || p2o_axis(c, d, x->rank, &d) ||
	    !(r[0] = p2o_emit_reduce(c, is_max ? "ReduceMax" : "ReduceMin", x, &d, 1, keep)) ||
	    !(r[1] = arg_reduce(c, is_max ? "ArgMax" : "ArgMin", x, d, keep)) ||
	    p2o_tuple_result(c, r, 2, out))
		return -1;
	(*out)->conv = is_max ? p2o_converter_find("max") : p2o_converter_find("min");
	return 0;
}

static int argmaxmin(struct p2o_ctx *c, const struct p2o_args *a, const char *op,
		     struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	static const int64_t flat = -1;
	int64_t d = 0;
	int keep;

	if (!x || p2o_arg_bool(c, a, "keepdim", &keep))
		return -1;
	if (x->dtype == P2O_DT_BOOL && !(x = p2o_cast(c, x, P2O_DT_INT64)))
		return -1;
	if (p2o_arg_is_none(a, "dim")) {
		if (!(x = p2o_emit_reshape(c, x, &flat, 1)))
			return -1;
		keep = 0;
	} else if (p2o_arg_int(c, a, "dim", &d) || p2o_axis(c, d, x->rank, &d)) {
		return -1;
	}
	if (!(x = arg_reduce(c, op, x, d, keep)))
		return -1;
	return p2o_result(c, x, out);
}

static int call_max(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	(void)m;
	return maxmin(c, a, 1, out);
}

static int call_min(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	(void)m;
	return maxmin(c, a, 0, out);
}

static int call_argmax(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		       struct p2o_val **out)
{
	(void)m;
	return argmaxmin(c, a, "ArgMax", out);
}

static int call_argmin(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		       struct p2o_val **out)
{
	(void)m;
	return argmaxmin(c, a, "ArgMin", out);
}

static int call_maximum(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	(void)m;
	return binary(c, p2o_arg(a, "input"), p2o_arg(a, "other"), 1, out);
}

static int call_minimum(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	(void)m;
	return binary(c, p2o_arg(a, "input"), p2o_arg(a, "other"), 0, out);
}

const struct p2o_converter p2o_cv_max = {"max", 0, "input, dim=None, keepdim=False", NULL, NULL, call_max};
const struct p2o_converter p2o_cv_min = {"min", 0, "input, dim=None, keepdim=False", NULL, NULL, call_min};
const struct p2o_converter p2o_cv_argmax = {"argmax", 0, "input, dim=None, keepdim=False", NULL, NULL, call_argmax};
const struct p2o_converter p2o_cv_argmin = {"argmin", 0, "input, dim=None, keepdim=False", NULL, NULL, call_argmin};
const struct p2o_converter p2o_cv_maximum = {"maximum", 0, "input, other", NULL, NULL, call_maximum};
const struct p2o_converter p2o_cv_minimum = {"minimum", 0, "input, other", NULL, NULL, call_minimum};
