/* arch_parser_atom.c — atoms, displays ((...) [...] {...} and list
 * comprehensions) and the postfix trailers: calls, subscripts, attributes. */
#include "arch_parser_int.h"

#include <string.h>

/* STRING+ : adjacent literals concatenate. */
static struct p2o_ast *strings(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *n = p_node(p, AST_STR, p_pos(p, t));
	size_t len = 0, k;
	char *s;

	if (!n)
		return NULL;
	for (k = 0; p_peek(p, k)->kind == TK_STRING; k++)
		len += strlen(p_peek(p, k)->s);
	if (!(s = p2o_alloc(p->a, len + 1))) {
		p_oom(p);
		return NULL;
	}
	n->s = s;
	while (p_peek(p, 0)->kind == TK_STRING) {
		size_t l = strlen(p_peek(p, 0)->s);
		memcpy(s, p_next(p)->s, l);
		s += l;
	}
	*s = 0;
	return n;
}

static int no_genexp(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	if (!p_is_kw(t, KW_FOR))
		return 0;
	return p_error_at(p, t->line, t->col,
			  "generator expressions are not supported: use a list [... for ...]");
}

static struct p2o_ast *paren(struct parser *p, const struct arch_token *open)
{
	struct p2o_ast *e;
	int tuple;

	if (p_accept_op(p, ")"))
		return p_node(p, AST_TUPLE, p_pos(p, open));
	if (!(e = p_exprlist_ex(p, 1, &tuple)) || no_genexp(p) ||
	    p_expect_close(p, open, "',' or "))
		return NULL;
	if (tuple)
		e->pos = p_pos(p, open);
	return e;
}

static struct p2o_ast *listcomp(struct parser *p, const struct arch_token *open,
				struct p2o_ast *elt)
{
	struct p2o_ast *target, *iter, *cond = NULL;

	p_next(p); /* for */
	if (!(target = p_targetlist(p)))
		return NULL;
	for (size_t i = 0; i < (target->kind == AST_TUPLE ? target->nkids : 1); i++) {
		const struct p2o_ast *k = target->kind == AST_TUPLE ? target->kids[i] : target;
		if (k->kind != AST_NAME)
			return p_error_at(p, k->pos.line, k->pos.col,
					  "a comprehension's target must be a name or "
					  "names separated by commas"), NULL;
	}
	if (!p_accept_kw(p, KW_IN))
		return p_expected(p, p_peek(p, 0), "'in' after the comprehension's target"), NULL;
	if (!(iter = p_or_expr(p)))
		return NULL;
	if (p_accept_kw(p, KW_IF) && !(cond = p_or_expr(p)))
		return NULL;
	if (p_expect_close(p, open, ""))
		return NULL;
	return p_node_k(p, AST_LISTCOMP, p_pos(p, open), 4, elt, target, iter, cond);
}

static struct p2o_ast *list(struct parser *p, const struct arch_token *open)
{
	struct p2o_ast *n = p_node(p, AST_LIST, p_pos(p, open)), *e;
	struct nodes l = {0};
	int comma;

	if (!n)
		return NULL;
	if (p_accept_op(p, "]"))
		return n;
	if (!(e = p_item(p, 1)))
		return NULL;
	if (p_is_kw(p_peek(p, 0), KW_FOR) && e->kind != AST_STARRED)
		return listcomp(p, open, e);
	if (p_push(p, &l, e))
		return NULL;
	while ((comma = p_accept_op(p, ",")) &&
	       (p_starts_expr(p_peek(p, 0)) || p_is_op(p_peek(p, 0), "*"))) {
		if (!(e = p_item(p, 1)) || p_push(p, &l, e))
			return NULL;
	}
	if (p_expect_close(p, open, comma ? "an expression or " : "',' or "))
		return NULL;
	p_take(n, &l);
	return n;
}

static struct p2o_ast *dict(struct parser *p, const struct arch_token *open)
{
	struct p2o_ast *n = p_node(p, AST_DICT, p_pos(p, open)), *k, *v;
	struct nodes l = {0};
	int comma = 1;

	if (!n)
		return NULL;
	while (p_starts_expr(p_peek(p, 0))) {
		if (!(k = p_expr(p)) || p_expect_op(p, ":", "after a dict key") ||
		    !(v = p_expr(p)) || p_push(p, &l, k) || p_push(p, &l, v))
			return NULL;
		if (!(comma = p_accept_op(p, ",")))
			break;
	}
	if (p_expect_close(p, open, comma ? "a key or " : "',' or "))
		return NULL;
	p_take(n, &l);
	return n;
}

static struct p2o_ast *atom(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *n = NULL;
	enum p2o_ast_kind k;

	if (t->kind == TK_STRING)
		return strings(p);
	if (t->kind == TK_OP && (p_is_op(t, "(") || p_is_op(t, "[") || p_is_op(t, "{"))) {
		p_next(p);
		if (p_nest(p, t))
			return NULL;
		n = p_is_op(t, "(") ? paren(p, t) : p_is_op(t, "[") ? list(p, t) : dict(p, t);
		p->depth--;
		return n;
	}
	if (p_is_name(t))
		k = AST_NAME;
	else if (t->kind == TK_INT || t->kind == TK_FLOAT)
		k = t->kind == TK_INT ? AST_INT : AST_FLOAT;
	else if (p_is_kw(t, KW_NONE) || p_is_kw(t, KW_TRUE) || p_is_kw(t, KW_FALSE))
		k = t->kw == KW_NONE ? AST_NONE : t->kw == KW_TRUE ? AST_TRUE : AST_FALSE;
	else if (p_is_op(t, "..."))
		k = AST_ELLIPSIS;
	else
		return p_expected(p, t, "an expression"), NULL;
	if (!(n = p_node(p, k, p_pos(p, t))))
		return NULL;
	p_next(p);
	n->s = k == AST_NAME ? t->s : NULL;
	n->i = t->i;
	n->f = t->f;
	return n;
}

static int call_args(struct parser *p, struct p2o_ast *call)
{
	const struct arch_token *open = p_next(p);
	struct nodes l = {0};
	int seen_kw = 0, comma = 1;

	if (p_push(p, &l, call->kids[0]))
		return -1;
	for (;;) {
		const struct arch_token *t = p_peek(p, 0);
		struct p2o_ast *v, *a;
		int kw = p_is_name(t) && p_is_op(p_peek(p, 1), "=");

		/* arch_ast.h has no node for f(**kwargs) */
		if (p_is_op(t, "**"))
			return p_error_at(p, t->line, t->col,
					  "'**' arguments (dict unpacking) are not supported");
		if (!kw && !p_starts_expr(t) && !p_is_op(t, "*"))
			break;
		if (kw) {
			p_next(p);
			p_next(p);
			for (size_t i = 1; i < l.n; i++)
				if (l.v[i]->kind == AST_KEYWORD && !strcmp(l.v[i]->s, t->s))
					return p_error_at(p, t->line, t->col,
							  "keyword argument '%s' repeated", t->s);
			if (!(v = p_expr(p)) ||
			    !(a = p_node_k(p, AST_KEYWORD, p_pos(p, t), 1, v, NULL, NULL, NULL)))
				return -1;
			a->s = t->s;
			seen_kw = 1;
		} else {
			if (!(a = p_item(p, 1)) || no_genexp(p))
				return -1;
			if (seen_kw)
				return p_error_at(p, a->pos.line, a->pos.col,
						  "positional argument follows keyword argument");
		}
		if (p_push(p, &l, a))
			return -1;
		if (!(comma = p_accept_op(p, ",")))
			break;
	}
	if (p_expect_close(p, open, comma ? "an argument or " : "',' or "))
		return -1;
	p_take(call, &l);
	return 0;
}

/* [expr] ':' [expr] [':' [expr]], or an expression */
static struct p2o_ast *slice_item(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *k[3] = {NULL, NULL, NULL};
	struct p2o_pos pos = p_pos(p, t);

	if (!p_is_op(t, ":")) {
		if (!(k[0] = p_expr(p)))
			return NULL;
		if (!p_is_op(p_peek(p, 0), ":"))
			return k[0];
		pos = k[0]->pos;
	}
	p_next(p);
	if (p_starts_expr(p_peek(p, 0)) && !(k[1] = p_expr(p)))
		return NULL;
	if (p_accept_op(p, ":") && p_starts_expr(p_peek(p, 0)) && !(k[2] = p_expr(p)))
		return NULL;
	return p_node_k(p, AST_SLICE, pos, 3, k[0], k[1], k[2], NULL);
}

static struct p2o_ast *subscript(struct parser *p, struct p2o_ast *obj)
{
	const struct arch_token *open = p_next(p);
	struct nodes l = {0};
	struct p2o_ast *idx, *e;
	int tuple = 0, comma;

	do {
		if (!(e = slice_item(p)) || p_push(p, &l, e))
			return NULL;
		if (!(comma = p_accept_op(p, ",")))
			break;
		tuple = 1;
	} while (p_starts_expr(p_peek(p, 0)) || p_is_op(p_peek(p, 0), ":"));
	if (p_expect_close(p, open, comma ? "an index or " : "',' or "))
		return NULL;
	idx = l.v[0];
	if (tuple) {
		if (!(idx = p_node(p, AST_TUPLE, l.v[0]->pos)))
			return NULL;
		p_take(idx, &l);
	}
	return p_node_k(p, AST_INDEX, obj->pos, 2, obj, idx, NULL, NULL);
}

struct p2o_ast *p_postfix(struct parser *p)
{
	struct p2o_ast *e = atom(p);
	int saved = p->depth;

	while (e) {
		const struct arch_token *t = p_peek(p, 0);
		if (!p_is_op(t, "(") && !p_is_op(t, "[") && !p_is_op(t, "."))
			break;
		if (p_nest(p, t))
			return NULL;
		if (p_is_op(t, "(")) {
			if (!(e = p_node_k(p, AST_CALL, e->pos, 1, e, NULL, NULL, NULL)) ||
			    call_args(p, e))
				return NULL;
		} else if (p_is_op(t, "[")) {
			e = subscript(p, e);
		} else {
			const struct arch_token *name = p_peek(p, 1);
			p_next(p);
			if (!p_is_name(name))
				return p_expected(p, name, "an attribute name after '.'"), NULL;
			p_next(p);
			if ((e = p_node_k(p, AST_ATTR, e->pos, 1, e, NULL, NULL, NULL)))
				e->s = name->s;
		}
	}
	p->depth = saved;
	return e;
}
