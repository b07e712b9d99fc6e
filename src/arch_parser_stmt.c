/* arch_parser_stmt.c — statements and suites; `forward` and methods in
 * block bodies; imports (parsed and dropped). */
#include "arch_parser_int.h"

#include <stdio.h>
#include <string.h>

static const char *const aug_ops[] = {
	"+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=",
	"<<=", ">>=",
};

int p_is_name_str(const struct arch_token *t, const char *s)
{
	return p_is_name(t) && !strcmp(t->s, s);
}

/* `forward(...)` followed by ':' (or '->') at a statement's start. */
static int looks_like_forward(const struct parser *p)
{
	int depth = 0;

	if (!p_is_name_str(p_peek(p, 0), "forward") || !p_is_op(p_peek(p, 1), "("))
		return 0;
	for (size_t k = 1;; k++) {
		const struct arch_token *t = p_peek(p, k);
		if (t->kind != TK_OP && t->kind != TK_NAME && t->kind != TK_INT &&
		    t->kind != TK_FLOAT && t->kind != TK_STRING)
			return 0;
		if (p_is_op(t, "(") || p_is_op(t, "[") || p_is_op(t, "{"))
			depth++;
		else if ((p_is_op(t, ")") || p_is_op(t, "]") || p_is_op(t, "}")) && --depth == 0)
			return p_is_op(p_peek(p, k + 1), ":") || p_is_op(p_peek(p, k + 1), "->");
	}
}

/* super().__init__(...) and super(Net, self).__init__(...) */
static int is_super_init(const struct p2o_ast *e)
{
	const struct p2o_ast *a = e->kind == AST_CALL ? e->kids[0] : NULL;
	const struct p2o_ast *s = a && a->kind == AST_ATTR && !strcmp(a->s, "__init__") ?
		a->kids[0] : NULL;
	return s && s->kind == AST_CALL && s->kids[0]->kind == AST_NAME &&
	       !strcmp(s->kids[0]->s, "super");
}

/* suite := NEWLINE INDENT stmt {stmt} DEDENT | simple statements */
struct p2o_ast *p_suite(struct parser *p, const struct arch_token *head, enum p_ctx ctx)
{
	const struct arch_token *t;
	struct p2o_ast *s;
	struct nodes l = {0};
	char what[160];

	if (p_peek(p, 0)->kind != TK_NEWLINE) {
		t = p_peek(p, 0);
		if (!(s = p_node(p, AST_SUITE, p_pos(p, t))) || p_nest(p, t) ||
		    p_statement(p, &l, CTX_PLAIN))
			return NULL;
	} else {
		p_next(p);
		t = p_peek(p, 0);
		if (t->kind != TK_INDENT) {
			snprintf(what, sizeof what, "an indented block after '%s' at %d:%d",
				 head->s, head->line, head->col);
			return p_expected(p, t, what), NULL;
		}
		p_next(p);
		if (!(s = p_node(p, AST_SUITE, p_pos(p, t))) || p_nest(p, t))
			return NULL;
		while (p_peek(p, 0)->kind != TK_DEDENT)
			if (p_statement(p, &l, ctx))
				return NULL;
		p_next(p);
	}
	p->depth--;
	p_take(s, &l);
	if (ctx == CTX_BODY) {
		const struct p2o_ast *fwd = NULL;
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i]->kind != AST_FORWARD)
				continue;
			if (fwd)
				return p_error_at(p, l.v[i]->pos.line, l.v[i]->pos.col,
						  "forward is already defined at %d:%d",
						  fwd->pos.line, fwd->pos.col), NULL;
			fwd = l.v[i];
		}
	}
	return s;
}

int p_end_of_line(struct parser *p)
{
	if (p_peek(p, 0)->kind == TK_NEWLINE) {
		p_next(p);
		return 0;
	}
	return p_expected(p, p_peek(p, 0), "NEWLINE");
}

static int dotted(struct parser *p)
{
	do
		if (!p_is_name(p_peek(p, 0)))
			return p_expected(p, p_peek(p, 0), "a module name");
	while (p_next(p) && p_accept_op(p, "."));
	return 0;
}

/* import a.b [as c], ... | from [.]a.b import (x [as y], ...) | *  — dropped */
static int import(struct parser *p)
{
	if (p_accept_kw(p, KW_IMPORT)) {
		do
			if (dotted(p) || (p_accept_kw(p, KW_AS) && dotted(p)))
				return -1;
		while (p_accept_op(p, ","));
		return 0;
	}
	p_next(p); /* from */
	int dots = 0, paren;
	while (p_accept_op(p, ".") || p_accept_op(p, "..."))
		dots = 1;
	if ((!dots || p_is_name(p_peek(p, 0))) && dotted(p))
		return -1;
	if (!p_accept_kw(p, KW_IMPORT))
		return p_expected(p, p_peek(p, 0), "'import'");
	if (p_accept_op(p, "*"))
		return 0;
	const struct arch_token *open = p_peek(p, 0);
	paren = p_accept_op(p, "(");
	do {
		if (paren && p_is_op(p_peek(p, 0), ")"))
			break;
		if (!p_is_name(p_peek(p, 0)))
			return p_expected(p, p_peek(p, 0), "a name to import");
		p_next(p);
		if (p_accept_kw(p, KW_AS) && dotted(p))
			return -1;
	} while (p_accept_op(p, ","));
	return paren ? p_expect_close(p, open, "',' or ") : 0;
}

static int assignment(struct parser *p, struct nodes *out, struct p2o_ast *e)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *n, *v;
	struct nodes l = {0};

	if (p_is_op(t, "=")) {
		if (!(n = p_node(p, AST_ASSIGN, e->pos)))
			return -1;
		while (p_accept_op(p, "=")) {
			if (p_check_target(p, e, 1) || p_push(p, &l, e) || !(e = p_exprlist(p, 1)))
				return -1;
		}
		if (p_push(p, &l, e))
			return -1;
		p_take(n, &l);
		return p_push(p, out, n);
	}
	if (p_is_op(t, ":")) { /* annotated: x: int = 3, or just x: int */
		p_next(p);
		if (p_check_target(p, e, 0) || !p_expr(p))
			return -1;
		if (!p_accept_op(p, "="))
			return 0;
		if (!(v = p_exprlist(p, 1)) ||
		    !(n = p_node_k(p, AST_ASSIGN, e->pos, 2, e, v, NULL, NULL)))
			return -1;
		return p_push(p, out, n);
	}
	for (size_t i = 0; i < P2O_ARRAY_LEN(aug_ops); i++) {
		if (!p_is_op(t, aug_ops[i]))
			continue;
		p_next(p);
		if (p_check_target(p, e, 0) || !(v = p_exprlist(p, 0)) ||
		    !(n = p_node_k(p, AST_AUGASSIGN, e->pos, 2, e, v, NULL, NULL)))
			return -1;
		n->s = aug_ops[i];
		return p_push(p, out, n);
	}
	/* an expression statement; docstrings and super().__init__() go */
	if (e->kind == AST_STR || is_super_init(e))
		return 0;
	return (n = p_node_k(p, AST_EXPR, e->pos, 1, e, NULL, NULL, NULL)) ? p_push(p, out, n) : -1;
}

static int small(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_peek(p, 0);
	struct p2o_ast *n, *e = NULL, *m = NULL;
	enum p2o_ast_kind k;

	switch (t->kind == TK_NAME ? t->kw : KW_PLAIN) {
	case KW_PASS: k = AST_PASS; break;
	case KW_BREAK: k = AST_BREAK; break;
	case KW_CONTINUE: k = AST_CONTINUE; break;
	case KW_IMPORT: case KW_FROM:
		return import(p);
	case KW_RETURN:
		p_next(p);
		if ((p_starts_expr(p_peek(p, 0)) || p_is_op(p_peek(p, 0), "*")) &&
		    !(e = p_exprlist(p, 1)))
			return -1;
		return (n = p_node_k(p, AST_RETURN, p_pos(p, t), 1, e, NULL, NULL, NULL)) ?
			p_push(p, out, n) : -1;
	case KW_ASSERT:
		p_next(p);
		if (!(e = p_expr(p)) || (p_accept_op(p, ",") && !(m = p_expr(p))) ||
		    !(n = p_node_k(p, AST_ASSERT, p_pos(p, t), 2, e, m, NULL, NULL)))
			return -1;
		return p_push(p, out, n);
	case KW_UNSUPPORTED:
		return p_error_at(p, t->line, t->col, "'%s' is not supported in .arch files", t->s);
	default:
		if (!(e = p_exprlist(p, 1)))
			return -1;
		return assignment(p, out, e);
	}
	p_next(p);
	return (n = p_node(p, k, p_pos(p, t))) ? p_push(p, out, n) : -1;
}

/* small {';' small} [';'] NEWLINE */
static int simple(struct parser *p, struct nodes *out)
{
	do
		if (small(p, out))
			return -1;
	while (p_accept_op(p, ";") && p_peek(p, 0)->kind != TK_NEWLINE);
	return p_end_of_line(p);
}

static int if_stmt(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_next(p);
	struct p2o_ast *c, *b, *n, *cur;
	int saved = p->depth;

	if (!(c = p_expr(p)) || p_expect_op(p, ":", "after the condition") ||
	    !(b = p_suite(p, t, CTX_PLAIN)) ||
	    !(n = p_node_k(p, AST_IF, p_pos(p, t), 3, c, b, NULL, NULL)) || p_push(p, out, n))
		return -1;
	for (cur = n; p_is_kw(p_peek(p, 0), KW_ELIF); cur = cur->kids[2]) {
		t = p_next(p);
		if (p_nest(p, t) || !(c = p_expr(p)) ||
		    p_expect_op(p, ":", "after the condition") || !(b = p_suite(p, t, CTX_PLAIN)) ||
		    !(cur->kids[2] = p_node_k(p, AST_IF, p_pos(p, t), 3, c, b, NULL, NULL)))
			return -1;
	}
	if (p_is_kw(p_peek(p, 0), KW_ELSE)) {
		t = p_next(p);
		if (p_expect_op(p, ":", "after 'else'") || !(cur->kids[2] = p_suite(p, t, CTX_PLAIN)))
			return -1;
	}
	p->depth = saved;
	return 0;
}

static int loop_stmt(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_next(p);
	struct p2o_ast *target = NULL, *e, *b, *n;

	if (t->kw == KW_FOR) {
		if (!(target = p_targetlist(p)) || p_check_target(p, target, 1))
			return -1;
		if (!p_accept_kw(p, KW_IN))
			return p_expected(p, p_peek(p, 0), "'in' after the for loop's target");
		if (!(e = p_exprlist(p, 0)))
			return -1;
	} else if (!(e = p_expr(p))) {
		return -1;
	}
	if (p_expect_op(p, ":", t->kw == KW_FOR ? "after the for loop's iterable" :
			"after the condition") || !(b = p_suite(p, t, CTX_PLAIN)))
		return -1;
	n = target ? p_node_k(p, AST_FOR, p_pos(p, t), 3, target, e, b, NULL) :
		p_node_k(p, AST_WHILE, p_pos(p, t), 2, e, b, NULL, NULL);
	return n ? p_push(p, out, n) : -1;
}

/* '(' params ')' ['->' annotation] ':' suite, into n (a DEF, FORWARD or
 * BLOCK); method: drop a leading self. */
int p_signature(struct parser *p, struct p2o_ast *n, const struct arch_token *head,
		int method, enum p_ctx body)
{
	const struct arch_token *open = p_peek(p, 0);
	struct p2o_ast *b;

	if (p_expect_op(p, "(", n->kind == AST_BLOCK ? "after the block's name" :
			n->kind == AST_FORWARD ? "after 'forward'" : "after the function's name") ||
	    p_params(p, ")", 1, &n->params, &n->nparams) || p_expect_close(p, open, "',' or "))
		return -1;
	if (p_accept_op(p, "->") && !p_expr(p))
		return -1;
	if (p_expect_op(p, ":", "after the parameter list") || !(b = p_suite(p, head, body)))
		return -1;
	if (method && n->nparams && !n->params[0].star && !strcmp(n->params[0].name, "self")) {
		n->params++;
		n->nparams--;
	}
	if (!(n->kids = p2o_alloc(p->a, sizeof *n->kids)))
		return p_oom(p);
	n->kids[0] = b;
	n->nkids = 1;
	return 0;
}

static int def(struct parser *p, struct nodes *out, enum p_ctx ctx)
{
	const struct arch_token *t = p_next(p), *name = p_peek(p, 0);
	struct p2o_ast *n;

	if (!p_is_name(name))
		return p_expected(p, name, "a function name after 'def'");
	p_next(p);
	int fwd = ctx == CTX_BODY && !strcmp(name->s, "forward");
	if (!(n = p_node(p, fwd ? AST_FORWARD : AST_DEF, p_pos(p, t))))
		return -1;
	n->s = name->s;
	return p_signature(p, n, t, ctx == CTX_BODY, CTX_PLAIN) ? -1 : p_push(p, out, n);
}

static int forward(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_next(p);
	struct p2o_ast *n = p_node(p, AST_FORWARD, p_pos(p, t));

	if (!n)
		return -1;
	n->s = "forward";
	return p_signature(p, n, t, 1, CTX_PLAIN) ? -1 : p_push(p, out, n);
}

int p_statement(struct parser *p, struct nodes *out, enum p_ctx ctx)
{
	const struct arch_token *t = p_peek(p, 0);

	if (t->kind == TK_INDENT)
		return p_error_at(p, t->line, t->col, "unexpected indent");
	if (ctx == CTX_BODY && looks_like_forward(p))
		return forward(p, out);
	if (looks_like_forward(p))
		return p_error_at(p, t->line, t->col,
				  "forward(...) is only allowed directly in a block, class or model body");
	if ((p_is_name_str(t, "block") || p_is_name_str(t, "model")) && p_is_name(p_peek(p, 1)))
		return p_error_at(p, t->line, t->col, "'%s' is only allowed at the top level", t->s);
	switch (t->kind == TK_NAME ? t->kw : KW_PLAIN) {
	case KW_IF: return if_stmt(p, out);
	case KW_FOR: case KW_WHILE: return loop_stmt(p, out);
	case KW_DEF: return def(p, out, ctx);
	case KW_CLASS:
		return p_error_at(p, t->line, t->col, "'class' is only allowed at the top level");
	case KW_UNSUPPORTED:
		return p_error_at(p, t->line, t->col, "'%s' is not supported in .arch files", t->s);
	case KW_ELIF: case KW_ELSE:
		return p_expected(p, t, "a statement");
	default: return simple(p, out);
	}
}
