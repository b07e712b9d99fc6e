/* arch_parser_expr.c — expression lists and operators, by precedence. */
#include "arch_parser_int.h"

#include <string.h>

static struct p2o_ast *factor(struct parser *p);

int p_starts_expr(const struct arch_token *t)
{
	switch (t->kind) {
	case TK_NAME:
		return t->kw == KW_PLAIN || t->kw == KW_NONE || t->kw == KW_TRUE ||
		       t->kw == KW_FALSE || t->kw == KW_NOT || t->kw == KW_LAMBDA;
	case TK_INT: case TK_FLOAT: case TK_STRING:
		return 1;
	case TK_OP:
		return p_is_op(t, "(") || p_is_op(t, "[") || p_is_op(t, "{") ||
		       p_is_op(t, "-") || p_is_op(t, "+") || p_is_op(t, "~") ||
		       p_is_op(t, "...");
	default:
		return 0;
	}
}

struct p2o_ast *p_item(struct parser *p, int star)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *v;

	if (!star || !p_is_op(t, "*"))
		return p_expr(p);
	p_next(p);
	if (p_nest(p, t) || !(v = p_or_expr(p)))
		return NULL;
	p->depth--;
	return p_node_k(p, AST_STARRED, p_pos(p, t), 1, v, NULL, NULL, NULL);
}

struct p2o_ast *p_exprlist_ex(struct parser *p, int star, int *tuple)
{
	struct p2o_ast *first = p_item(p, star), *t;
	struct nodes l = {0};

	*tuple = 0;
	if (!first)
		return NULL;
	if (!p_is_op(p_peek(p, 0), ",")) {
		if (first->kind == AST_STARRED)
			return p_error_at(p, first->pos.line, first->pos.col,
					  "a starred expression is only allowed in a call, "
					  "a list or a tuple"), NULL;
		return first;
	}
	if (!(t = p_node(p, AST_TUPLE, first->pos)) || p_push(p, &l, first))
		return NULL;
	while (p_accept_op(p, ",")) {
		struct p2o_ast *e;
		if (!p_starts_expr(p_peek(p, 0)) && !(star && p_is_op(p_peek(p, 0), "*")))
			break;
		if (!(e = p_item(p, star)) || p_push(p, &l, e))
			return NULL;
	}
	p_take(t, &l);
	*tuple = 1;
	return t;
}

struct p2o_ast *p_exprlist(struct parser *p, int star)
{
	int tuple;
	return p_exprlist_ex(p, star, &tuple);
}

static struct p2o_ast *binop(struct parser *p, const char *op, struct p2o_ast *l,
			     struct p2o_ast *r)
{
	struct p2o_ast *n = p_node_k(p, AST_BINOP, l->pos, 2, l, r, NULL, NULL);
	if (n)
		n->s = op;
	return n;
}

static struct p2o_ast *power(struct parser *p)
{
	struct p2o_ast *e = p_postfix(p), *r;
	const struct arch_token *t = p_peek(p, 0);

	if (!e || !p_is_op(t, "**"))
		return e;
	p_next(p);
	if (p_nest(p, t) || !(r = factor(p)))
		return NULL;
	p->depth--;
	return binop(p, "**", e, r);
}

static struct p2o_ast *factor(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *e, *n;

	if (!p_is_op(t, "-") && !p_is_op(t, "+") && !p_is_op(t, "~"))
		return power(p);
	p_next(p);
	if (p_nest(p, t) || !(e = factor(p)))
		return NULL;
	p->depth--;
	if ((n = p_node_k(p, AST_UNOP, p_pos(p, t), 1, e, NULL, NULL, NULL)))
		n->s = t->s;
	return n;
}

static int binprec(const struct arch_token *t)
{
	static const struct { const char *op; int prec; } tab[] = {
		{"|", 1}, {"^", 2}, {"&", 3}, {"<<", 4}, {">>", 4}, {"+", 5}, {"-", 5},
		{"*", 6}, {"/", 6}, {"//", 6}, {"%", 6}, {"@", 6},
	};
	for (size_t i = 0; t->kind == TK_OP && i < P2O_ARRAY_LEN(tab); i++)
		if (!strcmp(t->s, tab[i].op))
			return tab[i].prec;
	return 0;
}

/* bitor ... term by precedence climbing (left-associative). */
static struct p2o_ast *binary(struct parser *p, int minprec)
{
	struct p2o_ast *e = factor(p), *r;
	int saved = p->depth, prec;

	while (e && (prec = binprec(p_peek(p, 0))) >= minprec) {
		const struct arch_token *t = p_next(p);
		if (p_nest(p, t) || !(r = prec < 6 ? binary(p, prec + 1) : factor(p)))
			return NULL;
		e = binop(p, t->s, e, r);
	}
	p->depth = saved;
	return e;
}

struct p2o_ast *p_bitor(struct parser *p)
{
	return binary(p, 1);
}

/* A comparison operator at the current token (consumed), or NULL. */
static const char *compop(struct parser *p)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	const struct arch_token *t = p_peek(p, 0);

	for (size_t i = 0; i < P2O_ARRAY_LEN(ops); i++)
		if (p_is_op(t, ops[i]))
			return p_next(p)->s;
	if (p_accept_kw(p, KW_IN))
		return "in";
	if (p_is_kw(t, KW_NOT) && p_is_kw(p_peek(p, 1), KW_IN)) {
		p->i += 2;
		return "not in";
	}
	if (p_accept_kw(p, KW_IS))
		return p_accept_kw(p, KW_NOT) ? "is not" : "is";
	return NULL;
}

static struct p2o_ast *comparison(struct parser *p)
{
	struct p2o_ast *e = binary(p, 1), *n, *r;
	struct nodes l = {0};
	const char **ops = NULL, *op;
	size_t nops = 0, cap = 0;

	if (!e || !(op = compop(p)))
		return e;
	if (!(n = p_node(p, AST_COMPARE, e->pos)) || p_push(p, &l, e))
		return NULL;
	do {
		if (p2o_grow(p->a, (void **)&ops, &cap, nops + 1, sizeof *ops))
			return p_oom(p), NULL;
		ops[nops++] = op;
		if (!(r = binary(p, 1)) || p_push(p, &l, r))
			return NULL;
	} while ((op = compop(p)));
	p_take(n, &l);
	n->ops = ops;
	return n;
}

static struct p2o_ast *not_expr(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *e, *n;

	if (!p_is_kw(t, KW_NOT))
		return comparison(p);
	p_next(p);
	if (p_nest(p, t) || !(e = not_expr(p)))
		return NULL;
	p->depth--;
	if ((n = p_node_k(p, AST_UNOP, p_pos(p, t), 1, e, NULL, NULL, NULL)))
		n->s = "not";
	return n;
}

static struct p2o_ast *boolop(struct parser *p, enum arch_kw kw)
{
	struct p2o_ast *e = kw == KW_OR ? boolop(p, KW_AND) : not_expr(p), *n;
	struct nodes l = {0};

	if (!e || !p_is_kw(p_peek(p, 0), kw))
		return e;
	if (!(n = p_node(p, AST_BOOLOP, e->pos)) || p_push(p, &l, e))
		return NULL;
	n->s = kw == KW_OR ? "or" : "and";
	while (p_accept_kw(p, kw))
		if (!(e = kw == KW_OR ? boolop(p, KW_AND) : not_expr(p)) || p_push(p, &l, e))
			return NULL;
	p_take(n, &l);
	return n;
}

struct p2o_ast *p_or_expr(struct parser *p)
{
	return boolop(p, KW_OR);
}

struct p2o_ast *p_expr(struct parser *p)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *e, *c, *o;

	if (p_is_kw(t, KW_LAMBDA)) {
		p_next(p);
		if (p_nest(p, t) || !(e = p_node(p, AST_LAMBDA, p_pos(p, t))) ||
		    p_params(p, ":", 0, &e->params, &e->nparams) ||
		    p_expect_op(p, ":", "after the lambda's parameters") || !(c = p_expr(p)))
			return NULL;
		p->depth--;
		if (!(e->kids = p2o_alloc(p->a, sizeof *e->kids)))
			return p_oom(p), NULL;
		e->kids[0] = c;
		e->nkids = 1;
		return e;
	}
	if (!(e = p_or_expr(p)) || !p_is_kw(p_peek(p, 0), KW_IF))
		return e;
	t = p_next(p);
	if (p_nest(p, t) || !(c = p_or_expr(p)))
		return NULL;
	if (!p_accept_kw(p, KW_ELSE))
		return p_expected(p, p_peek(p, 0), "'else' in the conditional expression"), NULL;
	if (!(o = p_expr(p)))
		return NULL;
	p->depth--;
	return p_node_k(p, AST_IFEXP, e->pos, 3, e, c, o, NULL);
}