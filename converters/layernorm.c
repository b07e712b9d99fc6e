/*
 * layernorm.c — LayerNorm (layer) and layer_norm (F.layer_norm(input,
 * normalized_shape, weight, bias, eps)): normalise over the last
 * len(normalized_shape) dimensions.
 * Opset 17+: LayerNormalization (axis = -len(normalized_shape); without
 * elementwise_affine the scale is ones).  Below: ReduceMean, Sub, Mul,
 * ReduceMean, Add eps, Sqrt, Div, then Mul weight and Add bias.
 * Weights: weight and bias of shape normalized_shape (elementwise_affine);
 * normalized_shape=None takes the shape from the weight.
 */
#include "emit.h"

#include <string.h>

/* normalized_shape: an int or a sequence of ints; returns the count or -1. */
static int shape_of(const struct p2o_val *v, int64_t *dims)
{
	if (p2o_val_int(v, &dims[0]) == 0)
		return dims[0] > 0 ? 1 : -1;
	if (!v || (v->kind != V_TUPLE && v->kind != V_LIST) || v->u.seq.n == 0 ||
	    v->u.seq.n > P2O_MAX_RANK)
		return -1;
	for (size_t i = 0; i < v->u.seq.n; i++)
		if (p2o_val_int(v->u.seq.items[i], &dims[i]) || dims[i] <= 0)
			return -1;
	return (int)v->u.seq.n;
}

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t dims[P2O_MAX_RANK], affine = 1;
	int k = -1;
	const struct p2o_tensor *w;

	p2o_val_int(p2o_arg(&a, "elementwise_affine"), &affine);
	if (!p2o_arg_is_none(&a, "normalized_shape") &&
	    (k = shape_of(p2o_arg(&a, "normalized_shape"), dims)) < 0)
		return p2o_bind_problem(b, m, "normalized_shape must be a positive int or a "
					"tuple of them");
	if (!affine) {
		if (k < 0)
			return p2o_bind_problem(b, m, "normalized_shape is needed without "
						"elementwise_affine");
		return 0;
	}
	/* bias is looked at even without a weight, so that both are reported */
	if ((w = p2o_bind_param(b, m, "weight", 0, k, k < 0 ? NULL : dims)))
		p2o_bind_param(b, m, "bias", 0, w->rank, w->shape);
	else
		p2o_bind_param(b, m, "bias", 0, k, k < 0 ? NULL : dims);
	return 0;
}

static int layer_norm(struct p2o_ctx *c, struct p2o_value *x, const int64_t *dims, int k,
		      struct p2o_value *w, struct p2o_value *b, double eps, struct p2o_val **out)
{
	int64_t axes[P2O_MAX_RANK];
	struct p2o_value *mean, *d, *y;
	struct p2o_node *n;

	if (x->rank < k)
		return p2o_fail(c, "layer_norm over %d dimensions needs an input of at least that "
				"rank, got %d-D", k, x->rank);
	for (int i = 0; i < k; i++) {
		int64_t got = x->dims[x->rank - k + i].v;
		if (got >= 0 && got != dims[i])
			return p2o_fail(c, "layer_norm: normalized_shape[%d] is %lld but the input "
					"has %lld there", i, (long long)dims[i], (long long)got);
		axes[i] = x->rank - k + i;
	}
	if (c->g->opset->layer_norm) {
		struct p2o_value *ins[3] = {x, w ? w : p2o_emit_filled(c, "ones", k, dims, 1), b};
		if (!ins[1] || !(n = p2o_emit(c, "LayerNormalization", ins, b ? 3 : 2, 1)))
			return -1;
		if (p2o_attr_int(c->g, n, "axis", -k) || p2o_attr_float(c->g, n, "epsilon", (float)eps))
			return p2o_fail(c, "out of memory");
		return p2o_finish(c, n, out);
	}
	mean = p2o_emit_reduce(c, "ReduceMean", x, axes, (size_t)k, 1);
	d = mean ? p2o_emit_binary(c, "Sub", x, mean) : NULL;
	y = d ? p2o_emit_reduce(c, "ReduceMean", p2o_emit_binary(c, "Mul", d, d), axes, (size_t)k, 1)
	      : NULL;
	y = p2o_emit_binary(c, "Div", d, p2o_emit_unary(c, "Sqrt", p2o_emit_binary_k(c, "Add", y, eps)));
	if (y && w)
		y = p2o_emit_binary(c, "Mul", y, w);
	if (y && b)
		y = p2o_emit_binary(c, "Add", y, b);
	return y ? p2o_result(c, y, out) : -1;
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		      struct p2o_val **out)
{
	struct p2o_args a = p2o_module_args(m);
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *w = NULL, *b = NULL;
	const struct p2o_tensor *wt = p2o_module_weight(m, "weight");
	int64_t dims[P2O_MAX_RANK];
	int k;
	double eps;

	if (!x || p2o_arg_float(c, &a, "eps", &eps))
		return -1;
	if (!p2o_arg_is_none(&a, "normalized_shape")) {
		k = shape_of(p2o_arg(&a, "normalized_shape"), dims);
	} else {
		k = wt->rank;
		memcpy(dims, wt->shape, (size_t)k * sizeof *dims);
	}
	if ((wt && !(w = p2o_weight_value(c, m, "weight"))) ||
	    (p2o_module_weight(m, "bias") && !(b = p2o_weight_value(c, m, "bias"))))
		return -1;
	return layer_norm(c, x, dims, k, w, b, eps, out);
}

static struct p2o_value *optional_tensor(struct p2o_ctx *c, const struct p2o_args *a,
					 const char *name, int *bad)
{
	if (p2o_arg_is_none(a, name))
		return NULL;
	struct p2o_value *t = p2o_arg_tensor(c, a, name);
	*bad |= !t;
	return t;
}

static int call_fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w, *b;
	int64_t dims[P2O_MAX_RANK];
	int k, bad = 0;
	double eps;

	(void)m;
	if (!x || p2o_arg_float(c, a, "eps", &eps))
		return -1;
	if ((k = shape_of(p2o_arg(a, "normalized_shape"), dims)) < 0)
		return p2o_fail(c, "layer_norm: normalized_shape must be a positive int or a "
				"tuple of them");
	w = optional_tensor(c, a, "weight", &bad);
	b = optional_tensor(c, a, "bias", &bad);
	return bad ? -1 : layer_norm(c, x, dims, k, w, b, eps, out);
}

const struct p2o_converter p2o_cv_layer_norm_layer = {"LayerNorm", P2O_CONV_LAYER,
	"normalized_shape=None, eps=1e-05, elementwise_affine=True, device=None, dtype=None",
	NULL, bind, call_layer};
const struct p2o_converter p2o_cv_layer_norm = {"layer_norm", 0,
	"input, normalized_shape, weight=None, bias=None, eps=1e-05", NULL, NULL, call_fn};
