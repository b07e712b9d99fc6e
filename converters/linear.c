/*
 * linear.c — Linear -> Gemm (2-D input) or MatMul + Add (N-D input).
 * Weights: weight [out_features, in_features], bias [out_features] unless
 * bias=False.  in_features/out_features may be left out (the weight says).
 * F.linear(input, weight, bias=None) -> MatMul(input, Transpose(weight))
 * (+ Add) with tensors for weight and bias.
 */
#include "emit.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t shape[2] = {-1, -1}, with_bias = 1;
	const struct p2o_tensor *w;

	p2o_val_int(p2o_arg(&a, "out_features"), &shape[0]);
	p2o_val_int(p2o_arg(&a, "in_features"), &shape[1]);
	p2o_val_int(p2o_arg(&a, "bias"), &with_bias);
	/* every key is looked at, so that all problems are reported at once */
	if ((w = p2o_bind_param(b, m, "weight", 0, 2, shape))) {
		shape[0] = w->shape[0];
		if (p2o_bind_set_arg(b, m, "out_features", w->shape[0]) ||
		    p2o_bind_set_arg(b, m, "in_features", w->shape[1]))
			return -1;
	}
	if (with_bias)
		p2o_bind_param(b, m, "bias", 0, 1, &shape[0]);
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *ins[3], *wt;
	const struct p2o_tensor *w = p2o_module_weight(m, "weight");
	struct p2o_node *n;
	int64_t perm[2] = {1, 0};

	if (!x)
		return -1;
	if (x->rank >= 1 && x->dims[x->rank - 1].v >= 0 && x->dims[x->rank - 1].v != w->shape[1])
		return p2o_fail(c, "%s expects inputs with %lld features in the last dimension, got %lld",
				m->call_text, (long long)w->shape[1], (long long)x->dims[x->rank - 1].v);
	ins[0] = x;
	if (!(ins[1] = p2o_weight_value(c, m, "weight")))
		return -1;
	ins[2] = p2o_module_weight(m, "bias") ? p2o_weight_value(c, m, "bias") : NULL;
	if (x->rank == 2) {
		if (!(n = p2o_emit(c, "Gemm", ins, ins[2] ? 3 : 2, 1)) ||
		    p2o_attr_int(c->g, n, "transB", 1))
			return c->err->code ? -1 : p2o_fail(c, "out of memory");
		return p2o_finish(c, n, out);
	}
	/* [.., in] x W^T (+ b) */
	if (!(n = p2o_emit(c, "Transpose", &ins[1], 1, 1)) ||
	    p2o_attr_ints(c->g, n, "perm", perm, 2) || p2o_finish(c, n, NULL))
		return -1;
	wt = n->outputs[0];
	if (!(n = p2o_emit(c, "MatMul", (struct p2o_value *[]){x, wt}, 2, 1)) ||
	    p2o_finish(c, n, out))
		return -1;
	if (!ins[2])
		return 0;
	if (!(n = p2o_emit(c, "Add", (struct p2o_value *[]){n->outputs[0], ins[2]}, 2, 1)))
		return -1;
	return p2o_finish(c, n, out);
}

const struct p2o_converter p2o_cv_linear = {
	"Linear", P2O_CONV_LAYER,
	"in_features=None, out_features=None, bias=True, device=None, dtype=None",
	NULL, bind, call};

/* F.linear(input, weight, bias=None): the same nodes with the weight (2-D)
 * and bias as tensors. */
static int call_fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w = p2o_arg_tensor(c, a, "weight");
	struct p2o_value *b = NULL, *y;
	int64_t perm[2] = {1, 0};

	(void)m;
	if (!x || !w || (!p2o_arg_is_none(a, "bias") && !(b = p2o_arg_tensor(c, a, "bias"))))
		return -1;
	if (w->rank != 2)
		return p2o_fail(c, "linear: the weight must be 2-D, not %d-D", w->rank);
	if (x->rank >= 1 && x->dims[x->rank - 1].v >= 0 && w->dims[1].v >= 0 &&
	    x->dims[x->rank - 1].v != w->dims[1].v)
		return p2o_fail(c, "linear: the input has %lld features in the last dimension, the "
				"weight %lld", (long long)x->dims[x->rank - 1].v, (long long)w->dims[1].v);
	if (!(w = p2o_emit_transpose(c, w, perm, 2)))
		return -1;
	y = p2o_emit_binary(c, "MatMul", x, w);
	if (b)
		y = p2o_emit_binary(c, "Add", y, b);
	return y ? p2o_result(c, y, out) : -1;
}

const struct p2o_converter p2o_cv_linear_fn = {
	"linear", 0, "input, weight, bias=None", NULL, NULL, call_fn};
