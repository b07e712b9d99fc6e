/* converter_api.c — the helpers converters call (converters/converter.h). */
#include "arch_eval.h"
#include "halfconv.h"
#include "shape_infer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int p2o_fail(struct p2o_ctx *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return p2o_arch_error(c->err, c->pos, "%s", msg);
}

struct p2o_val *p2o_arg(const struct p2o_args *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->names[i], name))
			return a->vals[i];
	return NULL;
}

int p2o_arg_is_none(const struct p2o_args *a, const char *name)
{
	struct p2o_val *v = p2o_arg(a, name);
	return !v || v->kind == V_NONE;
}

int p2o_val_int(const struct p2o_val *v, int64_t *out)
{
	if (v && v->kind == V_INT && !(v->u.i < 0 && v->sym_of)) { *out = v->u.i; return 0; }
	if (v && v->kind == V_BOOL) { *out = v->u.b; return 0; }
	return -1;
}

int p2o_val_float(const struct p2o_val *v, double *out)
{
	int64_t i;

	if (v && v->kind == V_FLOAT) { *out = v->u.f; return 0; }
	if (p2o_val_int(v, &i) == 0) { *out = (double)i; return 0; }
	return -1;
}

int p2o_is_str_val(const struct p2o_val *v, const char *s)
{
	return v && v->kind == V_STR && !strcmp(v->u.s, s);
}

static int arg_type_error(struct p2o_ctx *c, const char *name, const char *want,
			  const struct p2o_val *v)
{
	char got[128];
	p2o_v_repr(v, got, sizeof got);
	return p2o_fail(c, "argument '%s' must be %s, not %s %s", name, want,
			p2o_v_kind_name(v), got);
}

struct p2o_value *p2o_arg_tensor(struct p2o_ctx *c, const struct p2o_args *a, const char *name)
{
	struct p2o_val *v = p2o_arg(a, name);

	if (!v || v->kind != V_TENSOR) {
		arg_type_error(c, name, "a tensor", v);
		return NULL;
	}
	return v->u.t;
}

int p2o_arg_int(struct p2o_ctx *c, const struct p2o_args *a, const char *name, int64_t *out)
{
	return p2o_val_int(p2o_arg(a, name), out) ? arg_type_error(c, name, "an int", p2o_arg(a, name)) : 0;
}

int p2o_arg_float(struct p2o_ctx *c, const struct p2o_args *a, const char *name, double *out)
{
	return p2o_val_float(p2o_arg(a, name), out) ? arg_type_error(c, name, "a number", p2o_arg(a, name)) : 0;
}

int p2o_arg_bool(struct p2o_ctx *c, const struct p2o_args *a, const char *name, int *out)
{
	int64_t v;

	if (p2o_val_int(p2o_arg(a, name), &v))
		return arg_type_error(c, name, "True or False", p2o_arg(a, name));
	*out = v != 0;
	return 0;
}

int p2o_arg_ints(struct p2o_ctx *c, const struct p2o_args *a, const char *name, int n,
		 int64_t *out)
{
	struct p2o_val *v = p2o_arg(a, name);

	if (p2o_val_int(v, &out[0]) == 0) {
		for (int i = 1; i < n; i++)
			out[i] = out[0];
		return 0;
	}
	if (v && (v->kind == V_TUPLE || v->kind == V_LIST) && v->u.seq.n == (size_t)n) {
		for (int i = 0; i < n; i++)
			if (p2o_val_int(v->u.seq.items[i], &out[i]))
				return arg_type_error(c, name, "ints", v);
		return 0;
	}
	char want[48];
	snprintf(want, sizeof want, "an int or a tuple of %d ints", n);
	return arg_type_error(c, name, want, v);
}

struct p2o_args p2o_module_args(const struct p2o_module *m)
{
	return (struct p2o_args){m->arg_names, m->args, m->nargs};
}

/* Weights of other floating types are given to the graph as float32,
 * converted one tensor at a time when the file is written. */
static int produce_f32(const struct p2o_const *k, void *out, struct p2o_err *err)
{
	const struct p2o_tensor *t = k->ctx;
	int64_t n = p2o_tensor_numel(t);
	const void *plain = p2o_tensor_plain_data(t);
	float *f = out;

	(void)err;
	if (plain && t->dtype == P2O_DT_FLOAT16) {
		const uint16_t *h = plain;
		for (int64_t i = 0; i < n; i++)
			f[i] = p2o_half_to_float(h[i]);
	} else if (plain && t->dtype == P2O_DT_BFLOAT16) {
		const uint16_t *h = plain;
		for (int64_t i = 0; i < n; i++)
			f[i] = p2o_bf16_to_float(h[i]);
	} else if (plain && t->dtype == P2O_DT_FLOAT64) {
		const double *d = plain;
		for (int64_t i = 0; i < n; i++)
			f[i] = (float)d[i];
	} else {
		for (int64_t i = 0; i < n; i++)
			f[i] = (float)p2o_tensor_get_f64(t, i);
	}
	return 0;
}

struct p2o_value *p2o_weight_value(struct p2o_ctx *c, const struct p2o_module *m,
				   const char *local)
{
	const struct p2o_tensor *t = p2o_module_weight(m, local);
	const char *key = !*local ? m->path :
			  *m->path ? p2o_sprintf(&c->g->arena, "%s.%s", m->path, local) : local;
	struct p2o_value *v;

	if (!t || !key) {
		p2o_fail(c, "%s: weight '%s' is not bound", m->path, local);
		return NULL;
	}
	if (t->dtype == P2O_DT_FLOAT16 || t->dtype == P2O_DT_BFLOAT16 || t->dtype == P2O_DT_FLOAT64) {
		v = p2o_graph_lazy(c->g, key, P2O_DT_FLOAT32, t->rank, t->shape, produce_f32, t);
		if (v)
			v->doc = p2o_sprintf(&c->g->arena, "converted from %s",
					     p2o_dtype_info(t->dtype)->name);
	} else {
		v = p2o_graph_weight(c->g, key, t);
	}
	if (!v)
		p2o_fail(c, "out of memory");
	return v;
}

struct p2o_node *p2o_emit(struct p2o_ctx *c, const char *op, struct p2o_value *const *in,
			  size_t nin, size_t nout)
{
	struct p2o_node *n = p2o_graph_node(c->g, op, c->name, in, nin, nout);

	if (!n)
		p2o_fail(c, "out of memory");
	return n;
}

int p2o_finish(struct p2o_ctx *c, struct p2o_node *n, struct p2o_val **out)
{
	struct p2o_err sub = {0};

	if (p2o_infer_node(c->g, n, &sub))
		return p2o_fail(c, "%s", sub.msg);
	if (out && !(*out = p2o_v_tensor(c->ev->a, n->outputs[0])))
		return p2o_fail(c, "out of memory");
	return 0;
}

int p2o_result(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val **out)
{
	return (*out = p2o_v_tensor(c->ev->a, x)) ? 0 : p2o_fail(c, "out of memory");
}

int p2o_result_tuple(struct p2o_ctx *c, struct p2o_val *const *items, size_t n,
		     struct p2o_val **out)
{
	if (!(*out = p2o_v_new(c->ev->a, V_TUPLE)))
		return p2o_fail(c, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (p2o_v_push(c->ev->a, *out, items[i]))
			return p2o_fail(c, "out of memory");
	return 0;
}

int p2o_unary(struct p2o_ctx *c, const char *op, struct p2o_value *x, struct p2o_val **out)
{
	struct p2o_node *n = p2o_emit(c, op, &x, 1, 1);
	return n ? p2o_finish(c, n, out) : -1;
}
