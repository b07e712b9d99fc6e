/*
 * identity.c — layers that do nothing at inference: Identity, Dropout
 * (all variants) and dropout().  No node is emitted: the input flows on.
 */
#include "converter.h"

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

#define DROPOUT_SIG "p=0.5, inplace=False"
const struct p2o_converter p2o_cv_identity = {"Identity", P2O_CONV_LAYER, "*args, **kwargs", NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout_layer = {"Dropout", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout1d = {"Dropout1d", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout2d = {"Dropout2d", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout3d = {"Dropout3d", P2O_CONV_LAYER, DROPOUT_SIG, NULL, NULL, call};
const struct p2o_converter p2o_cv_dropout = {"dropout", 0, "input, p=0.5, training=False, inplace=False", NULL, NULL, call};
