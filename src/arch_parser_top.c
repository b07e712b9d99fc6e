/* arch_parser_top.c — the file level: block, class and model;
 * p2o_arch_parse. */
#include "arch_parser_int.h"

#include <string.h>

static int block_def(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_next(p), *name = p_next(p);
	struct p2o_ast *n = p_node(p, AST_BLOCK, p_pos(p, t));

	if (!n)
		return -1;
	n->s = name->s;
	return p_signature(p, n, t, 0, CTX_BODY) ? -1 : p_push(p, out, n);
}

/* A Python class: the block's params are __init__'s; its body is the
 * class-level statements, then the methods (so that __init__ can call
 * them, as in Python), then __init__'s statements. */
static int class_def(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_next(p), *name = p_peek(p, 0), *open;
	const struct p2o_ast *init = NULL;
	struct p2o_ast *n, *body;
	struct nodes l = {0};

	if (!p_is_name(name))
		return p_expected(p, name, "a class name after 'class'");
	p_next(p);
	open = p_peek(p, 0);
	if (p_accept_op(p, "(")) { /* base classes: ignored */
		while (!p_is_op(p_peek(p, 0), ")")) {
			if (p_is_name(p_peek(p, 0)) && p_is_op(p_peek(p, 1), "="))
				p_next(p), p_next(p);
			if (!p_expr(p))
				return -1;
			if (!p_accept_op(p, ","))
				break;
		}
		if (p_expect_close(p, open, "',' or "))
			return -1;
	}
	if (p_expect_op(p, ":", "after the class name") || !(body = p_suite(p, t, CTX_BODY)) ||
	    !(n = p_node(p, AST_BLOCK, p_pos(p, t))))
		return -1;
	n->s = name->s;
	for (size_t i = 0; i < body->nkids; i++) {
		const struct p2o_ast *k = body->kids[i];
		if (k->kind != AST_DEF || strcmp(k->s, "__init__"))
			continue;
		if (init)
			return p_error_at(p, k->pos.line, k->pos.col,
					  "__init__ is already defined at %d:%d",
					  init->pos.line, init->pos.col);
		init = k;
	}
	for (size_t i = 0; i < body->nkids; i++) {
		struct p2o_ast *k = body->kids[i];
		if (k->kind != AST_DEF && k->kind != AST_FORWARD && k->kind != AST_PASS &&
		    p_push(p, &l, k))
			return -1;
	}
	for (size_t i = 0; i < body->nkids; i++) {
		struct p2o_ast *k = body->kids[i];
		if ((k->kind == AST_FORWARD || k->kind == AST_DEF) && k != init &&
		    p_push(p, &l, k))
			return -1;
	}
	if (init) {
		n->params = init->params;
		n->nparams = init->nparams;
		for (size_t i = 0; i < init->kids[0]->nkids; i++)
			if (p_push(p, &l, init->kids[0]->kids[i]))
				return -1;
	}
	p_take(body, &l);
	if (!(n->kids = p2o_alloc(p->a, sizeof *n->kids)))
		return p_oom(p);
	n->kids[0] = body;
	n->nkids = 1;
	return p_push(p, out, n);
}

/* NAME ':' [dtype] '[' dim {',' dim} ']' */
static int model_input(struct parser *p, struct p2o_ast *m, size_t *cap)
{
	const struct arch_token *name = p_peek(p, 0), *open;
	struct p2o_input_decl in = {0};
	struct nodes dims = {0};

	if (!p_is_name(name))
		return p_expected(p, name, "a model input such as 'x: [batch_size, 3, 224, 224]'");
	p_next(p);
	for (size_t i = 0; i < m->ninputs; i++)
		if (!strcmp(m->inputs[i].name, name->s))
			return p_error_at(p, name->line, name->col, "duplicate input '%s'", name->s);
	if (p_expect_op(p, ":", "after the input's name"))
		return -1;
	if (p_is_name(p_peek(p, 0)))
		in.dtype = p_next(p)->s;
	open = p_peek(p, 0);
	if (p_expect_op(p, "[", in.dtype ? "after the dtype" : "before the input's dimensions"))
		return -1;
	do {
		const struct arch_token *d = p_peek(p, 0);
		struct p2o_ast *e;
		if (d->kind != TK_INT && !p_is_name(d))
			return p_expected(p, d, "a dimension (a number or a name)");
		if (!(e = p_node(p, d->kind == TK_INT ? AST_INT : AST_NAME, p_pos(p, d))))
			return -1;
		e->i = d->i;
		e->s = d->kind == TK_INT ? NULL : d->s;
		p_next(p);
		if (p_push(p, &dims, e))
			return -1;
	} while (p_accept_op(p, ",") && !p_is_op(p_peek(p, 0), "]"));
	if (p_expect_close(p, open, "',' or "))
		return -1;
	in.name = name->s;
	in.dims = dims.v;
	in.ndims = dims.n;
	in.pos = p_pos(p, name);
	if (p2o_grow(p->a, (void **)&m->inputs, cap, m->ninputs + 1, sizeof *m->inputs))
		return p_oom(p);
	m->inputs[m->ninputs++] = in;
	return 0;
}

static int model_outputs(struct parser *p, struct p2o_ast *m)
{
	const struct arch_token *open = p_peek(p, 0);
	int paren = p_accept_op(p, "(");
	size_t cap = 0;

	do {
		const struct arch_token *o = p_peek(p, 0);
		if (!p_is_name(o))
			return p_expected(p, o, "an output name");
		p_next(p);
		if (p2o_grow(p->a, (void **)&m->outputs, &cap, m->noutputs + 1,
			     sizeof *m->outputs))
			return p_oom(p);
		m->outputs[m->noutputs++] = o->s;
	} while (paren && p_accept_op(p, ",") && !p_is_op(p_peek(p, 0), ")"));
	return paren ? p_expect_close(p, open, "',' or ") : 0;
}

static int model_def(struct parser *p, struct nodes *out)
{
	const struct arch_token *t = p_next(p), *name = p_next(p), *open = p_peek(p, 0);
	struct p2o_ast *m = p_node(p, AST_MODEL, p_pos(p, t)), *body;
	size_t cap = 0;

	if (!m)
		return -1;
	m->s = name->s;
	if (p_expect_op(p, "(", "after the model's name"))
		return -1;
	do
		if (model_input(p, m, &cap))
			return -1;
	while (p_accept_op(p, ",") && !p_is_op(p_peek(p, 0), ")"));
	if (p_expect_close(p, open, "',' or ") ||
	    (p_accept_op(p, "->") && model_outputs(p, m)))
		return -1;
	if (p_accept_op(p, ":")) {
		if (!(body = p_suite(p, t, CTX_BODY)))
			return -1;
	} else if (p_accept_op(p, "=")) {
		if (!(body = p_expr(p)) || p_end_of_line(p))
			return -1;
	} else {
		return p_expected(p, p_peek(p, 0), m->noutputs ?
				  "':' or '=' after the model's outputs" :
				  "'->', ':' or '=' after the model's inputs");
	}
	if (!(m->kids = p2o_alloc(p->a, sizeof *m->kids)))
		return p_oom(p);
	m->kids[0] = body;
	m->nkids = 1;
	return p_push(p, out, m);
}

static const char *stmt_name(enum p2o_ast_kind k)
{
	switch (k) {
	case AST_EXPR: return "an expression statement";
	case AST_AUGASSIGN: return "an augmented assignment";
	case AST_IF: return "an if statement";
	case AST_FOR: return "a for loop";
	case AST_WHILE: return "a while loop";
	case AST_RETURN: return "'return'";
	case AST_PASS: return "'pass'";
	case AST_BREAK: return "'break'";
	case AST_CONTINUE: return "'continue'";
	case AST_ASSERT: return "'assert'";
	default: return "this statement";
	}
}

static struct p2o_ast *file(struct parser *p)
{
	struct p2o_ast *m = p_node(p, AST_MODULE, (struct p2o_pos){p->src, 1, 1});
	struct nodes l = {0};

	if (!m)
		return NULL;
	while (p_peek(p, 0)->kind != TK_EOF) {
		const struct arch_token *t = p_peek(p, 0);
		size_t n0 = l.n;
		int rc;

		if (t->kind == TK_NEWLINE) {
			p_next(p);
			continue;
		}
		if (p_is_kw(t, KW_CLASS))
			rc = class_def(p, &l);
		else if (p_is_name_str(t, "block") && p_is_name(p_peek(p, 1)))
			rc = block_def(p, &l);
		else if (p_is_name_str(t, "model") && p_is_name(p_peek(p, 1)))
			rc = model_def(p, &l);
		else
			rc = p_statement(p, &l, CTX_TOP);
		if (rc)
			return NULL;
		for (size_t i = n0; i < l.n; i++) {
			const struct p2o_ast *k = l.v[i];
			if (k->kind != AST_ASSIGN && k->kind != AST_DEF && k->kind != AST_BLOCK &&
			    k->kind != AST_MODEL)
				return p_error_at(p, k->pos.line, k->pos.col,
						  "%s is not allowed at the top level (only block, "
						  "class, model, def, import and assignments are)",
						  stmt_name(k->kind)), NULL;
		}
	}
	p_take(m, &l);
	return m;
}

struct p2o_ast *p2o_arch_parse(struct p2o_arena *a, const struct p2o_src *src,
			       struct p2o_err *err)
{
	struct arch_tokens toks;
	struct p2o_ast *m;

	if (!src || !src->text) {
		p2o_errf(err, P2O_EINTERNAL, "", "p2o_arch_parse: no source text");
		return NULL;
	}
	if (arch_lex(a, src, &toks, err))
		return NULL;
	struct parser p = {.a = a, .src = src, .err = err, .t = toks.v, .n = toks.n};
	m = file(&p);
	arch_tokens_free(&toks);
	return m;
}
