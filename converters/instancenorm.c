/*
 * instancenorm.c — InstanceNorm1d/2d/3d (layers) and instance_norm
 * (F.instance_norm) on [N, C, spatial...].
 * Instance statistics (PyTorch's default, track_running_stats=False; or
 * use_input_stats=True) -> InstanceNormalization, with ones/zeros as scale
 * and bias when affine=False.  track_running_stats=True normalises with
 * the running statistics in eval mode, as BatchNorm does ->
 * BatchNormalization (use_input_stats=False likewise).
 * Weights: weight, bias [C] (affine); running_mean, running_var [C] and
 * num_batches_tracked (track_running_stats).  num_features may be None.
 */
#include "emit.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t ch = -1, affine = 0, track = 0;
	const struct p2o_tensor *t;

	p2o_val_int(p2o_arg(&a, "num_features"), &ch);
	p2o_val_int(p2o_arg(&a, "affine"), &affine);
	p2o_val_int(p2o_arg(&a, "track_running_stats"), &track);
	if (affine) {
		if ((t = p2o_bind_param(b, m, "weight", 0, 1, &ch)))
			ch = t->shape[0];
		p2o_bind_param(b, m, "bias", 0, 1, &ch);
	}
	if (track) {
		if ((t = p2o_bind_param(b, m, "running_mean", 0, 1, &ch)))
			ch = t->shape[0];
		p2o_bind_param(b, m, "running_var", 0, 1, &ch);
		p2o_bind_param(b, m, "num_batches_tracked", 1, -1, NULL);
	}
	return ch >= 0 ? p2o_bind_set_arg(b, m, "num_features", ch) : 0;
}

/* ins: x, weight, bias, running mean, running var (the last two NULL for
 * instance statistics); weight and bias may be NULL. */
static int instance_norm(struct p2o_ctx *c, int sp, struct p2o_value **ins, double eps,
			 struct p2o_val **out)
{
	struct p2o_value *x = ins[0];
	int64_t ch = x->rank >= 2 ? x->dims[1].v : -1;
	int track = ins[3] != NULL;
	struct p2o_node *n;

	if (x->rank < 3 || (sp && x->rank != sp + 2))
		return p2o_fail(c, "instance_norm expects [batch, channels, %s], got a %d-D input",
				sp ? (sp == 1 ? "length" : sp == 2 ? "height, width" : "depth, height, width")
				   : "spatial dims...", x->rank);
	for (int i = 1; i < 5; i++) {
		if (!ins[i])
			continue;
		if (ins[i]->rank != 1 || (ch >= 0 && ins[i]->dims[0].v != ch))
			return p2o_fail(c, "instance_norm: weight, bias and running statistics must "
					"have one element per channel (%lld)", (long long)ch);
		ch = ins[i]->dims[0].v;
	}
	if (ch < 0)
		return p2o_fail(c, "instance_norm needs a known number of channels");
	if ((!ins[1] && !(ins[1] = p2o_emit_filled(c, "ones", 1, &ch, 1))) ||
	    (!ins[2] && !(ins[2] = p2o_emit_filled(c, "zeros", 1, &ch, 0))))
		return -1;
	if (!(n = p2o_emit(c, track ? "BatchNormalization" : "InstanceNormalization", ins,
			   track ? 5 : 3, 1)))
		return -1;
	if (p2o_attr_float(c->g, n, "epsilon", (float)eps))
		return p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		      struct p2o_val **out)
{
	static const char *const NAMES[] = {NULL, "weight", "bias", "running_mean", "running_var"};
	struct p2o_args a = p2o_module_args(m);
	struct p2o_value *ins[5] = {p2o_arg_tensor(c, in, "input")};
	double eps;

	if (!ins[0] || p2o_arg_float(c, &a, "eps", &eps))
		return -1;
	for (int i = 1; i < 5; i++)
		if (p2o_module_weight(m, NAMES[i]) && !(ins[i] = p2o_weight_value(c, m, NAMES[i])))
			return -1;
	return instance_norm(c, m->type[12] - '0', ins, eps, out); /* "InstanceNorm2d" */
}

static int call_fn(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	static const char *const NAMES[] = {"input", "weight", "bias", "running_mean", "running_var"};
	struct p2o_value *ins[5] = {NULL};
	int use_input_stats;
	double eps;

	(void)m;
	if (p2o_arg_bool(c, a, "use_input_stats", &use_input_stats) ||
	    p2o_arg_float(c, a, "eps", &eps))
		return -1;
	for (int i = 0; i < (use_input_stats ? 3 : 5); i++)
		if ((i == 0 || i >= 3 || !p2o_arg_is_none(a, NAMES[i])) &&
		    !(ins[i] = p2o_arg_tensor(c, a, NAMES[i])))
			return -1;
	return instance_norm(c, 0, ins, eps, out);
}

#define SIG "num_features=None, eps=1e-05, momentum=0.1, affine=False, " \
	    "track_running_stats=False, device=None, dtype=None"
const struct p2o_converter p2o_cv_instance_norm1d = {"InstanceNorm1d", P2O_CONV_LAYER, SIG, NULL, bind, call_layer};
const struct p2o_converter p2o_cv_instance_norm2d = {"InstanceNorm2d", P2O_CONV_LAYER, SIG, NULL, bind, call_layer};
const struct p2o_converter p2o_cv_instance_norm3d = {"InstanceNorm3d", P2O_CONV_LAYER, SIG, NULL, bind, call_layer};
const struct p2o_converter p2o_cv_instance_norm = {"instance_norm", 0,
	"input, running_mean=None, running_var=None, weight=None, bias=None, "
	"use_input_stats=True, momentum=0.1, eps=1e-05", NULL, NULL, call_fn};
