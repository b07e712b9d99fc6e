/*
 * relu.c — ReLU (layer) and relu (torch.relu, F.relu, x.relu()) -> Relu.
 * inplace changes nothing in a graph.
 */
#include "converter.h"

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");

	(void)m;
	return x ? p2o_unary(c, "Relu", x, out) : -1;
}

const struct p2o_converter p2o_cv_relu_layer = {"ReLU", P2O_CONV_LAYER, "inplace=False", NULL, NULL, call};
const struct p2o_converter p2o_cv_relu = {"relu", 0, "input, inplace=False", NULL, NULL, call};
