/*
 * flatten.c — Flatten (layer, start_dim=1) and flatten (torch.flatten,
 * x.flatten(), start_dim=0).  start_dim=1 to the end -> ONNX Flatten
 * (axis=1); other spans -> Reshape with 0 (copy) before the span, -1 for
 * it and the known sizes after it.
 */
#include "emit.h"

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	int64_t start, end, dims[P2O_MAX_RANK], n = 0;
	struct p2o_node *node;

	if (!x || p2o_arg_int(c, &a, "start_dim", &start) || p2o_arg_int(c, &a, "end_dim", &end))
		return -1;
	if (x->rank < 0)
		return p2o_fail(c, "flatten needs an input of known rank");
	if (start < 0) start += x->rank;
	if (end < 0) end += x->rank;
	if (x->rank == 0 || start < 0 || end >= x->rank || start > end)
		return p2o_fail(c, "flatten: dimensions out of range");
	if (start == end) {
		return p2o_result(c, x, out);
	}
	if (start == 1 && end == x->rank - 1) {
		if (!(node = p2o_emit(c, "Flatten", &x, 1, 1)) || p2o_attr_int(c->g, node, "axis", 1))
			return -1;
		return p2o_finish(c, node, out);
	}
	for (int64_t d = 0; d < start; d++)
		dims[n++] = 0;
	dims[n++] = -1;
	for (int64_t d = end + 1; d < x->rank; d++) {
		if (x->dims[d].v < 0)
			return p2o_fail(c, "flatten: dimension %lld after the span must have a known size",
					(long long)d);
		dims[n++] = x->dims[d].v;
	}
	if (!(x = p2o_emit_reshape(c, x, dims, (size_t)n)))
		return -1;
	return p2o_result(c, x, out);
}

const struct p2o_converter p2o_cv_flatten_layer = {"Flatten", P2O_CONV_LAYER, "start_dim=1, end_dim=-1", NULL, NULL, call};
const struct p2o_converter p2o_cv_flatten = {"flatten", 0, "input, start_dim=0, end_dim=-1", NULL, NULL, call};
