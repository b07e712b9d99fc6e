/* arch_parser.c — errors, tokens and nodes for the .arch parser
 * (arch_parser_expr.c and arch_parser_stmt.c hold the grammar). */
#include "arch_parser_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- errors ---- */

#define SHOW_MAX 240 /* longest part of a source line shown in detail */

/* detail: the source line, a newline, and a caret under col. */
static void caret_detail(char *d, size_t cap, const struct p2o_src *src,
			 int line, int col)
{
	const char *s;
	size_t n, k = 0, b, e, c, wb, we, len = 0;
	int l = 1;

	d[0] = 0;
	if (!src || !src->text || line < 1)
		return;
	s = src->text;
	n = src->len;
	while (l < line && k < n)
		if (s[k++] == '\n')
			l++;
	if (l != line)
		return;
	b = k;
	if (line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		b = 3; /* columns count from after a byte order mark */
	for (e = b; e < n && s[e] != '\n'; e++)
		;
	if (e > b && s[e - 1] == '\r')
		e--;
	c = col > 1 ? (size_t)col - 1 : 0;
	if (c > e - b)
		c = e - b;
	wb = b;
	we = e;
	if (e - b > SHOW_MAX) { /* a window around the column */
		wb = c > SHOW_MAX / 2 ? b + c - SHOW_MAX / 2 : b;
		we = e - wb > SHOW_MAX ? wb + SHOW_MAX : e;
		while (wb > b && ((unsigned char)s[wb] & 0xc0) == 0x80)
			wb--;
		while (we < e && ((unsigned char)s[we] & 0xc0) == 0x80)
			we++;
	}
	const char *pre = wb > b ? "..." : "", *post = we < e ? "..." : "";
	len += (size_t)snprintf(d + len, cap - len, "%s", pre);
	for (k = wb; k < we && len + 1 < cap; k++) {
		unsigned char ch = (unsigned char)s[k];
		d[len++] = ch == '\t' || (ch >= 0x20 && ch != 0x7f) ? (char)ch : '?';
	}
	d[len] = 0;
	len += (size_t)snprintf(d + len, cap - len, "%s\n%s", post, pre);
	if (len >= cap)
		return;
	for (k = wb; k < b + c && len + 2 < cap; k++)
		if (((unsigned char)s[k] & 0xc0) != 0x80)
			d[len++] = s[k] == '\t' ? '\t' : ' ';
	d[len++] = '^';
	d[len] = 0;
}

static int arch_err(struct p2o_err *err, const struct p2o_src *src, int line,
		    int col, const char *msg)
{
	char where[512];

	if (!err || err->code != P2O_OK)
		return -1;
	snprintf(where, sizeof where, "%s:%d:%d",
		 src && src->file ? src->file : "<arch>", line, col);
	p2o_errf(err, P2O_EARCH, where, "%s", msg);
	caret_detail(err->detail, sizeof err->detail, src, line, col);
	return -1;
}

int p2o_arch_error(struct p2o_err *err, struct p2o_pos pos, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return arch_err(err, pos.src, pos.line, pos.col, msg);
}

int p_error_at(struct parser *p, int line, int col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return arch_err(p->err, p->src, line, col, msg);
}

int p_expect_op(struct parser *p, const char *op, const char *why)
{
	char what[160];

	if (p_accept_op(p, op))
		return 0;
	snprintf(what, sizeof what, "'%s'%s%s", op, why && *why ? " " : "", why ? why : "");
	return p_expected(p, p_peek(p, 0), what);
}

/* "name 'x'", "'('", "NEWLINE", "end of file"... */
static void describe(const struct arch_token *t, const struct p2o_src *src,
		     char *buf, size_t cap)
{
	const char *text = src && t->off + t->len <= src->len ? src->text + t->off : "";
	int n = (int)(t->len > 40 ? 40 : t->len);
	const char *more = t->len > 40 ? "..." : "";

	switch (t->kind) {
	case TK_EOF: snprintf(buf, cap, "end of file"); break;
	case TK_NEWLINE: snprintf(buf, cap, "NEWLINE"); break;
	case TK_INDENT: snprintf(buf, cap, "INDENT"); break;
	case TK_DEDENT: snprintf(buf, cap, "DEDENT"); break;
	case TK_NAME:
		snprintf(buf, cap, "%s '%s'", t->kw ? "keyword" : "name", t->s);
		break;
	case TK_INT: case TK_FLOAT:
		snprintf(buf, cap, "number %.*s%s", n, text, more);
		break;
	case TK_STRING:
		/* the first line of the literal as written */
		for (int k = 0; k < n; k++)
			if (text[k] == '\n' || text[k] == '\r') {
				n = k;
				more = "...";
			}
		snprintf(buf, cap, "string %.*s%s", n, text, more);
		break;
	case TK_OP: snprintf(buf, cap, "'%s'", t->s); break;
	case TK_ERROR: snprintf(buf, cap, "%s", t->s); break;
	}
}

/* Columns of leading spaces on the line holding byte off. */
static int line_indent(const struct parser *p, size_t off)
{
	const char *s = p->src->text;
	size_t b = off;
	int n = 0;

	while (b > 0 && s[b - 1] != '\n')
		b--;
	while (b + (size_t)n < off && s[b + (size_t)n] == ' ')
		n++;
	return n;
}

/* Is t (where parsing failed) inside a bracket that a line after it seems
 * to have forgotten to close — a line starting no deeper than the
 * bracket's own?  Then report that, where the line ended. */
static int unclosed(struct parser *p, const struct arch_token *t)
{
	size_t ti = (size_t)(t - p->t), k = ti;
	int depth = 0;

	while (k-- > 0) {
		const struct arch_token *o = &p->t[k];
		if (o->kind == TK_NEWLINE || o->kind == TK_INDENT || o->kind == TK_DEDENT)
			return 0;
		if (o->kind != TK_OP || o->s[1] || !strchr("()[]{}", o->s[0]))
			continue;
		if (strchr(")]}", o->s[0])) {
			depth++;
			continue;
		}
		if (depth--)
			continue;
		int indent = line_indent(p, o->off);
		for (size_t j = k + 1; j <= ti; j++) {
			const struct arch_token *u = &p->t[j], *prev = &p->t[j - 1];
			if (u->kind != TK_EOF && (!u->first_on_line || u->col > indent + 1))
				continue;
			p_error_at(p, prev->end_line, prev->end_col,
				   "expected '%c' to close '%c' opened at %d:%d, found %s",
				   o->s[0] == '(' ? ')' : o->s[0] == '[' ? ']' : '}', o->s[0],
				   o->line, o->col, u->kind == TK_EOF ? "end of file" : "NEWLINE");
			return 1;
		}
		return 0;
	}
	return 0;
}

int p_expected(struct parser *p, const struct arch_token *t, const char *what)
{
	char found[128];

	if (t->kind == TK_ERROR)
		return p_error_at(p, t->line, t->col, "%s", t->s);
	if (t->kind == TK_INDENT)
		return p_error_at(p, t->line, t->col, "unexpected indent");
	if (unclosed(p, t))
		return -1;
	describe(t, p->src, found, sizeof found);
	return p_error_at(p, t->line, t->col, "expected %s, found %s", what, found);
}

int p_expect_close(struct parser *p, const struct arch_token *open,
		   const char *items)
{
	const char *close = p_is_op(open, "(") ? ")" : p_is_op(open, "[") ? "]" : "}";
	const struct arch_token *t = p_peek(p, 0), *prev = p->i ? &p->t[p->i - 1] : open;
	char what[64];

	if (p_accept_op(p, close))
		return 0;
	snprintf(what, sizeof what, "%s'%s'", items, close);
	if (t->kind == TK_ERROR || t->kind == TK_INDENT)
		return p_expected(p, t, what);
	if (unclosed(p, t))
		return -1;
	/* an item ended a line, and the next line is no continuation */
	if (t->first_on_line && prev != open && !p_is_op(prev, ","))
		return p_error_at(p, prev->end_line, prev->end_col,
				  "expected %s, found NEWLINE", what);
	return p_expected(p, t, what);
}

int p_nest(struct parser *p, const struct arch_token *at)
{
	if (++p->depth <= ARCH_MAX_DEPTH)
		return 0;
	return p_error_at(p, at->line, at->col, "nesting too deep (more than %d levels)",
			  ARCH_MAX_DEPTH);
}

int p_oom(struct parser *p)
{
	return p2o_errf(p->err, P2O_ENOMEM, p->src && p->src->file ? p->src->file : "",
			"out of memory while parsing");
}

/* ---- tokens ---- */

const struct arch_token *p_peek(const struct parser *p, size_t k)
{
	size_t i = p->i + k;
	return &p->t[i < p->n ? i : p->n - 1];
}

const struct arch_token *p_next(struct parser *p)
{
	const struct arch_token *t = &p->t[p->i];
	if (p->i + 1 < p->n)
		p->i++;
	return t;
}

int p_is_op(const struct arch_token *t, const char *op)
{
	return t->kind == TK_OP && !strcmp(t->s, op);
}

int p_is_kw(const struct arch_token *t, enum arch_kw kw)
{
	return t->kind == TK_NAME && t->kw == kw;
}

int p_is_name(const struct arch_token *t)
{
	return t->kind == TK_NAME && t->kw == KW_PLAIN;
}

int p_accept_op(struct parser *p, const char *op)
{
	if (!p_is_op(p_peek(p, 0), op))
		return 0;
	p_next(p);
	return 1;
}

int p_accept_kw(struct parser *p, enum arch_kw kw)
{
	if (!p_is_kw(p_peek(p, 0), kw))
		return 0;
	p_next(p);
	return 1;
}

struct p2o_pos p_pos(const struct parser *p, const struct arch_token *t)
{
	return (struct p2o_pos){.src = p->src, .line = t->line, .col = t->col};
}

/* ---- nodes ---- */

struct p2o_ast *p_node(struct parser *p, enum p2o_ast_kind kind, struct p2o_pos pos)
{
	struct p2o_ast *n = p2o_alloc(p->a, sizeof *n);

	if (!n) {
		p_oom(p);
		return NULL;
	}
	n->kind = kind;
	n->pos = pos;
	return n;
}

struct p2o_ast *p_node_k(struct parser *p, enum p2o_ast_kind kind,
			 struct p2o_pos pos, size_t nk, struct p2o_ast *k0,
			 struct p2o_ast *k1, struct p2o_ast *k2, struct p2o_ast *k3)
{
	struct p2o_ast *n = p_node(p, kind, pos), *k[4] = {k0, k1, k2, k3};

	if (!n)
		return NULL;
	if (!(n->kids = p2o_alloc_array(p->a, nk, sizeof *n->kids))) {
		p_oom(p);
		return NULL;
	}
	memcpy(n->kids, k, nk * sizeof *k);
	n->nkids = nk;
	return n;
}

int p_push(struct parser *p, struct nodes *l, struct p2o_ast *node)
{
	if (p2o_grow(p->a, (void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
		return p_oom(p);
	l->v[l->n++] = node;
	return 0;
}

void p_take(struct p2o_ast *node, const struct nodes *l)
{
	node->kids = l->v;
	node->nkids = l->n;
}

char *p_strdup(struct parser *p, const char *s)
{
	char *r = p2o_strdup(p->a, s);
	if (!r)
		p_oom(p);
	return r;
}

/* ---- targets and parameters ---- */

struct p2o_ast *p_targetlist(struct parser *p)
{
	struct p2o_ast *first = p_bitor(p), *t, *e;
	struct nodes l = {0};

	if (!first || !p_is_op(p_peek(p, 0), ","))
		return first;
	if (!(t = p_node(p, AST_TUPLE, first->pos)) || p_push(p, &l, first))
		return NULL;
	while (p_accept_op(p, ",") && p_starts_expr(p_peek(p, 0)))
		if (!(e = p_bitor(p)) || p_push(p, &l, e))
			return NULL;
	p_take(t, &l);
	return t;
}

static const char *describe_node(const struct p2o_ast *e)
{
	switch (e->kind) {
	case AST_CALL: return "a function call";
	case AST_INT: case AST_FLOAT: case AST_STR: return "a literal";
	case AST_NONE: return "None";
	case AST_TRUE: return "True";
	case AST_FALSE: return "False";
	case AST_ELLIPSIS: return "'...'";
	case AST_COMPARE: return "a comparison";
	case AST_LISTCOMP: return "a list comprehension";
	case AST_LAMBDA: return "a lambda";
	case AST_IFEXP: return "a conditional expression";
	case AST_DICT: return "a dict";
	case AST_STARRED: return "a starred expression";
	case AST_TUPLE: case AST_LIST: return "a tuple or list here";
	default: return "an expression";
	}
}

int p_check_target(struct parser *p, const struct p2o_ast *e, int tuple_ok)
{
	switch (e->kind) {
	case AST_NAME: case AST_ATTR: case AST_INDEX:
		return 0;
	case AST_TUPLE: case AST_LIST:
		if (!tuple_ok || !e->nkids)
			break;
		for (size_t i = 0; i < e->nkids; i++) {
			if (e->kids[i]->kind == AST_STARRED)
				return p_error_at(p, e->kids[i]->pos.line, e->kids[i]->pos.col,
						  "starred assignment targets are not supported");
			if (p_check_target(p, e->kids[i], 1))
				return -1;
		}
		return 0;
	default:
		break;
	}
	return p_error_at(p, e->pos.line, e->pos.col, "cannot assign to %s",
			  describe_node(e));
}

int p_params(struct parser *p, const char *close, int annotations,
	     struct p2o_param **out, size_t *n)
{
	struct p2o_param *v = NULL;
	size_t nv = 0, cap = 0;
	int seen_default = 0, seen_star = 0, seen_kwargs = 0;

	while (!p_is_op(p_peek(p, 0), close)) {
		const struct arch_token *t = p_peek(p, 0), *name;
		int star = p_is_op(t, "*") ? 1 : p_is_op(t, "**") ? 2 : 0;
		struct p2o_ast *deflt = NULL;

		if (seen_kwargs)
			return p_error_at(p, t->line, t->col,
					  "no parameter can follow **%s", v[nv - 1].name);
		if (star == 1 && seen_star)
			return p_error_at(p, t->line, t->col, "only one '*' parameter is allowed");
		if (star || p_is_op(t, "/"))
			p_next(p);
		if (p_is_op(t, "/") || (star == 1 && (p_is_op(p_peek(p, 0), ",") ||
						      p_is_op(p_peek(p, 0), close)))) {
			/* bare '*' (keyword-only marker) or '/': nothing to bind */
			seen_star |= star;
			if (!p_accept_op(p, ","))
				break;
			continue;
		}
		name = p_peek(p, 0);
		if (!p_is_name(name))
			return p_expected(p, name, "a parameter name");
		p_next(p);
		for (size_t i = 0; i < nv; i++)
			if (!strcmp(v[i].name, name->s))
				return p_error_at(p, name->line, name->col,
						  "duplicate parameter '%s'", name->s);
		if (annotations && p_accept_op(p, ":") && !p_expr(p))
			return -1;
		if (p_is_op(p_peek(p, 0), "=")) {
			if (star)
				return p_error_at(p, p_peek(p, 0)->line, p_peek(p, 0)->col,
						  "a %s parameter cannot have a default value",
						  star == 1 ? "*" : "**");
			p_next(p);
			if (!(deflt = p_expr(p)))
				return -1;
			seen_default = 1;
		} else if (!star && seen_default && !seen_star) {
			return p_error_at(p, name->line, name->col,
					  "parameter '%s' without a default follows one with a default",
					  name->s);
		}
		if (p2o_grow(p->a, (void **)&v, &cap, nv + 1, sizeof *v))
			return p_oom(p);
		v[nv++] = (struct p2o_param){.name = name->s, .deflt = deflt, .star = star,
					     .pos = p_pos(p, name)};
		seen_star |= star == 1;
		seen_kwargs = star == 2;
		if (!p_accept_op(p, ","))
			break;
	}
	*out = v;
	*n = nv;
	return 0;
}
