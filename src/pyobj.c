/* pyobj.c — constructors, look-ups and repr for pickled values. */
#include "pyobj.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct p2o_obj *p2o_obj_new(struct p2o_arena *a, enum p2o_kind kind)
{
	struct p2o_obj *o = p2o_alloc(a, sizeof *o);

	if (o)
		o->kind = kind;
	return o;
}

struct p2o_obj *p2o_obj_int(struct p2o_arena *a, int64_t v)
{
	struct p2o_obj *o = p2o_obj_new(a, PY_INT);

	if (o)
		o->u.i = v;
	return o;
}

struct p2o_obj *p2o_obj_str(struct p2o_arena *a, const char *s, size_t len)
{
	struct p2o_obj *o = p2o_obj_new(a, PY_STR);

	if (!o)
		return NULL;
	o->u.str.s = p2o_strndup(a, s, len);
	o->u.str.len = len;
	return o->u.str.s ? o : NULL;
}

int p2o_seq_push(struct p2o_arena *a, struct p2o_seq *s, struct p2o_obj *v)
{
	if (p2o_grow(a, (void **)&s->items, &s->cap, s->n + 1, sizeof *s->items))
		return -1;
	s->items[s->n++] = v;
	return 0;
}

static int key_equal(const struct p2o_obj *a, const struct p2o_obj *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case PY_STR: case PY_BYTES:
		return a->u.str.len == b->u.str.len &&
		       !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	case PY_INT: return a->u.i == b->u.i;
	case PY_BOOL: return a->u.boolean == b->u.boolean;
	case PY_NONE: return 1;
	default: return 0;
	}
}

int p2o_dict_set(struct p2o_arena *a, struct p2o_dict *d, struct p2o_obj *k,
		 struct p2o_obj *v)
{
	/* A repeated key replaces the value, as in Python.  Search from the
	 * end: the common case of a fresh key costs one comparison only when
	 * keys are not strings/ints, so keep dicts cheap for large state_dicts
	 * by checking only string and int keys. */
	if (k && (k->kind == PY_STR || k->kind == PY_INT) && d->n < 4096) {
		for (size_t i = 0; i < d->n; i++)
			if (key_equal(d->keys[i], k)) {
				d->vals[i] = v;
				return 0;
			}
	}
	size_t kcap = d->cap;
	if (p2o_grow(a, (void **)&d->keys, &kcap, d->n + 1, sizeof *d->keys) ||
	    p2o_grow(a, (void **)&d->vals, &d->cap, d->n + 1, sizeof *d->vals))
		return -1;
	d->keys[d->n] = k;
	d->vals[d->n++] = v;
	return 0;
}

struct p2o_obj *p2o_dict_get(const struct p2o_obj *dict, const char *key)
{
	const struct p2o_dict *d;

	if (!dict)
		return NULL;
	if (dict->kind == PY_DICT)
		d = &dict->u.dict;
	else if (dict->kind == PY_OBJECT)
		d = &dict->u.object.items;
	else
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		if (p2o_is_str(d->keys[i], key))
			return d->vals[i];
	return NULL;
}

struct p2o_obj *p2o_attr(const struct p2o_obj *obj, const char *key)
{
	if (!obj || obj->kind != PY_OBJECT)
		return NULL;
	const struct p2o_obj *state = obj->u.object.state;
	/* BUILD with (dict, slotstate) puts attributes in the first element */
	if (state && state->kind == PY_TUPLE && state->u.seq.n == 2)
		state = state->u.seq.items[0];
	return p2o_dict_get(state, key);
}

int p2o_is_str(const struct p2o_obj *o, const char *s)
{
	return o && o->kind == PY_STR && strlen(s) == o->u.str.len &&
	       !memcmp(o->u.str.s, s, o->u.str.len);
}

int p2o_is_global(const struct p2o_obj *o, const char *module, const char *name)
{
	return o && o->kind == PY_GLOBAL && !strcmp(o->u.global.module, module) &&
	       !strcmp(o->u.global.name, name);
}

const char *p2o_class_name(struct p2o_arena *a, const struct p2o_obj *o)
{
	if (!o || o->kind != PY_OBJECT || !o->u.object.cls ||
	    o->u.object.cls->kind != PY_GLOBAL)
		return NULL;
	return p2o_sprintf(a, "%s.%s", o->u.object.cls->u.global.module,
			   o->u.object.cls->u.global.name);
}

int p2o_obj_as_int(const struct p2o_obj *o, int64_t *out)
{
	if (!o)
		return -1;
	if (o->kind == PY_INT) { *out = o->u.i; return 0; }
	if (o->kind == PY_BOOL) { *out = o->u.boolean; return 0; }
	return -1;
}

int p2o_obj_as_double(const struct p2o_obj *o, double *out)
{
	int64_t i;

	if (o && o->kind == PY_FLOAT) { *out = o->u.f; return 0; }
	if (p2o_obj_as_int(o, &i) == 0) { *out = (double)i; return 0; }
	return -1;
}

/* ---- repr ---- */

struct sbuf {
	char *p;
	size_t cap, len;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && b->len + 1 < b->cap; i++)
		b->p[b->len++] = s[i];
	if (b->cap)
		b->p[b->len < b->cap ? b->len : b->cap - 1] = 0;
}

static void puts_(struct sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	puts_(b, tmp);
}

/* Python's float repr: the shortest digits that round-trip, positional
 * for exponents -4..15, scientific (two-digit exponent at least) outside. */
void p2o_float_repr(double f, char *out, size_t cap)
{
	char digits[40], *e;
	int prec, exp;

	if (isnan(f)) { snprintf(out, cap, "nan"); return; }
	if (isinf(f)) { snprintf(out, cap, f < 0 ? "-inf" : "inf"); return; }
	for (prec = 0; prec < 17; prec++) {
		snprintf(digits, sizeof digits, "%.*e", prec, f);
		if (strtod(digits, NULL) == f)
			break;
	}
	e = strchr(digits, 'e');
	exp = atoi(e + 1);
	if (exp < -4 || exp >= 16) {
		*e = 0;
		snprintf(out, cap, "%se%c%02d", digits, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	snprintf(out, cap, "%.*f", prec - exp > 0 ? prec - exp : 0, f);
	if (!strchr(out, '.'))
		snprintf(out + strlen(out), cap - strlen(out), ".0");
}

static void put_float(struct sbuf *b, double f)
{
	char tmp[64];

	p2o_float_repr(f, tmp, sizeof tmp);
	puts_(b, tmp);
}

static void repr_rec(struct sbuf *b, const struct p2o_obj *o, int depth);

static void repr_seq(struct sbuf *b, const struct p2o_seq *s, const char *open,
		     const char *close, int depth)
{
	puts_(b, open);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			puts_(b, ", ");
		if (b->len + 8 >= b->cap) { puts_(b, "..."); break; }
		repr_rec(b, s->items[i], depth + 1);
	}
	if (s->n == 1 && !strcmp(open, "("))
		puts_(b, ",");
	puts_(b, close);
}

static void repr_rec(struct sbuf *b, const struct p2o_obj *o, int depth)
{
	if (depth > 32) { puts_(b, "..."); return; }
	if (!o) { puts_(b, "?"); return; }
	switch (o->kind) {
	case PY_NONE: puts_(b, "None"); break;
	case PY_BOOL: puts_(b, o->u.boolean ? "True" : "False"); break;
	case PY_INT: putf(b, "%" PRId64, o->u.i); break;
	case PY_FLOAT: put_float(b, o->u.f); break;
	case PY_COMPLEX:
		puts_(b, "(");
		put_float(b, o->u.c[0]);
		puts_(b, o->u.c[1] < 0 ? "" : "+");
		put_float(b, o->u.c[1]);
		puts_(b, "j)");
		break;
	case PY_STR:
		puts_(b, "'");
		put(b, o->u.str.s, o->u.str.len);
		puts_(b, "'");
		break;
	case PY_BYTES: putf(b, "<%zu bytes>", o->u.str.len); break;
	case PY_TUPLE:
		if (o->flags & P2O_OBJ_SIZE)
			repr_seq(b, &o->u.seq, "torch.Size([", "])", depth);
		else
			repr_seq(b, &o->u.seq, "(", ")", depth);
		break;
	case PY_LIST: repr_seq(b, &o->u.seq, "[", "]", depth); break;
	case PY_SET:
		if (!o->u.seq.n) { puts_(b, "set()"); break; }
		repr_seq(b, &o->u.seq, "{", "}", depth);
		break;
	case PY_DICT:
		puts_(b, "{");
		for (size_t i = 0; i < o->u.dict.n; i++) {
			if (i) puts_(b, ", ");
			if (b->len + 8 >= b->cap) { puts_(b, "..."); break; }
			repr_rec(b, o->u.dict.keys[i], depth + 1);
			puts_(b, ": ");
			repr_rec(b, o->u.dict.vals[i], depth + 1);
		}
		puts_(b, "}");
		break;
	case PY_GLOBAL:
		putf(b, "%s.%s", o->u.global.module, o->u.global.name);
		break;
	case PY_OBJECT:
		repr_rec(b, o->u.object.cls, depth + 1);
		if (o->u.object.args && o->u.object.args->kind == PY_TUPLE)
			repr_seq(b, &o->u.object.args->u.seq, "(", ")", depth);
		else
			puts_(b, "()");
		break;
	case PY_TENSOR: {
		const struct p2o_tensor *t = o->u.tensor;
		putf(b, "tensor(%s, [", p2o_dtype_info(t->dtype)->name);
		for (int d = 0; d < t->rank; d++)
			putf(b, d ? ", %" PRId64 : "%" PRId64, t->shape[d]);
		puts_(b, "])");
		break;
	}
	case PY_STORAGE: putf(b, "<storage %s>", o->u.storage->key); break;
	}
}

void p2o_repr(const struct p2o_obj *o, char *buf, size_t cap)
{
	struct sbuf b = {buf, cap, 0};

	if (cap)
		buf[0] = 0;
	repr_rec(&b, o, 0);
}
