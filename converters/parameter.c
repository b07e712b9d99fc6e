/*
 * parameter.c — Parameter: a bare nn.Parameter attribute of a block, such
 * as ConvNeXt's `self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1))`,
 * written `layer_scale = Parameter((dim, 1, 1))`.
 *
 * Its state_dict key is the attribute's path itself (`features.1.0.
 * layer_scale`, not `...layer_scale.weight`).  `shape` is checked against
 * the weight: a tuple or list of sizes (None: any size), one int for a 1-D
 * parameter, or None for any shape.  In forward, naming it (`layer_scale`,
 * `self.weight`) gives the tensor, an initializer named by that key.
 */
#include "converter.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	struct p2o_val *shape = p2o_arg(&a, "shape");
	int64_t dims[P2O_MAX_RANK];
	int rank = -1;

	if (shape && (shape->kind == V_TUPLE || shape->kind == V_LIST)) {
		if (shape->u.seq.n > P2O_MAX_RANK)
			return p2o_bind_problem(b, m, "shape has %zu dimensions; at most %d are supported",
						shape->u.seq.n, P2O_MAX_RANK);
		rank = (int)shape->u.seq.n;
		for (int d = 0; d < rank; d++) {
			struct p2o_val *v = shape->u.seq.items[d];
			dims[d] = -1;
			if (v->kind != V_NONE && (p2o_val_int(v, &dims[d]) || dims[d] < 0))
				return p2o_bind_problem(b, m, "shape must hold sizes (ints >= 0) or None");
		}
	} else if (shape && shape->kind != V_NONE) {
		if (p2o_val_int(shape, &dims[0]) || dims[0] < 0)
			return p2o_bind_problem(b, m, "shape must be a tuple of sizes, an int or None");
		rank = 1;
	}
	p2o_bind_param(b, m, "", 0, rank, dims); /* "": the key is the path */
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_value *v = p2o_weight_value(c, m, "");

	(void)a;
	return v ? p2o_result(c, v, out) : -1;
}

const struct p2o_converter p2o_cv_parameter = {
	"Parameter", P2O_CONV_LAYER | P2O_CONV_TENSOR, "shape=None, requires_grad=True", "",
	bind, call};
