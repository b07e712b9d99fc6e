/* fn_util.c — helpers shared by the function converters (fn_util.h). */
#include "fn_util.h"
#include "dyn_int.h"

int p2o_is_float_dt(enum p2o_dtype t)
{
	return t == P2O_DT_FLOAT32 || t == P2O_DT_FLOAT16 || t == P2O_DT_FLOAT64 ||
	       t == P2O_DT_BFLOAT16;
}

static int onnx_code(enum p2o_dtype t)
{
	switch (t) {
	case P2O_DT_INT64: return 7;
	case P2O_DT_INT32: return 6;
	case P2O_DT_INT16: return 5;
	case P2O_DT_INT8: return 3;
	case P2O_DT_UINT8: return 2;
	case P2O_DT_BOOL: return 9;
	default: return 1; /* every float type is float32 in the graph */
	}
}

struct p2o_value *p2o_cast(struct p2o_ctx *c, struct p2o_value *x, enum p2o_dtype to)
{
	struct p2o_node *n;

	if (p2o_is_float_dt(to))
		to = P2O_DT_FLOAT32;
	if (x->dtype == to)
		return x;
	if (!(n = p2o_emit(c, "Cast", &x, 1, 1)) || p2o_attr_int(c->g, n, "to", onnx_code(to)) ||
	    p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return n->outputs[0];
}

enum p2o_dtype p2o_common_dt(const struct p2o_val *a, const struct p2o_val *b)
{
	const struct p2o_val *v[2] = {a, b};
	enum p2o_dtype t = P2O_DT_INVALID;

	for (int i = 0; i < 2; i++) {
		if (!v[i])
			continue;
		if (v[i]->kind == V_FLOAT ||
		    (v[i]->kind == V_TENSOR && p2o_is_float_dt(v[i]->u.t->dtype)))
			return P2O_DT_FLOAT32;
		if (v[i]->kind != V_TENSOR)
			continue;
		if (t == P2O_DT_INVALID)
			t = v[i]->u.t->dtype;
		else if (t != v[i]->u.t->dtype)
			t = t == P2O_DT_BOOL ? v[i]->u.t->dtype :
			    v[i]->u.t->dtype == P2O_DT_BOOL ? t : P2O_DT_INT64;
	}
	return t == P2O_DT_INVALID ? P2O_DT_INT64 : t;
}

struct p2o_value *p2o_operand(struct p2o_ctx *c, const struct p2o_val *v, enum p2o_dtype t,
			      const char *what)
{
	const char *name = p2o_sprintf(&c->g->arena, "%s.%s", c->name, what);
	double d;

	if (v && v->kind == V_TENSOR)
		return p2o_cast(c, v->u.t, t);
	if (p2o_val_float(v, &d) || !name) {
		char got[64];
		p2o_v_repr(v, got, sizeof got);
		p2o_fail(c, "'%s' must be a tensor or a number, not %s %s", what,
			 p2o_v_kind_name(v), got);
		return NULL;
	}
	if (p2o_is_float_dt(t)) {
		float f = (float)d;
		return p2o_graph_const(c->g, name, P2O_DT_FLOAT32, 0, NULL, &f);
	}
	if (t == P2O_DT_INT32) {
		int32_t i = (int32_t)d;
		return p2o_graph_const(c->g, name, t, 0, NULL, &i);
	}
	if (t == P2O_DT_BOOL || t == P2O_DT_UINT8 || t == P2O_DT_INT8) {
		uint8_t b = t == P2O_DT_BOOL ? d != 0 : (uint8_t)(int)d;
		return p2o_graph_const(c->g, name, t, 0, NULL, &b);
	}
	int64_t i = (int64_t)d;
	return p2o_graph_const(c->g, name, P2O_DT_INT64, 0, NULL, &i);
}

int p2o_axis(struct p2o_ctx *c, int64_t d, int rank, int64_t *out)
{
	if (rank < 0)
		return p2o_fail(c, "the input's rank must be known here");
	if (d < -rank || d >= (rank ? rank : 1))
		return p2o_fail(c, "dimension %lld is out of range for a %d-D tensor",
				(long long)d, rank);
	*out = d < 0 ? d + rank : d;
	return 0;
}

int p2o_axes_arg(struct p2o_ctx *c, const struct p2o_val *v, int rank, int64_t *axes,
		 size_t *n)
{
	int64_t d;

	*n = 0;
	if (p2o_val_int(v, &d) == 0) {
		*n = 1;
		return p2o_axis(c, d, rank, axes);
	}
	if (!v || (v->kind != V_TUPLE && v->kind != V_LIST) || v->u.seq.n > P2O_MAX_RANK)
		return p2o_fail(c, "dim must be an int or a tuple of ints, not %s",
				p2o_v_kind_name(v));
	for (size_t i = 0; i < v->u.seq.n; i++) {
		if (p2o_val_int(v->u.seq.items[i], &d))
			return p2o_fail(c, "dim must be an int or a tuple of ints");
		if (p2o_axis(c, d, rank, &axes[i]))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (axes[j] == axes[i])
				return p2o_fail(c, "dimension %lld appears twice", (long long)d);
	}
	*n = v->u.seq.n;
	return 0;
}

void p2o_sizes_items(struct p2o_val *v, struct p2o_val ***items, size_t *n)
{
	*items = &v;
	*n = 1;
	if (v->kind != V_TUPLE && v->kind != V_LIST)
		return;
	*items = v->u.seq.items;
	*n = v->u.seq.n;
	if (*n == 1 && ((*items)[0]->kind == V_TUPLE || (*items)[0]->kind == V_LIST)) {
		*n = (*items)[0]->u.seq.n;
		*items = (*items)[0]->u.seq.items;
	}
}

int p2o_known_dim(struct p2o_ctx *c, const struct p2o_value *x, int64_t d, const char *what,
		  int64_t *out)
{
	if (d < 0 || d >= x->rank || x->dims[d].v < 0)
		return p2o_fail(c, "%s needs dimension %lld of the input to have a size known "
				"at conversion time", what, (long long)d);
	*out = x->dims[d].v;
	return 0;
}

int p2o_tuple_result(struct p2o_ctx *c, struct p2o_value *const *xs, size_t n,
		     struct p2o_val **out)
{
	struct p2o_val *t = p2o_v_new(&c->g->arena, V_TUPLE);

	for (size_t i = 0; t && i < n; i++)
		if (p2o_v_push(&c->g->arena, t, p2o_v_tensor(&c->g->arena, xs[i])))
			t = NULL;
	if (!t)
		return p2o_fail(c, "out of memory");
	*out = t;
	return 0;
}

int p2o_pool_whole(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value *x, int sp,
		   const char *op, struct p2o_val **out)
{
	struct p2o_val *kv = p2o_arg(a, "kernel_size"), **items = &kv;
	size_t n = 1, dyn = 0;
	int64_t k, p[3] = {0, 0, 0}, dil[3] = {1, 1, 1};

	if (kv && (kv->kind == V_TUPLE || kv->kind == V_LIST)) {
		items = kv->u.seq.items;
		n = kv->u.seq.n;
	}
	for (size_t i = 0; i < n; i++)
		dyn += p2o_is_dyn_int(items[i]);
	if (!dyn)
		return 0;
	if (n != 1 && n != (size_t)sp)
		return p2o_fail(c, "kernel_size must be an int or a tuple of %d ints", sp);
	for (int d = 0; d < sp; d++) {
		struct p2o_val *v = items[n == 1 ? 0 : d];
		if (!p2o_dyn_is_dim(v, x, 2 + d) &&
		    (p2o_val_int(v, &k) || x->dims[2 + d].v < 0 || x->dims[2 + d].v != k))
			return p2o_fail(c, "a kernel size known only at run time must be the whole "
					"size of its axis (x.size(%d) for axis %d)", 2 + d, 2 + d);
	}
	if (p2o_arg_ints(c, a, "padding", sp, p) ||
	    (p2o_arg(a, "dilation") && p2o_arg_ints(c, a, "dilation", sp, dil)))
		return -1;
	for (int d = 0; d < sp; d++)
		if (p[d] || dil[d] != 1)
			return p2o_fail(c, "pooling with a run-time kernel size takes no padding "
					"and no dilation");
	if (p2o_arg(a, "divisor_override") && !p2o_arg_is_none(a, "divisor_override"))
		return p2o_fail(c, "divisor_override is not supported with a run-time kernel size");
	return p2o_unary(c, op, x, out) ? -1 : 1;
}
