/*
 * like.c — tensors made from another's shape or from constants:
 * zeros_like, ones_like, full_like(x, value) -> Expand of a scalar to
 * Shape(x) (the batch stays dynamic); arange(start, end, step) with
 * numbers known at conversion time -> a constant (int64 when all are ints,
 * else float32; dtype= picks).
 */
#include "fn_util.h"

#include <math.h>
#include <string.h>

static int filled(struct p2o_ctx *c, const struct p2o_args *a, double v, struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *ins[2];
	struct p2o_val *dt = p2o_arg(a, "dtype");
	enum p2o_dtype t;
	struct p2o_node *n;

	if (!x)
		return -1;
	if (x->rank < 0)
		return p2o_fail(c, "the input's rank must be known");
	t = dt && dt->kind == V_DTYPE ? dt->u.dtype : x->dtype;
	if (p2o_is_float_dt(t))
		t = P2O_DT_FLOAT32;
	if (!(n = p2o_emit(c, "Shape", &x, 1, 1)) || p2o_finish(c, n, NULL))
		return -1;
	ins[1] = n->outputs[0];
	if (!(ins[0] = p2o_operand(c, p2o_v_float(&c->g->arena, v), t, "value")) ||
	    !(n = p2o_emit(c, "Expand", ins, 2, 1)) || p2o_finish(c, n, NULL))
		return -1;
	n->outputs[0]->rank = x->rank;
	memcpy(n->outputs[0]->dims, x->dims, sizeof x->dims);
	return p2o_result(c, n->outputs[0], out);
}

static int call_zeros_like(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			   struct p2o_val **out)
{
	(void)m;
	return filled(c, a, 0, out);
}

static int call_ones_like(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	(void)m;
	return filled(c, a, 1, out);
}

static int call_full_like(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	double v;

	(void)m;
	return p2o_arg_float(c, a, "fill_value", &v) ? -1 : filled(c, a, v, out);
}

static int call_arange(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		       struct p2o_val **out)
{
	struct p2o_val *s = p2o_arg(a, "start"), *e = p2o_arg(a, "end"), *dt = p2o_arg(a, "dtype");
	double start = 0, end, step, len;
	int ints = 1;
	struct p2o_value *k;
	int64_t n;

	(void)m;
	if (e->kind == V_NONE) { /* arange(end) */
		e = s;
		s = NULL;
	}
	if ((s && p2o_arg_float(c, a, "start", &start)) || p2o_val_float(e, &end) ||
	    p2o_arg_float(c, a, "step", &step))
		return c->err->code ? -1 : p2o_fail(c, "arange takes numbers known at conversion time");
	ints = (!s || s->kind == V_INT) && e->kind == V_INT && p2o_arg(a, "step")->kind == V_INT;
	if (dt && dt->kind == V_DTYPE)
		ints = !p2o_is_float_dt(dt->u.dtype);
	if (step == 0 || (len = ceil((end - start) / step)) > 1e7)
		return p2o_fail(c, "arange: bad step or too many elements");
	n = len > 0 ? (int64_t)len : 0;
	void *data = p2o_alloc_array(&c->g->arena, n ? (size_t)n : 1, 8);
	if (!data)
		return p2o_fail(c, "out of memory");
	for (int64_t i = 0; i < n; i++) {
		if (ints)
			((int64_t *)data)[i] = (int64_t)(start + (double)i * step);
		else
			((float *)data)[i] = (float)(start + (double)i * step);
	}
	if (!(k = p2o_graph_const(c->g, p2o_sprintf(&c->g->arena, "%s.values", c->name),
				  ints ? P2O_DT_INT64 : P2O_DT_FLOAT32, 1, &n, data)))
		return p2o_fail(c, "out of memory");
	return p2o_result(c, k, out);
}

#define LIKE "input, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None"
const struct p2o_converter p2o_cv_zeros_like = {"zeros_like", 0, LIKE, NULL, NULL, call_zeros_like};
const struct p2o_converter p2o_cv_ones_like = {"ones_like", 0, LIKE, NULL, NULL, call_ones_like};
const struct p2o_converter p2o_cv_full_like = {"full_like", 0, "input, fill_value, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None", NULL, NULL, call_full_like};
const struct p2o_converter p2o_cv_arange = {"arange", 0, "start, end=None, step=1, dtype=None, layout=None, device=None, requires_grad=False", NULL, NULL, call_arange};
