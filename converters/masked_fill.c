/*
 * masked_fill.c — x.masked_fill(mask, value) and torch.masked_fill ->
 * Where(mask, value, x).  The mask (bool; other types are cast, nonzero
 * is True) broadcasts to x; value is a number or a 0-D tensor, cast to
 * x's type.
 */
#include "fn_util.h"

static int call_masked_fill(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			    struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *mask = p2o_arg_tensor(c, a, "mask");
	struct p2o_val *v = p2o_arg(a, "value");
	struct p2o_value *ins[3];
	struct p2o_node *n;

	(void)m;
	if (!x || !mask)
		return -1;
	if (v->kind == V_TENSOR && v->u.t->rank > 0)
		return p2o_fail(c, "masked_fill: value must be a number or a 0-D tensor, not a %d-D "
				"tensor", v->u.t->rank);
	if (!(ins[0] = p2o_cast(c, mask, P2O_DT_BOOL)) ||
	    !(ins[1] = p2o_operand(c, v, x->dtype, "value")))
		return -1;
	ins[2] = x;
	if (!(n = p2o_emit(c, "Where", ins, 3, 1)))
		return -1;
	return p2o_finish(c, n, out);
}

const struct p2o_converter p2o_cv_masked_fill = {"masked_fill", 0, "input, mask, value", NULL,
						 NULL, call_masked_fill};
