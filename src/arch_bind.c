/* arch_bind.c — module paths, and binding the checkpoint's weights to the
 * layers, with every problem reported at once (like load_state_dict). */
#include "arch_bind.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int set_paths(struct p2o_eval *ev, struct p2o_module *m, const char *path, int depth)
{
	if (m->path_set) /* shared: the first registration names it */
		return 0;
	if (depth > P2O_MAX_CALL_DEPTH)
		return p2o_arch_error(ev->err, m->pos, "modules nested too deeply");
	m->path = path;
	m->path_set = 1;
	for (size_t i = 0; i < m->nchildren; i++) {
		const char *sub = *path ? p2o_sprintf(ev->a, "%s.%s", path, m->child_names[i])
					: m->child_names[i];
		if (!sub || set_paths(ev, m->children[i], sub, depth + 1))
			return ev->err->code ? -1 : p2o_arch_error(ev->err, m->pos, "out of memory");
	}
	return 0;
}

static int add_problem(struct p2o_bind *b, int kind, const char *key, const char *msg)
{
	if (p2o_grow(b->ev->a, (void **)&b->items, &b->cap, b->n + 1, sizeof *b->items))
		return -1;
	b->items[b->n++] = (struct p2o_bind_problem){key, msg, kind};
	return 0;
}

static const char *shape_text(struct p2o_arena *a, int rank, const int64_t *shape)
{
	char buf[256];
	size_t len = (size_t)snprintf(buf, sizeof buf, "[");

	for (int d = 0; d < rank && len < sizeof buf; d++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, d ? ", %" PRId64 : "%" PRId64,
					shape[d]);
	if (len < sizeof buf)
		snprintf(buf + len, sizeof buf - len, "]");
	return p2o_strdup(a, buf);
}

static const char *where(struct p2o_arena *a, const struct p2o_module *m)
{
	return p2o_sprintf(a, "%s:%d:%d", m->pos.src ? m->pos.src->file : "?", m->pos.line,
			   m->pos.col);
}

static int record_weight(struct p2o_arena *a, struct p2o_module *m, const char *local,
			 const struct p2o_tensor *t)
{
	size_t cap = m->weights_cap;

	if (p2o_grow(a, (void **)&m->wnames, &cap, m->nweights + 1, sizeof *m->wnames) ||
	    p2o_grow(a, (void **)&m->weights, &m->weights_cap, m->nweights + 1, sizeof *m->weights))
		return -1;
	/* a copy: converters may build local names in a buffer (weight_ih_l0) */
	if (!(m->wnames[m->nweights] = p2o_strdup(a, local)))
		return -1;
	m->weights[m->nweights++] = t;
	return 0;
}

/* --allow-missing: a zero tensor of the expected shape stands in. */
static const struct p2o_tensor *zeros(struct p2o_arena *a, int rank, const int64_t *shape)
{
	struct p2o_tensor *t = p2o_alloc(a, sizeof *t);
	struct p2o_storage *s = p2o_alloc(a, sizeof *s);
	int64_t n = 1, stride = 1;

	if (!t || !s || rank < 0)
		return NULL;
	for (int d = 0; d < rank; d++) {
		if (shape[d] < 0)
			return NULL;
		n *= shape[d];
	}
	t->rank = rank;
	t->dtype = P2O_DT_FLOAT32;
	for (int d = rank - 1; d >= 0; d--) {
		t->shape[d] = shape[d];
		t->stride[d] = stride;
		stride *= shape[d];
	}
	s->key = "zeros";
	s->dtype = P2O_DT_FLOAT32;
	s->numel = (uint64_t)n;
	s->nbytes = (uint64_t)n * 4;
	if (!(s->data = p2o_alloc(a, (size_t)s->nbytes + 1)))
		return NULL;
	s->resolved = 1;
	t->storage = s;
	t->device = "cpu";
	return t;
}

const struct p2o_tensor *p2o_bind_param(struct p2o_bind *b, struct p2o_module *m,
					const char *local, int optional, int rank,
					const int64_t *expected)
{
	struct p2o_arena *a = b->ev->a;
	const struct p2o_weights *w = b->ev->w;
	const char *key = !*local ? m->path : *m->path ? p2o_sprintf(a, "%s.%s", m->path, local) : local;
	const struct p2o_tensor *t = NULL;
	int bad = 0;

	for (size_t i = 0; key && i < w->n; i++)
		if (!strcmp(w->items[i].name, key)) {
			t = w->items[i].t;
			b->used[i] = 1;
			break;
		}
	if (!t) {
		if (optional)
			return NULL;
		if (b->ev->allow_missing && (t = zeros(a, rank, expected))) {
			record_weight(a, m, local, t);
			add_problem(b, P2O_PROBLEM_FILLED, key, NULL);
			return t;
		}
		add_problem(b, P2O_PROBLEM_MISSING, key,
			    p2o_sprintf(a, "missing key %s, needed by %s at %s", key,
					m->call_text, where(a, m)));
		return NULL;
	}
	if (rank >= 0 && t->rank != rank)
		bad = 1;
	for (int d = 0; !bad && rank >= 0 && d < rank; d++)
		bad = expected[d] >= 0 && t->shape[d] != expected[d];
	if (bad) {
		int64_t shown[P2O_MAX_RANK];
		for (int d = 0; d < rank; d++) /* unknown sizes shown as the actual ones */
			shown[d] = expected[d] >= 0 || d >= t->rank ? expected[d] : t->shape[d];
		add_problem(b, P2O_PROBLEM_SHAPE, key,
			    p2o_sprintf(a, "%s has shape %s but %s needs %s (%s)", key,
					shape_text(a, t->rank, t->shape), m->call_text,
					shape_text(a, rank, shown), where(a, m)));
		return NULL;
	}
	if (record_weight(a, m, local, t))
		return NULL;
	return t;
}

int p2o_bind_problem(struct p2o_bind *b, struct p2o_module *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return add_problem(b, P2O_PROBLEM_SHAPE, m->path,
			   p2o_sprintf(b->ev->a, "%s: %s (%s at %s)", *m->path ? m->path : m->type,
				       msg, m->call_text, where(b->ev->a, m)));
}

int p2o_bind_set_arg(struct p2o_bind *b, struct p2o_module *m, const char *name, int64_t value)
{
	for (size_t i = 0; i < m->nargs; i++) {
		if (strcmp(m->arg_names[i], name))
			continue;
		if (m->args[i]->kind == V_NONE) {
			m->args[i] = p2o_v_int(b->ev->a, value);
			return m->args[i] ? 0 : -1;
		}
		if (m->args[i]->kind == V_INT && m->args[i]->u.i == value)
			return 0;
		char have[64];
		p2o_v_repr(m->args[i], have, sizeof have);
		return p2o_bind_problem(b, m, "%s=%s, but the weights say %" PRId64, name, have, value);
	}
	return 0;
}

const struct p2o_tensor *p2o_module_weight(const struct p2o_module *m, const char *local)
{
	for (size_t i = 0; i < m->nweights; i++)
		if (!strcmp(m->wnames[i], local))
			return m->weights[i];
	return NULL;
}

static int bind_tree(struct p2o_bind *b, struct p2o_module *m, int depth)
{
	if (m->conv && m->conv->bind && m->conv->bind(b, m))
		return -1;
	for (size_t i = 0; i < m->nchildren; i++)
		if (m->children[i]->path_set && depth < P2O_MAX_CALL_DEPTH &&
		    !strncmp(m->children[i]->path, m->path, strlen(m->path)) &&
		    bind_tree(b, m->children[i], depth + 1))
			return -1;
	return 0;
}

int p2o_bind_model(struct p2o_eval *ev, struct p2o_module *root, struct p2o_bind *b)
{
	const struct p2o_weights *w = ev->w;

	memset(b, 0, sizeof *b);
	b->ev = ev;
	ev->bind = b;
	if (set_paths(ev, root, "", 0))
		return -1;
	if (!(b->used = p2o_alloc(ev->a, w->n + 1)))
		return p2o_arch_error(ev->err, root->pos, "out of memory");
	if (bind_tree(b, root, 0))
		return -1;
	for (size_t i = 0; i < w->n; i++)
		if (!b->used[i] &&
		    add_problem(b, P2O_PROBLEM_UNUSED, w->items[i].name,
				p2o_sprintf(ev->a, "unexpected key %s: no layer of the description uses it",
					    w->items[i].name)))
			return p2o_arch_error(ev->err, root->pos, "out of memory");
	return 0;
}

int p2o_bind_report(struct p2o_bind *b, int allow_unused,
		    FILE *warn, struct p2o_err *err)
{
	size_t counts[4] = {0}, fatal = 0, len;
	char *d = err->detail;

	for (size_t i = 0; i < b->n; i++)
		counts[b->items[i].kind]++;
	for (size_t i = 0; i < b->n; i++) {
		int kind = b->items[i].kind;
		if (kind == P2O_PROBLEM_FILLED)
			fprintf(warn, "pth2onnx: warning: %s is missing; filled with zeros (--allow-missing)\n",
				b->items[i].key);
		else if (kind == P2O_PROBLEM_UNUSED && allow_unused)
			fprintf(warn, "pth2onnx: warning: %s\n", b->items[i].msg);
		else
			fatal++;
	}
	if (!fatal)
		return 0;
	p2o_errf(err, P2O_EBIND, "", "the weights do not fit the description: %zu missing, "
		 "%zu unexpected, %zu mismatched%s", counts[P2O_PROBLEM_MISSING],
		 allow_unused ? 0 : counts[P2O_PROBLEM_UNUSED], counts[P2O_PROBLEM_SHAPE],
		 counts[P2O_PROBLEM_UNUSED] && !allow_unused ?
			 " (--allow-unused ignores unexpected keys; --allow-missing fills missing ones with zeros)" :
			 counts[P2O_PROBLEM_MISSING] ? " (--allow-missing fills missing keys with zeros)" : "");
	/* p2o_errf does not touch detail: fill it now */
	len = 0;
	for (size_t i = 0; i < b->n; i++) {
		int kind = b->items[i].kind;
		if (kind == P2O_PROBLEM_FILLED || (kind == P2O_PROBLEM_UNUSED && allow_unused))
			continue;
		if (len + 4 < sizeof err->detail)
			len += (size_t)snprintf(d + len, sizeof err->detail - len, "%s  %s",
						len ? "\n" : "", b->items[i].msg);
	}
	return -1;
}
