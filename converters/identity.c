/*
 * identity.c — layers that do nothing at inference: Identity, Dropout
 * (all variants) and dropout(), torchvision's StochasticDepth and
 * stochastic_depth().  No node is emitted: the input flows on.
 */
#include "converter.h"

#include <string.h>

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_val *x = p2o_arg(a, "input");

	(void)m;
	if (!x || x->kind != V_TENSOR)
		return p2o_fail(c, "expects a tensor");
	*out = x;
	return 0;
}

/* StochasticDepth(p, mode): PyTorch checks p and mode even at inference. */
static int call_stochastic_depth(struct p2o_ctx *c, struct p2o_module *m,
				 const struct p2o_args *fa, struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_val *mode = p2o_arg(&a, "mode");
	double p;

	if (p2o_arg_float(c, &a, "p", &p))
		return -1;
	if (p < 0 || p > 1)
		return p2o_fail(c, "stochastic_depth: drop probability has to be between 0 and 1, "
				"but got %g", p);
	if (!mode || mode->kind != V_STR || (strcmp(mode->u.s, "batch") && strcmp(mode->u.s, "row")))
		return p2o_fail(c, "stochastic_depth: mode has to be either 'batch' or 'row'");
	return call(c, m, fa, out);
}

#define DROPOUT_SIG "p=0.5, inplace=False"
const struct p2o_converter p2o_cv_identity = {"Identity", P2O_CONV_LAYER, "*args, **kwargs", NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout_layer = {"Dropout", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout1d = {"Dropout1d", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout2d = {"Dropout2d", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout3d = {"Dropout3d", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout = {"dropout", 0, "input, p=0.5, training=False, inplace=False", NULL, NULL, call};
const struct p2o_converter p2o_cv_stochastic_depth_layer = {"StochasticDepth", P2O_CONV_LAYER, "p, mode", NULL, NULL, call_stochastic_depth};
const struct p2o_converter p2o_cv_stochastic_depth = {"stochastic_depth", 0, "input, p, mode, training=True", NULL, NULL, call_stochastic_depth};
