/*
 * prelu.c — PReLU (layer) and prelu (F.prelu(input, weight)) -> PRelu.
 * Weight: [num_parameters], 1 or one per channel (dimension 1 of the
 * input); num_parameters=None takes the size from the weight.  A
 * per-channel slope is unsqueezed to [C, 1, ...] so that it broadcasts
 * along dimension 1 as PyTorch applies it.
 */
#include "emit.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t n = -1;
	const struct p2o_tensor *w;

	p2o_val_int(p2o_arg(&a, "num_parameters"), &n);
	if ((w = p2o_bind_param(b, m, "weight", 0, 1, &n)))
		return p2o_bind_set_arg(b, m, "num_parameters", w->shape[0]);
	return 0;
}

static int prelu(struct p2o_ctx *c, struct p2o_value *x, struct p2o_value *w,
		 struct p2o_val **out)
{
	int64_t n = w->rank == 1 ? w->dims[0].v : w->rank == 0 ? 1 : -1, axes[P2O_MAX_RANK];
	struct p2o_value *ins[2] = {x, w};
	struct p2o_node *node;

	if (n < 0)
		return p2o_fail(c, "prelu: weight must be 1-D of known size, got %d-D", w->rank);
	if (x->rank < 0)
		return p2o_fail(c, "prelu needs an input of known rank");
	if (n != 1) {
		if (x->rank < 2)
			return p2o_fail(c, "prelu: %lld slopes need an input with channels in "
					"dimension 1, got a %d-D input", (long long)n, x->rank);
		if (x->dims[1].v >= 0 && x->dims[1].v != n)
			return p2o_fail(c, "prelu: %lld slopes for %lld channels", (long long)n,
					(long long)x->dims[1].v);
		for (int d = 2; d < x->rank; d++)
			axes[d - 2] = d - 1;
		if (x->rank > 2 && !(ins[1] = p2o_emit_unsqueeze(c, w, axes, (size_t)x->rank - 2)))
			return -1;
	}
	if (!(node = p2o_emit(c, "PRelu", ins, 2, 1)))
		return -1;
	return p2o_finish(c, node, out);
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w;

	if (!x || !(w = p2o_weight_value(c, m, "weight")))
		return -1;
	return prelu(c, x, w, out);
}

static int call_fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w = p2o_arg_tensor(c, a, "weight");

	(void)m;
	return x && w ? prelu(c, x, w, out) : -1;
}

const struct p2o_converter p2o_cv_prelu_layer = {"PReLU", P2O_CONV_LAYER, "num_parameters=1, init=0.25, device=None, dtype=None", NULL, bind, call_layer};
const struct p2o_converter p2o_cv_prelu = {"prelu", 0, "input, weight", NULL, NULL, call_fn};
