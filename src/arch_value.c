/* arch_value.c — values, scopes and modules of a running description. */
#include "arch_value.h"
#include "converter.h"
#include "pyobj.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static struct p2o_val NONE = {.kind = V_NONE};

struct p2o_val *p2o_v_none(void)
{
	return &NONE;
}

struct p2o_val *p2o_v_new(struct p2o_arena *a, enum p2o_vkind kind)
{
	struct p2o_val *v = p2o_alloc(a, sizeof *v);

	if (v)
		v->kind = kind;
	return v;
}

struct p2o_val *p2o_v_int(struct p2o_arena *a, int64_t i)
{
	struct p2o_val *v = p2o_v_new(a, V_INT);
	if (v)
		v->u.i = i;
	return v;
}

struct p2o_val *p2o_v_float(struct p2o_arena *a, double f)
{
	struct p2o_val *v = p2o_v_new(a, V_FLOAT);
	if (v)
		v->u.f = f;
	return v;
}

struct p2o_val *p2o_v_bool(struct p2o_arena *a, int b)
{
	struct p2o_val *v = p2o_v_new(a, V_BOOL);
	if (v)
		v->u.b = !!b;
	return v;
}

struct p2o_val *p2o_v_str(struct p2o_arena *a, const char *s)
{
	struct p2o_val *v = p2o_v_new(a, V_STR);
	if (v && !(v->u.s = p2o_strdup(a, s)))
		return NULL;
	return v;
}

struct p2o_val *p2o_v_tensor(struct p2o_arena *a, struct p2o_value *t)
{
	struct p2o_val *v = p2o_v_new(a, V_TENSOR);
	if (v)
		v->u.t = t;
	return v;
}

int p2o_v_push(struct p2o_arena *a, struct p2o_val *seq, struct p2o_val *item)
{
	struct p2o_seqv *s = &seq->u.seq;

	if (p2o_grow(a, (void **)&s->items, &s->cap, s->n + 1, sizeof *s->items))
		return -1;
	s->items[s->n++] = item;
	return 0;
}

const char *p2o_v_kind_name(const struct p2o_val *v)
{
	static const char *const NAMES[] = {
		[V_NONE] = "None", [V_BOOL] = "bool", [V_INT] = "int",
		[V_FLOAT] = "float", [V_STR] = "str", [V_TUPLE] = "tuple",
		[V_LIST] = "list", [V_DICT] = "dict", [V_SLICE] = "slice",
		[V_ELLIPSIS] = "...", [V_MODULE] = "module", [V_CLASS] = "class",
		[V_FUNC] = "function", [V_BUILTIN] = "builtin function",
		[V_OP] = "function", [V_METHOD] = "method", [V_TENSOR] = "tensor",
		[V_DTYPE] = "dtype", [V_NAMESPACE] = "module namespace",
	};
	return v ? NAMES[v->kind] : "nothing";
}

static void repr_seq(const struct p2o_val *v, char *buf, size_t cap,
		     const char *open, const char *close)
{
	size_t len = (size_t)snprintf(buf, cap, "%s", open);

	for (size_t i = 0; i < v->u.seq.n && len + 4 < cap; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, cap - len, ", ");
		p2o_v_repr(v->u.seq.items[i], buf + len, cap - len);
		len += strlen(buf + len);
	}
	if (v->kind == V_TUPLE && v->u.seq.n == 1 && len + 2 < cap)
		len += (size_t)snprintf(buf + len, cap - len, ",");
	if (len < cap)
		snprintf(buf + len, cap - len, "%s", close);
}

void p2o_v_repr(const struct p2o_val *v, char *buf, size_t cap)
{
	if (!cap)
		return;
	buf[0] = 0;
	switch (v ? v->kind : V_NONE) {
	case V_NONE: snprintf(buf, cap, "None"); break;
	case V_BOOL: snprintf(buf, cap, v->u.b ? "True" : "False"); break;
	case V_INT:
		if (v->u.i < 0 && v->sym_of && v->sym_dim >= 0)
			snprintf(buf, cap, "%s.size(%d)", v->sym_of->name, v->sym_dim);
		else if (v->u.i < 0 && v->sym_of)
			snprintf(buf, cap, "<int known at run time>");
		else
			snprintf(buf, cap, "%" PRId64, v->u.i);
		break;
	case V_FLOAT: p2o_float_repr(v->u.f, buf, cap); break;
	case V_STR: snprintf(buf, cap, "'%s'", v->u.s); break;
	case V_TUPLE: repr_seq(v, buf, cap, "(", ")"); break;
	case V_LIST: repr_seq(v, buf, cap, "[", "]"); break;
	case V_DICT: snprintf(buf, cap, "{...}"); break;
	case V_SLICE: snprintf(buf, cap, "slice"); break;
	case V_ELLIPSIS: snprintf(buf, cap, "..."); break;
	case V_MODULE:
		snprintf(buf, cap, "%s", v->u.mod->call_text ? v->u.mod->call_text : v->u.mod->type);
		break;
	case V_CLASS:
		snprintf(buf, cap, "%s", v->u.cls ? v->u.cls->s : p2o_converter_name(v->conv));
		break;
	case V_FUNC: snprintf(buf, cap, "<function>"); break;
	case V_BUILTIN: snprintf(buf, cap, "%s", v->u.builtin.name); break;
	case V_OP: snprintf(buf, cap, "%s", p2o_converter_name(v->conv)); break;
	case V_METHOD: snprintf(buf, cap, "<method>"); break;
	case V_TENSOR: snprintf(buf, cap, "<tensor %s>", v->u.t->name); break;
	case V_DTYPE: snprintf(buf, cap, "torch.%s", p2o_dtype_info(v->u.dtype)->name); break;
	case V_NAMESPACE: snprintf(buf, cap, "%s", v->u.s); break;
	}
}

int p2o_v_truthy(const struct p2o_val *v, int *out)
{
	switch (v->kind) {
	case V_NONE: *out = 0; return 0;
	case V_BOOL: *out = v->u.b; return 0;
	case V_INT:
		if (v->u.i < 0 && v->sym_of)
			return -1; /* a dynamic size: unknown at conversion time */
		*out = v->u.i != 0;
		return 0;
	case V_FLOAT: *out = v->u.f != 0; return 0;
	case V_STR: *out = v->u.s[0] != 0; return 0;
	case V_TUPLE: case V_LIST: case V_DICT: *out = v->u.seq.n != 0; return 0;
	case V_TENSOR: return -1; /* data-dependent */
	default: *out = 1; return 0;
	}
}

int p2o_v_equal(const struct p2o_val *a, const struct p2o_val *b)
{
	if (a == b)
		return 1;
	if ((a->kind == V_INT || a->kind == V_BOOL || a->kind == V_FLOAT) &&
	    (b->kind == V_INT || b->kind == V_BOOL || b->kind == V_FLOAT)) {
		double x = a->kind == V_FLOAT ? a->u.f : a->kind == V_INT ? (double)a->u.i : a->u.b;
		double y = b->kind == V_FLOAT ? b->u.f : b->kind == V_INT ? (double)b->u.i : b->u.b;
		return x == y;
	}
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case V_NONE: case V_ELLIPSIS: return 1;
	case V_STR: return !strcmp(a->u.s, b->u.s);
	case V_TUPLE: case V_LIST:
		if (a->u.seq.n != b->u.seq.n)
			return 0;
		for (size_t i = 0; i < a->u.seq.n; i++)
			if (!p2o_v_equal(a->u.seq.items[i], b->u.seq.items[i]))
				return 0;
		return 1;
	case V_MODULE: return a->u.mod == b->u.mod;
	case V_CLASS: return a->u.cls == b->u.cls && a->conv == b->conv;
	case V_OP: return a->conv == b->conv; /* F.relu == relu */
	case V_DTYPE: return a->u.dtype == b->u.dtype;
	case V_TENSOR: return a->u.t == b->u.t;
	default: return 0;
	}
}

struct p2o_scope *p2o_scope_new(struct p2o_arena *a, struct p2o_scope *parent)
{
	struct p2o_scope *s = p2o_alloc(a, sizeof *s);

	if (s)
		s->parent = parent;
	return s;
}

struct p2o_val *p2o_scope_get(const struct p2o_scope *s, const char *name)
{
	for (size_t i = s->n; i-- > 0;)
		if (!strcmp(s->names[i], name))
			return s->vals[i];
	return NULL;
}

struct p2o_val *p2o_scope_lookup(const struct p2o_scope *s, const char *name)
{
	for (; s; s = s->parent) {
		struct p2o_val *v = p2o_scope_get(s, name);
		if (v)
			return v;
	}
	return NULL;
}

int p2o_scope_set(struct p2o_arena *a, struct p2o_scope *s, const char *name,
		  struct p2o_val *v)
{
	size_t cap = s->cap;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name)) {
			s->vals[i] = v;
			return 0;
		}
	if (p2o_grow(a, (void **)&s->names, &cap, s->n + 1, sizeof *s->names) ||
	    p2o_grow(a, (void **)&s->vals, &s->cap, s->n + 1, sizeof *s->vals))
		return -1;
	s->names[s->n] = name;
	s->vals[s->n++] = v;
	return 0;
}

int p2o_module_add_child(struct p2o_arena *a, struct p2o_module *m,
			 const char *name, struct p2o_module *child)
{
	size_t cap = m->children_cap;

	for (size_t i = 0; i < m->nchildren; i++)
		if (!strcmp(m->child_names[i], name)) {
			m->children[i] = child;
			return 0;
		}
	if (p2o_grow(a, (void **)&m->child_names, &cap, m->nchildren + 1,
		     sizeof *m->child_names) ||
	    p2o_grow(a, (void **)&m->children, &m->children_cap, m->nchildren + 1,
		     sizeof *m->children))
		return -1;
	m->child_names[m->nchildren] = name;
	m->children[m->nchildren++] = child;
	return 0;
}

struct p2o_val *p2o_module_arg(const struct p2o_module *m, const char *name)
{
	for (size_t i = 0; i < m->nargs; i++)
		if (!strcmp(m->arg_names[i], name))
			return m->args[i];
	return NULL;
}
