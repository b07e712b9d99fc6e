/* pickle_prims.c — reading, the stack, marks, the memo, and the scalar
 * and string opcodes of the pickle machine (see pickle_machine.h). */
#include "pickle_machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pm_fail(struct machine *m, const char *fmt, ...)
{
	char where[600], msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(where, sizeof where, "%s @ byte %zu", m->env->where, m->op_at);
	return p2o_errf(m->err, P2O_EFORMAT, where, "%s", msg);
}

int pm_oom(struct machine *m)
{
	return p2o_errf(m->err, P2O_ENOMEM, m->env->where, "out of memory");
}

/* ---- reading ---- */

int pm_need(struct machine *m, size_t n, const char *what)
{
	if ((size_t)(m->end - m->p) < n)
		return pm_fail(m, "truncated pickle: %s needs %zu bytes, %zu left",
			    what, n, (size_t)(m->end - m->p));
	return 0;
}

uint64_t pm_rd_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* A newline-terminated argument of the text opcodes. */
int pm_read_line(struct machine *m, const char **s, size_t *len)
{
	const unsigned char *nl = memchr(m->p, '\n', (size_t)(m->end - m->p));

	if (!nl)
		return pm_fail(m, "truncated pickle: missing newline");
	*s = (const char *)m->p;
	*len = (size_t)(nl - m->p);
	m->p = nl + 1;
	return 0;
}

/* ---- stack ---- */

int pm_push(struct machine *m, struct p2o_obj *o)
{
	if (!o)
		return m->err->code ? -1 : pm_oom(m);
	if (m->sp == m->scap) {
		size_t ncap = m->scap ? m->scap * 2 : 256;
		struct p2o_obj **ns;
		if (ncap > MAX_STACK)
			return pm_fail(m, "pickle stack deeper than %u", MAX_STACK);
		ns = realloc(m->stack, ncap * sizeof *ns);
		if (!ns)
			return pm_oom(m);
		m->stack = ns;
		m->scap = ncap;
	}
	m->stack[m->sp++] = o;
	return 0;
}

struct p2o_obj *pm_pop(struct machine *m)
{
	size_t floor = m->nmarks ? m->marks[m->nmarks - 1] : 0;

	if (m->sp <= floor) {
		pm_fail(m, "stack underflow");
		return NULL;
	}
	return m->stack[--m->sp];
}

struct p2o_obj *pm_top(struct machine *m)
{
	size_t floor = m->nmarks ? m->marks[m->nmarks - 1] : 0;

	if (m->sp <= floor) {
		pm_fail(m, "stack underflow");
		return NULL;
	}
	return m->stack[m->sp - 1];
}

int pm_push_mark(struct machine *m)
{
	if (m->nmarks == m->mcap) {
		size_t ncap = m->mcap ? m->mcap * 2 : 64;
		size_t *nm;
		if (ncap > MAX_STACK)
			return pm_fail(m, "more than %u nested MARKs", MAX_STACK);
		nm = realloc(m->marks, ncap * sizeof *nm);
		if (!nm)
			return pm_oom(m);
		m->marks = nm;
		m->mcap = ncap;
	}
	m->marks[m->nmarks++] = m->sp;
	return 0;
}

/* Pop everything above the last MARK into items[0..n). */
int pm_pop_mark(struct machine *m, struct p2o_obj ***items, size_t *n)
{
	size_t at;

	if (!m->nmarks)
		return pm_fail(m, "opcode needs a MARK but there is none");
	at = m->marks[--m->nmarks];
	*items = m->stack + at;
	*n = m->sp - at;
	m->sp = at;
	return 0;
}

struct p2o_obj *pm_make_seq(struct machine *m, enum p2o_kind kind,
				struct p2o_obj **items, size_t n)
{
	struct p2o_obj *o = p2o_obj_new(m->a, kind);

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (p2o_seq_push(m->a, &o->u.seq, items[i]))
			return NULL;
	return o;
}

/* ---- memo ---- */

int pm_memo_put(struct machine *m, uint64_t key, struct p2o_obj *v)
{
	if (key > UINT32_MAX)
		return pm_fail(m, "memo index %llu out of range", (unsigned long long)key);
	if ((m->memo_n + 1) * 2 > m->memo_cap) {
		size_t ncap = m->memo_cap ? m->memo_cap * 2 : 1024;
		struct memo_slot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return pm_oom(m);
		for (size_t i = 0; i < m->memo_cap; i++) {
			if (!m->memo[i].used)
				continue;
			size_t h = (m->memo[i].key * 2654435761u) & (ncap - 1);
			while (ns[h].used)
				h = (h + 1) & (ncap - 1);
			ns[h] = m->memo[i];
		}
		free(m->memo);
		m->memo = ns;
		m->memo_cap = ncap;
	}
	size_t h = ((uint32_t)key * 2654435761u) & (m->memo_cap - 1);
	while (m->memo[h].used && m->memo[h].key != key)
		h = (h + 1) & (m->memo_cap - 1);
	if (!m->memo[h].used)
		m->memo_n++;
	m->memo[h] = (struct memo_slot){(uint32_t)key, 1, v};
	return 0;
}

int pm_memo_get(struct machine *m, uint64_t key)
{
	if (m->memo_cap && key <= UINT32_MAX) {
		size_t h = ((uint32_t)key * 2654435761u) & (m->memo_cap - 1);
		while (m->memo[h].used) {
			if (m->memo[h].key == key)
				return pm_push(m, m->memo[h].val);
			h = (h + 1) & (m->memo_cap - 1);
		}
	}
	return pm_fail(m, "memo index %llu was never stored", (unsigned long long)key);
}

/* ---- scalars and strings ---- */

struct p2o_obj *pm_make_long(struct machine *m, const unsigned char *p,
				 size_t n)
{
	struct p2o_obj *o;

	if (n <= 8) {
		uint64_t v = pm_rd_le(p, (int)n);
		if (n && n < 8 && (p[n - 1] & 0x80))
			v |= ~(uint64_t)0 << (8 * n);
		return p2o_obj_int(m->a, (int64_t)v);
	}
	/* Beyond 64 bits: keep an approximate float (checkpoints almost never
	 * hold such numbers; they are shown, not used). */
	double d = 0;
	for (size_t i = n; i-- > 0;)
		d = d * 256.0 + p[i];
	if (p[n - 1] & 0x80) {
		double full = 1;
		for (size_t i = 0; i < n; i++)
			full *= 256.0;
		d -= full;
	}
	o = p2o_obj_new(m->a, PY_FLOAT);
	if (o)
		o->u.f = d;
	return o;
}

/* Bytes of a string opcode stay in the pickle's buffer (no copy): the
 * buffer lives as long as the checkpoint.  Text gets a terminating NUL. */
int pm_push_bytes(struct machine *m, enum p2o_kind kind, uint64_t n)
{
	struct p2o_obj *o;

	if (pm_need(m, n, "string") < 0)
		return -1;
	if (kind == PY_STR) {
		o = p2o_obj_str(m->a, (const char *)m->p, (size_t)n);
	} else {
		o = p2o_obj_new(m->a, PY_BYTES);
		if (o) {
			o->u.str.s = (const char *)m->p;
			o->u.str.len = (size_t)n;
		}
	}
	m->p += n;
	return pm_push(m, o);
}

/* Protocol 0 text arguments. */
int pm_text_int(struct machine *m, int is_long)
{
	const char *s = NULL;
	size_t len = 0;
	char buf[64], *endp;

	if (pm_read_line(m, &s, &len))
		return -1;
	if (is_long && len && s[len - 1] == 'L')
		len--;
	if (len >= sizeof buf)
		return pm_fail(m, "integer literal too long");
	memcpy(buf, s, len);
	buf[len] = 0;
	if (!is_long && !strcmp(buf, "00")) {
		struct p2o_obj *o = p2o_obj_new(m->a, PY_BOOL);
		return pm_push(m, o);
	}
	if (!is_long && !strcmp(buf, "01")) {
		struct p2o_obj *o = p2o_obj_new(m->a, PY_BOOL);
		if (o)
			o->u.boolean = 1;
		return pm_push(m, o);
	}
	long long v = strtoll(buf, &endp, 10);
	if (endp == buf || *endp)
		return pm_fail(m, "bad integer literal '%s'", buf);
	return pm_push(m, p2o_obj_int(m->a, v));
}

int pm_text_float(struct machine *m)
{
	const char *s = NULL;
	size_t len = 0;
	char buf[64], *endp;
	struct p2o_obj *o;

	if (pm_read_line(m, &s, &len))
		return -1;
	if (len >= sizeof buf)
		return pm_fail(m, "float literal too long");
	memcpy(buf, s, len);
	buf[len] = 0;
	o = p2o_obj_new(m->a, PY_FLOAT);
	if (!o)
		return pm_oom(m);
	o->u.f = strtod(buf, &endp);
	if (endp == buf || *endp)
		return pm_fail(m, "bad float literal '%s'", buf);
	return pm_push(m, o);
}

/* STRING 'S': a Python repr in quotes; keep the inside, escapes as is. */
int pm_text_string(struct machine *m, enum p2o_kind kind)
{
	const char *s = NULL;
	size_t len = 0;

	if (pm_read_line(m, &s, &len))
		return -1;
	if (kind == PY_BYTES && len >= 2 && (s[0] == '\'' || s[0] == '"')) {
		s++;
		len -= 2;
	}
	struct p2o_obj *o = p2o_obj_str(m->a, s, len);
	return pm_push(m, o);
}

int pm_do_global(struct machine *m, const char *mod, size_t ml,
		     const char *name, size_t nl)
{
	struct p2o_obj *g = p2o_obj_new(m->a, PY_GLOBAL);

	if (!g)
		return pm_oom(m);
	g->u.global.module = p2o_strndup(m->a, mod, ml);
	g->u.global.name = p2o_strndup(m->a, name, nl);
	if (!g->u.global.module || !g->u.global.name)
		return pm_oom(m);
	/* Python 2 names that protocol <= 2 writes */
	if (!strcmp(g->u.global.module, "__builtin__"))
		g->u.global.module = "builtins";
	else if (!strcmp(g->u.global.module, "copy_reg"))
		g->u.global.module = "copyreg";
	else if (!strcmp(g->u.global.module, "torch.tensor"))
		g->u.global.module = "torch._tensor";
	if (p2o_note_global(m->env, g->u.global.module, g->u.global.name))
		return pm_oom(m);
	return pm_push(m, g);
}


