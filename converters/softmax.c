/*
 * softmax.c — Softmax, LogSoftmax (layers), softmax, log_softmax
 * (torch.x, F.x, x.x(dim)) -> Softmax / LogSoftmax on one axis (the
 * opset-13 form); Softmax2d -> Softmax over dimension -3 of a 3-D or 4-D
 * input.  dim=None is PyTorch's legacy choice: 0 for 0-, 1- and 3-D
 * inputs, else 1.  dtype= may only name the input's own type.
 */
#include "converter.h"

static int call_dim(struct p2o_ctx *c, const char *op, struct p2o_value *x, struct p2o_val *dim,
		    struct p2o_val *dtype, struct p2o_val **out)
{
	int64_t axis;
	struct p2o_node *n;

	if (x->rank < 0)
		return p2o_fail(c, "%s needs an input of known rank", op);
	if (!c->g->opset->softmax_any_axis)
		return p2o_fail(c, "%s on one axis needs opset 13 or later", op);
	if (dtype && dtype->kind != V_NONE && !(dtype->kind == V_DTYPE && dtype->u.dtype == x->dtype))
		return p2o_fail(c, "%s: dtype= other than the input's type is not supported", op);
	if (!dim || dim->kind == V_NONE)
		axis = x->rank == 0 || x->rank == 1 || x->rank == 3 ? 0 : 1;
	else if (p2o_val_int(dim, &axis))
		return p2o_fail(c, "%s: dim must be an int", op);
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis >= x->rank)
		return p2o_fail(c, "%s: dim out of range for a %d-D input", op, x->rank);
	if (!(n = p2o_emit(c, op, &x, 1, 1)) || p2o_attr_int(c->g, n, "axis", axis))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		const char *op, struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");

	return x ? call_dim(c, op, x, p2o_arg(&a, "dim"), p2o_arg(&a, "dtype"), out) : -1;
}

static int call_softmax(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	return call(c, m, a, "Softmax", out);
}

static int call_log_softmax(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			    struct p2o_val **out)
{
	return call(c, m, a, "LogSoftmax", out);
}

static int call_softmax2d(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	struct p2o_val dim = {.kind = V_INT, .u.i = -3};

	(void)m;
	if (!x)
		return -1;
	if (x->rank != 3 && x->rank != 4)
		return p2o_fail(c, "Softmax2d expects a 3-D or 4-D input, got %d-D", x->rank);
	return call_dim(c, "Softmax", x, &dim, NULL, out);
}

#define FN_SIG "input, dim=None, _stacklevel=3, dtype=None"
const struct p2o_converter p2o_cv_softmax_layer = {"Softmax", P2O_CONV_LAYER, "dim=None", NULL, NULL, call_softmax};
const struct p2o_converter p2o_cv_softmax2d = {"Softmax2d", P2O_CONV_LAYER, "", NULL, NULL, call_softmax2d};
const struct p2o_converter p2o_cv_log_softmax_layer = {"LogSoftmax", P2O_CONV_LAYER, "dim=None", NULL, NULL, call_log_softmax};
const struct p2o_converter p2o_cv_softmax = {"softmax", 0, FN_SIG, NULL, NULL, call_softmax};
const struct p2o_converter p2o_cv_log_softmax = {"log_softmax", 0, FN_SIG, NULL, NULL, call_log_softmax};
