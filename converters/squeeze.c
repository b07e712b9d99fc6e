/*
 * squeeze.c — x.squeeze(dim=None) -> Squeeze, x.unsqueeze(dim) ->
 * Unsqueeze.  squeeze() without a dim drops the dimensions known to be 1
 * (a dynamic batch is kept even when it happens to be 1 at run time);
 * squeeze(d) of a dimension that is not 1 changes nothing, as in PyTorch;
 * squeeze(d) of a dimension known only at run time is an error.
 */
#include "fn_util.h"

static int call_squeeze(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t axes[P2O_MAX_RANK], keep[P2O_MAX_RANK];
	size_t n = 0, k = 0;

	(void)m;
	if (!x)
		return -1;
	if (x->rank < 0)
		return p2o_fail(c, "squeeze needs an input of known rank");
	if (p2o_arg_is_none(a, "dim")) {
		for (int d = 0; d < x->rank; d++)
			if (x->dims[d].v == 1)
				axes[n++] = d;
	} else if (p2o_axes_arg(c, p2o_arg(a, "dim"), x->rank, keep, &k)) {
		return -1;
	}
	for (size_t i = 0; i < k; i++) {
		if (x->dims[keep[i]].v < 0)
			return p2o_fail(c, "squeeze(%lld): the size of this dimension is only known "
					"at run time", (long long)keep[i]);
		if (x->dims[keep[i]].v == 1)
			axes[n++] = keep[i];
	}
	if (!n)
		return p2o_result(c, x, out);
	if (!(x = p2o_emit_squeeze(c, x, axes, n)))
		return -1;
	return p2o_result(c, x, out);
}

static int call_unsqueeze(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t dim;

	(void)m;
	if (x && x->rank < 0)
		return p2o_fail(c, "unsqueeze needs an input of known rank");
	if (!x || p2o_arg_int(c, a, "dim", &dim) || p2o_axis(c, dim, x->rank + 1, &dim) ||
	    !(x = p2o_emit_unsqueeze(c, x, &dim, 1)))
		return -1;
	return p2o_result(c, x, out);
}

const struct p2o_converter p2o_cv_squeeze = {"squeeze", 0, "input, dim=None", NULL, NULL, call_squeeze};
const struct p2o_converter p2o_cv_unsqueeze = {"unsqueeze", 0, "input, dim", NULL, NULL, call_unsqueeze};
