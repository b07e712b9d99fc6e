/*
 * batchnorm.c — BatchNorm1d/2d/3d (eval mode) -> BatchNormalization.
 * Weights: weight, bias (affine), running_mean, running_var; the
 * num_batches_tracked counter is read and ignored.  The optimiser folds it
 * into a preceding Conv where it can.
 */
#include "emit.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t c = -1, affine = 1, track = 1;
	const struct p2o_tensor *t;

	p2o_val_int(p2o_arg(&a, "num_features"), &c);
	p2o_val_int(p2o_arg(&a, "affine"), &affine);
	p2o_val_int(p2o_arg(&a, "track_running_stats"), &track);
	if (!track)
		return p2o_bind_problem(b, m, "track_running_stats=False normalises with batch "
					"statistics at inference; this is not supported yet");
	if ((t = p2o_bind_param(b, m, "running_mean", 0, 1, &c))) {
		c = t->shape[0];
		if (p2o_bind_set_arg(b, m, "num_features", c))
			return -1;
	}
	p2o_bind_param(b, m, "running_var", 0, 1, &c);
	p2o_bind_param(b, m, "num_batches_tracked", 1, -1, NULL);
	if (affine) {
		p2o_bind_param(b, m, "weight", 0, 1, &c);
		p2o_bind_param(b, m, "bias", 0, 1, &c);
	}
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		struct p2o_val **out)
{
	struct p2o_args a = p2o_module_args(m);
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *ins[5];
	int64_t nf = p2o_module_weight(m, "running_mean")->shape[0];
	double eps;
	struct p2o_node *n;

	if (!x || p2o_arg_float(c, &a, "eps", &eps))
		return -1;
	if (x->rank < 2 || (x->dims[1].v >= 0 && x->dims[1].v != nf))
		return p2o_fail(c, "%s expects %lld channels in dimension 1", m->call_text,
				(long long)nf);
	ins[0] = x;
	ins[1] = p2o_module_weight(m, "weight") ? p2o_weight_value(c, m, "weight") : p2o_emit_filled(c, "ones", 1, &nf, 1);
	ins[2] = p2o_module_weight(m, "bias") ? p2o_weight_value(c, m, "bias") : p2o_emit_filled(c, "zeros", 1, &nf, 0);
	ins[3] = p2o_weight_value(c, m, "running_mean");
	ins[4] = p2o_weight_value(c, m, "running_var");
	for (int i = 1; i < 5; i++)
		if (!ins[i])
			return c->err->code ? -1 : p2o_fail(c, "out of memory");
	if (!(n = p2o_emit(c, "BatchNormalization", ins, 5, 1)) ||
	    p2o_attr_float(c->g, n, "epsilon", (float)eps))
		return -1;
	return p2o_finish(c, n, out);
}

#define SIG "num_features=None, eps=1e-05, momentum=0.1, affine=True, " \
	    "track_running_stats=True, device=None, dtype=None"
const struct p2o_converter p2o_cv_batchnorm1d = {"BatchNorm1d", P2O_CONV_LAYER, SIG, NULL, bind, call};
const struct p2o_converter p2o_cv_batchnorm2d = {"BatchNorm2d", P2O_CONV_LAYER, SIG, NULL, bind, call};
const struct p2o_converter p2o_cv_batchnorm3d = {"BatchNorm3d", P2O_CONV_LAYER, SIG, NULL, bind, call};
