/*
 * groupnorm.c — GroupNorm (layer) and group_norm (F.group_norm(input,
 * num_groups, weight, bias, eps)) on [N, C, ...].
 * Opset 21+: GroupNormalization (per-channel scale and bias; ones and
 * zeros without affine).  Below: Reshape to [N, G, -1] (0 keeps the batch
 * dynamic), InstanceNormalization with unit scale over the groups, Reshape
 * back, then Mul weight and Add bias unsqueezed to [C, 1, ...].
 * Weights: weight, bias [num_channels] (affine); num_channels=None takes
 * the size from the weight.
 */
#include "emit.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t ch = -1, g = -1, affine = 1;
	const struct p2o_tensor *w;

	p2o_val_int(p2o_arg(&a, "num_channels"), &ch);
	p2o_val_int(p2o_arg(&a, "affine"), &affine);
	if (p2o_val_int(p2o_arg(&a, "num_groups"), &g) || g <= 0)
		return p2o_bind_problem(b, m, "num_groups must be a positive int");
	if (ch > 0 && ch % g)
		return p2o_bind_problem(b, m, "num_channels %lld is not divisible by num_groups %lld",
					(long long)ch, (long long)g);
	if (!affine)
		return 0;
	if ((w = p2o_bind_param(b, m, "weight", 0, 1, &ch))) {
		ch = w->shape[0];
		if (p2o_bind_set_arg(b, m, "num_channels", ch))
			return -1;
	}
	p2o_bind_param(b, m, "bias", 0, 1, &ch);
	return 0;
}

static int group_norm(struct p2o_ctx *c, struct p2o_value *x, int64_t g, struct p2o_value *w,
		      struct p2o_value *b, double eps, struct p2o_val **out)
{
	int64_t ch = x->rank >= 2 ? x->dims[1].v : -1, gshape[3] = {0, g, -1}, axes[P2O_MAX_RANK];
	struct p2o_value *ins[3], *y;
	struct p2o_node *n;

	if (ch < 0 && w && w->rank == 1)
		ch = w->dims[0].v;
	if (x->rank < 2 || ch < 0)
		return p2o_fail(c, "group_norm expects [batch, channels, ...] with a known number of "
				"channels");
	if (g <= 0 || ch % g)
		return p2o_fail(c, "group_norm: %lld channels are not divisible into %lld groups",
				(long long)ch, (long long)g);
	if ((w && (w->rank != 1 || w->dims[0].v != ch)) || (b && (b->rank != 1 || b->dims[0].v != ch)))
		return p2o_fail(c, "group_norm: weight and bias must have %lld elements", (long long)ch);
	if (c->g->opset->group_norm) {
		ins[0] = x;
		ins[1] = w ? w : p2o_emit_filled(c, "ones", 1, &ch, 1);
		ins[2] = b ? b : p2o_emit_filled(c, "zeros", 1, &ch, 0);
		if (!ins[1] || !ins[2] || !(n = p2o_emit(c, "GroupNormalization", ins, 3, 1)))
			return -1;
		if (p2o_attr_int(c->g, n, "num_groups", g) || p2o_attr_float(c->g, n, "epsilon", (float)eps))
			return p2o_fail(c, "out of memory");
		return p2o_finish(c, n, out);
	}
	ins[0] = p2o_emit_reshape(c, x, gshape, 3);
	ins[1] = p2o_emit_filled(c, "ones", 1, &g, 1);
	ins[2] = p2o_emit_filled(c, "zeros", 1, &g, 0);
	if (!ins[0] || !ins[1] || !ins[2] || !(n = p2o_emit(c, "InstanceNormalization", ins, 3, 1)))
		return -1;
	if (p2o_attr_float(c->g, n, "epsilon", (float)eps))
		return p2o_fail(c, "out of memory");
	if (p2o_finish(c, n, NULL) || !(y = p2o_emit_reshape_like(c, n->outputs[0], x)))
		return -1;
	for (int d = 2; d < x->rank; d++)
		axes[d - 2] = d - 1;
	if (w && x->rank > 2 && !(w = p2o_emit_unsqueeze(c, w, axes, (size_t)x->rank - 2)))
		return -1;
	if (b && x->rank > 2 && !(b = p2o_emit_unsqueeze(c, b, axes, (size_t)x->rank - 2)))
		return -1;
	if (w)
		y = p2o_emit_binary(c, "Mul", y, w);
	if (b)
		y = p2o_emit_binary(c, "Add", y, b);
	return y ? p2o_result(c, y, out) : -1;
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		      struct p2o_val **out)
{
	struct p2o_args a = p2o_module_args(m);
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *w = NULL, *b = NULL;
	int64_t g;
	double eps;

	if (!x || p2o_arg_int(c, &a, "num_groups", &g) || p2o_arg_float(c, &a, "eps", &eps))
		return -1;
	if ((p2o_module_weight(m, "weight") && !(w = p2o_weight_value(c, m, "weight"))) ||
	    (p2o_module_weight(m, "bias") && !(b = p2o_weight_value(c, m, "bias"))))
		return -1;
	return group_norm(c, x, g, w, b, eps, out);
}

static int call_fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w = NULL, *b = NULL;
	int64_t g;
	double eps;

	(void)m;
	if (!x || p2o_arg_int(c, a, "num_groups", &g) || p2o_arg_float(c, a, "eps", &eps) ||
	    (!p2o_arg_is_none(a, "weight") && !(w = p2o_arg_tensor(c, a, "weight"))) ||
	    (!p2o_arg_is_none(a, "bias") && !(b = p2o_arg_tensor(c, a, "bias"))))
		return -1;
	return group_norm(c, x, g, w, b, eps, out);
}

const struct p2o_converter p2o_cv_group_norm_layer = {"GroupNorm", P2O_CONV_LAYER,
	"num_groups, num_channels=None, eps=1e-05, affine=True, device=None, dtype=None",
	NULL, bind, call_layer};
const struct p2o_converter p2o_cv_group_norm = {"group_norm", 0,
	"input, num_groups, weight=None, bias=None, eps=1e-05", NULL, NULL, call_fn};
