/*
 * reduce.c — reductions over dim (an int, a tuple, or None for all):
 * mean sum prod amax amin logsumexp -> ReduceMean ReduceSum ReduceProd
 * ReduceMax ReduceMin ReduceLogSumExp; norm (p=2/'fro' -> ReduceL2, p=1 ->
 * ReduceL1); var/std (unbiased by default, or correction=k) -> the mean
 * of squared deviations scaled by N / (N - k), N computed in the graph
 * when a reduced dimension is a dynamic batch.  Axes go through
 * p2o_emit_reduce (an attribute or an input, by opset).
 */
#include "fn_util.h"

#include <string.h>

static int axes_of(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value *x,
		   int64_t *axes, size_t *n)
{
	*n = 0;
	if (x->rank < 0)
		return p2o_fail(c, "reductions need an input of known rank");
	if (p2o_arg_is_none(a, "dim"))
		return 0;
	return p2o_axes_arg(c, p2o_arg(a, "dim"), x->rank, axes, n);
}

static int reduce(struct p2o_ctx *c, const struct p2o_args *a, const char *op,
		  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t axes[P2O_MAX_RANK];
	size_t n;
	int keep;

	if (!x || axes_of(c, a, x, axes, &n) || p2o_arg_bool(c, a, "keepdim", &keep))
		return -1;
	if (!p2o_arg_is_none(a, "dtype"))
		return p2o_fail(c, "the dtype argument is not supported");
	if (x->dtype == P2O_DT_BOOL || x->dtype == P2O_DT_UINT8 || x->dtype == P2O_DT_INT8 ||
	    x->dtype == P2O_DT_INT16)
		x = p2o_cast(c, x, !strcmp(op, "ReduceSum") || !strcmp(op, "ReduceProd") ?
				       P2O_DT_INT64 : P2O_DT_FLOAT32);
	if (!strcmp(op, "ReduceMean") || !strcmp(op, "ReduceLogSumExp") || !strcmp(op, "ReduceL2") ||
	    !strcmp(op, "ReduceL1"))
		x = x ? p2o_cast(c, x, P2O_DT_FLOAT32) : NULL;
	if (!x || !(x = p2o_emit_reduce(c, op, x, axes, n, keep)))
		return -1;
	return p2o_result(c, x, out);
}

static int call_norm(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_val *p = p2o_arg(a, "p");
	double k = 2;

	(void)m;
	if (!p2o_is_str_val(p, "fro") && p->kind != V_NONE && (p2o_val_float(p, &k) || (k != 1 && k != 2)))
		return p2o_fail(c, "norm supports p=2 (or 'fro') and p=1");
	return reduce(c, a, k == 1 ? "ReduceL1" : "ReduceL2", out);
}

/* N, the number of elements reduced, as a float32 scalar value. */
static struct p2o_value *count(struct p2o_ctx *c, struct p2o_value *x, const int64_t *axes,
			       size_t n)
{
	struct p2o_value *ins[2];
	struct p2o_node *node;
	int64_t all[P2O_MAX_RANK], known = 1;
	int dynamic = 0;

	if (!n) {
		for (int d = 0; d < x->rank; d++)
			all[d] = d;
		axes = all;
		n = (size_t)x->rank;
	}
	for (size_t i = 0; i < n; i++) {
		dynamic |= x->dims[axes[i]].v < 0;
		known *= x->dims[axes[i]].v;
	}
	if (!dynamic)
		return p2o_emit_scalar(c, "count", P2O_DT_FLOAT32, (double)known);
	/* ReduceProd(Gather(Shape(x), axes)) as float */
	if (!(node = p2o_emit(c, "Shape", &x, 1, 1)) || p2o_finish(c, node, NULL))
		return NULL;
	ins[0] = node->outputs[0];
	if (!(ins[1] = p2o_emit_ints(c, "axes", axes, n)) ||
	    !(node = p2o_emit(c, "Gather", ins, 2, 1)) || p2o_attr_int(c->g, node, "axis", 0) ||
	    p2o_finish(c, node, NULL) ||
	    !(ins[0] = p2o_emit_reduce(c, "ReduceProd", node->outputs[0], NULL, 0, 0)))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return p2o_cast(c, ins[0], P2O_DT_FLOAT32);
}

static int variance(struct p2o_ctx *c, const struct p2o_args *a, int root, struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *mu, *dev, *v, *nv, *kv;
	struct p2o_val *dim = p2o_arg(a, "dim");
	int64_t axes[P2O_MAX_RANK];
	double corr = 1;
	size_t n = 0;
	int keep, unbiased;

	if (!x || p2o_arg_bool(c, a, "keepdim", &keep) || p2o_arg_bool(c, a, "unbiased", &unbiased))
		return -1;
	if (dim->kind == V_BOOL) /* var(x, False): the unbiased flag */
		unbiased = dim->u.b;
	else if (axes_of(c, a, x, axes, &n))
		return -1;
	corr = unbiased;
	if (!p2o_arg_is_none(a, "correction") && p2o_arg_float(c, a, "correction", &corr))
		return -1;
	if (!(x = p2o_cast(c, x, P2O_DT_FLOAT32)) ||
	    !(mu = p2o_emit_reduce(c, "ReduceMean", x, axes, n, 1)) ||
	    !(dev = p2o_emit_binary(c, "Sub", x, mu)) || !(dev = p2o_emit_binary(c, "Mul", dev, dev)) ||
	    !(v = p2o_emit_reduce(c, "ReduceMean", dev, axes, n, keep)))
		return -1;
	if (corr != 0) { /* times N / (N - correction) */
		if (!(nv = count(c, x, axes, n)) || !(kv = p2o_emit_scalar(c, "correction", P2O_DT_FLOAT32, corr)) ||
		    !(kv = p2o_emit_binary(c, "Sub", nv, kv)) || !(kv = p2o_emit_binary(c, "Div", nv, kv)) ||
		    !(v = p2o_emit_binary(c, "Mul", v, kv)))
			return -1;
	}
	if (root && !(v = p2o_emit_unary(c, "Sqrt", v)))
		return -1;
	return p2o_result(c, v, out);
}

static int call_var(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	(void)m;
	return variance(c, a, 0, out);
}

static int call_std(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	(void)m;
	return variance(c, a, 1, out);
}

#define REDUCE(name, op, sig) \
	static int call_##name(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
			       struct p2o_val **out) { (void)m; return reduce(c, a, op, out); } \
	const struct p2o_converter p2o_cv_##name = {#name, 0, sig, NULL, NULL, call_##name};
REDUCE(mean, "ReduceMean", "input, dim=None, keepdim=False, dtype=None")
REDUCE(sum, "ReduceSum", "input, dim=None, keepdim=False, dtype=None")
REDUCE(prod, "ReduceProd", "input, dim=None, keepdim=False, dtype=None")
REDUCE(amax, "ReduceMax", "input, dim=(), keepdim=False, dtype=None")
REDUCE(amin, "ReduceMin", "input, dim=(), keepdim=False, dtype=None")
REDUCE(logsumexp, "ReduceLogSumExp", "input, dim, keepdim=False, dtype=None")
#define VAR_SIG "input, dim=None, unbiased=True, keepdim=False, correction=None"
const struct p2o_converter p2o_cv_norm = {"norm", 0, "input, p='fro', dim=None, keepdim=False, dtype=None", NULL, NULL, call_norm};
const struct p2o_converter p2o_cv_var = {"var", 0, VAR_SIG, NULL, NULL, call_var};
const struct p2o_converter p2o_cv_std = {"std", 0, VAR_SIG, NULL, NULL, call_std};
