/*
 * arch_tree.h — helpers shared by the .arch lexer and parser tests
 * (test_arch_parser*.c): the arena fixture, an S-expression dump of the
 * tree (see dump() below), the layout contract of arch_ast.h checked on
 * every tree (validate()), and the parse and check helpers.  Every test
 * file is its own program, so the helpers are static and marked unused
 * (not every program calls all of them).
 */
#ifndef P2O_TEST_ARCH_TREE_H
#define P2O_TEST_ARCH_TREE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch_ast.h"

static struct p2o_arena arena;

static __attribute__((unused)) int setup(void **state)
{
	(void)state;
	p2o_arena_init(&arena);
	return 0;
}

static __attribute__((unused)) int teardown(void **state)
{
	(void)state;
	p2o_arena_free(&arena);
	return 0;
}

/* ---- an S-expression dump of the tree ---- */
struct sbuf {
	char *p;
	size_t n, cap;
};

static __attribute__((unused)) void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static __attribute__((unused)) void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->n + (size_t)k + 1 > b->cap) {
		b->cap = (b->n + (size_t)k + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

static __attribute__((unused)) void dump(struct sbuf *b, const struct p2o_ast *e);

static __attribute__((unused)) void dump_kids(struct sbuf *b, const struct p2o_ast *e, size_t from)
{
	for (size_t i = from; i < e->nkids; i++) {
		put(b, " ");
		dump(b, e->kids[i]);
	}
}

static __attribute__((unused)) void dump_params(struct sbuf *b, const struct p2o_param *ps, size_t n)
{
	put(b, "(");
	for (size_t i = 0; i < n; i++) {
		put(b, "%s%s%s", i ? " " : "", ps[i].star == 1 ? "*" : ps[i].star == 2 ? "**" : "",
		    ps[i].name);
		if (ps[i].deflt) {
			put(b, "=");
			dump(b, ps[i].deflt);
		}
	}
	put(b, ")");
}

static __attribute__((unused)) void dump_str(struct sbuf *b, const char *s)
{
	put(b, "\"");
	for (; *s; s++) {
		if (*s == '\n')
			put(b, "\\n");
		else if (*s == '\t')
			put(b, "\\t");
		else if (*s == '"' || *s == '\\')
			put(b, "\\%c", *s);
		else
			put(b, "%c", *s);
	}
	put(b, "\"");
}

static __attribute__((unused)) void dump(struct sbuf *b, const struct p2o_ast *e)
{
	static const char *const simple[] = {
		[AST_TUPLE] = "tuple", [AST_LIST] = "list", [AST_DICT] = "dict",
		[AST_LISTCOMP] = "listcomp", [AST_CALL] = "call", [AST_STARRED] = "*",
		[AST_INDEX] = "[]", [AST_SLICE] = "slice", [AST_IFEXP] = "ifexp",
		[AST_EXPR] = "expr", [AST_IF] = "if", [AST_FOR] = "for", [AST_WHILE] = "while",
		[AST_RETURN] = "return", [AST_ASSERT] = "assert", [AST_SUITE] = "suite",
		[AST_LOCAL_SUITE] = "init",
		[AST_MODULE] = "module", [AST_ASSIGN] = "=",
	};

	if (!e) {
		put(b, "_");
		return;
	}
	switch (e->kind) {
	case AST_NAME: put(b, "%s", e->s); return;
	case AST_INT: put(b, "%lld", (long long)e->i); return;
	case AST_FLOAT: put(b, "%g", e->f); return;
	case AST_STR: dump_str(b, e->s); return;
	case AST_NONE: put(b, "None"); return;
	case AST_TRUE: put(b, "True"); return;
	case AST_FALSE: put(b, "False"); return;
	case AST_ELLIPSIS: put(b, "..."); return;
	case AST_PASS: put(b, "pass"); return;
	case AST_BREAK: put(b, "break"); return;
	case AST_CONTINUE: put(b, "continue"); return;
	case AST_KEYWORD: put(b, "(kw %s", e->s); break;
	case AST_ATTR:
		put(b, "(. ");
		dump(b, e->kids[0]);
		put(b, " %s)", e->s);
		return;
	case AST_BINOP: case AST_UNOP: case AST_BOOLOP: case AST_AUGASSIGN:
		put(b, "(%s", e->s);
		break;
	case AST_COMPARE:
		put(b, "(cmp ");
		dump(b, e->kids[0]);
		for (size_t i = 1; i < e->nkids; i++) {
			put(b, " %s ", e->ops[i - 1]);
			dump(b, e->kids[i]);
		}
		put(b, ")");
		return;
	case AST_LAMBDA: case AST_DEF: case AST_FORWARD: case AST_BLOCK:
		put(b, "(%s ", e->kind == AST_LAMBDA ? "lambda" : e->kind == AST_DEF ? "def" :
		    e->kind == AST_FORWARD ? "forward" : "block");
		if (e->kind == AST_DEF || e->kind == AST_BLOCK)
			put(b, "%s ", e->s);
		dump_params(b, e->params, e->nparams);
		break;
	case AST_MODEL:
		put(b, "(model %s (", e->s);
		for (size_t i = 0; i < e->ninputs; i++) {
			const struct p2o_input_decl *in = &e->inputs[i];
			put(b, "%s(%s %s [", i ? " " : "", in->name, in->dtype ? in->dtype : "_");
			for (size_t j = 0; j < in->ndims; j++) {
				put(b, "%s", j ? " " : "");
				dump(b, in->dims[j]);
			}
			put(b, "])");
		}
		put(b, ") (");
		for (size_t i = 0; i < e->noutputs; i++)
			put(b, "%s%s", i ? " " : "", e->outputs[i]);
		put(b, ")");
		break;
	default:
		put(b, "(%s", e->kind < P2O_ARRAY_LEN(simple) && simple[e->kind] ?
		    simple[e->kind] : "?");
		break;
	}
	dump_kids(b, e, 0);
	put(b, ")");
}

static __attribute__((unused)) char *dump_str_of(const struct p2o_ast *e)
{
	struct sbuf b = {0};
	put(&b, "%s", "");
	dump(&b, e);
	return b.p;
}

/* ---- the layout contract of arch_ast.h, checked on every tree ---- */

static __attribute__((unused)) void validate(const struct p2o_ast *e);

static __attribute__((unused)) void validate_pos(struct p2o_pos pos)
{
	assert_non_null(pos.src);
	assert_true(pos.line >= 1);
	assert_true(pos.col >= 1);
}

static __attribute__((unused)) void validate_params(const struct p2o_param *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_non_null(ps[i].name);
		assert_true(ps[i].star >= 0 && ps[i].star <= 2);
		validate_pos(ps[i].pos);
		if (ps[i].deflt)
			validate(ps[i].deflt);
	}
}

/* nk children, the first `required` of them non-NULL */
static __attribute__((unused)) void kids(const struct p2o_ast *e, size_t nk, size_t required)
{
	assert_int_equal(e->nkids, nk);
	for (size_t i = 0; i < nk; i++) {
		if (i < required)
			assert_non_null(e->kids[i]);
		if (e->kids[i])
			validate(e->kids[i]);
	}
}

static __attribute__((unused)) void all_kids(const struct p2o_ast *e)
{
	kids(e, e->nkids, e->nkids);
}

static __attribute__((unused)) void validate(const struct p2o_ast *e)
{
	validate_pos(e->pos);
	switch (e->kind) {
	case AST_NAME: case AST_STR:
		assert_non_null(e->s);
		/* fall through */
	case AST_INT: case AST_FLOAT: case AST_NONE: case AST_TRUE: case AST_FALSE:
	case AST_ELLIPSIS: case AST_PASS: case AST_BREAK: case AST_CONTINUE:
		assert_int_equal(e->nkids, 0);
		break;
	case AST_TUPLE: case AST_LIST: case AST_SUITE: case AST_LOCAL_SUITE:
		all_kids(e);
		break;
	case AST_DICT:
		assert_int_equal(e->nkids % 2, 0);
		all_kids(e);
		break;
	case AST_LISTCOMP:
		kids(e, 4, 3);
		if (e->kids[1]->kind == AST_TUPLE)
			for (size_t i = 0; i < e->kids[1]->nkids; i++)
				assert_int_equal(e->kids[1]->kids[i]->kind, AST_NAME);
		else
			assert_int_equal(e->kids[1]->kind, AST_NAME);
		break;
	case AST_CALL: {
		int kw = 0;
		assert_true(e->nkids >= 1);
		all_kids(e);
		assert_int_not_equal(e->kids[0]->kind, AST_KEYWORD);
		for (size_t i = 1; i < e->nkids; i++) {
			kw |= e->kids[i]->kind == AST_KEYWORD;
			assert_true(!kw || e->kids[i]->kind == AST_KEYWORD);
		}
		break;
	}
	case AST_KEYWORD:
		assert_non_null(e->s);
		kids(e, 1, 1);
		break;
	case AST_STARRED: case AST_EXPR:
		kids(e, 1, 1);
		break;
	case AST_ATTR:
		assert_non_null(e->s);
		kids(e, 1, 1);
		break;
	case AST_INDEX:
		kids(e, 2, 2);
		break;
	case AST_SLICE:
		kids(e, 3, 0);
		break;
	case AST_BINOP: case AST_AUGASSIGN:
		assert_non_null(e->s);
		kids(e, 2, 2);
		break;
	case AST_UNOP:
		assert_non_null(e->s);
		kids(e, 1, 1);
		break;
	case AST_COMPARE:
		assert_true(e->nkids >= 2);
		all_kids(e);
		for (size_t i = 0; i + 1 < e->nkids; i++)
			assert_non_null(e->ops[i]);
		break;
	case AST_BOOLOP:
		assert_true(e->nkids >= 2);
		assert_true(!strcmp(e->s, "and") || !strcmp(e->s, "or"));
		all_kids(e);
		break;
	case AST_IFEXP:
		kids(e, 3, 3);
		break;
	case AST_LAMBDA:
		validate_params(e->params, e->nparams);
		kids(e, 1, 1);
		break;
	case AST_ASSIGN:
		assert_true(e->nkids >= 2);
		all_kids(e);
		break;
	case AST_IF:
		kids(e, 3, 2);
		assert_int_equal(e->kids[1]->kind, AST_SUITE);
		assert_true(!e->kids[2] || e->kids[2]->kind == AST_SUITE || e->kids[2]->kind == AST_IF);
		break;
	case AST_FOR:
		kids(e, 3, 3);
		assert_int_equal(e->kids[2]->kind, AST_SUITE);
		break;
	case AST_WHILE:
		kids(e, 2, 2);
		assert_int_equal(e->kids[1]->kind, AST_SUITE);
		break;
	case AST_RETURN:
		kids(e, 1, 0);
		break;
	case AST_ASSERT:
		kids(e, 2, 1);
		break;
	case AST_DEF: case AST_FORWARD: case AST_BLOCK:
		if (e->kind != AST_FORWARD)
			assert_non_null(e->s);
		validate_params(e->params, e->nparams);
		kids(e, 1, 1);
		assert_int_equal(e->kids[0]->kind, AST_SUITE);
		break;
	case AST_MODEL:
		assert_non_null(e->s);
		assert_true(e->ninputs >= 1);
		for (size_t i = 0; i < e->ninputs; i++) {
			assert_non_null(e->inputs[i].name);
			assert_true(e->inputs[i].ndims >= 1);
			for (size_t j = 0; j < e->inputs[i].ndims; j++)
				assert_true(e->inputs[i].dims[j]->kind == AST_INT ||
					    e->inputs[i].dims[j]->kind == AST_NAME);
		}
		for (size_t i = 0; i < e->noutputs; i++)
			assert_non_null(e->outputs[i]);
		kids(e, 1, 1);
		break;
	case AST_MODULE:
		all_kids(e);
		for (size_t i = 0; i < e->nkids; i++)
			assert_true(e->kids[i]->kind == AST_BLOCK || e->kids[i]->kind == AST_MODEL ||
				    e->kids[i]->kind == AST_DEF || e->kids[i]->kind == AST_ASSIGN);
		break;
	default:
		fail_msg("unknown node kind %d", (int)e->kind);
	}
}

/* ---- helpers ---- */

static __attribute__((unused)) const struct p2o_src *source(const char *text)
{
	struct p2o_src *src = p2o_alloc(&arena, sizeof *src);
	assert_non_null(src);
	src->file = "t.arch";
	src->text = p2o_strdup(&arena, text);
	src->len = strlen(text);
	return src;
}

static __attribute__((unused)) struct p2o_ast *parse_ok(const char *text)
{
	struct p2o_err err = {0};
	struct p2o_ast *m = p2o_arch_parse(&arena, source(text), &err);

	if (!m)
		fail_msg("unexpected error %s: %s\n%s", err.where, err.msg, err.detail);
	assert_int_equal(err.code, P2O_OK);
	assert_int_equal(m->kind, AST_MODULE);
	validate(m);
	return m;
}

static __attribute__((unused)) void check_err(const char *text, const char *where, const char *msg,
		      const char *detail)
{
	struct p2o_err err = {0};
	struct p2o_ast *m = p2o_arch_parse(&arena, source(text), &err);

	assert_null(m);
	assert_int_equal(err.code, P2O_EARCH);
	assert_string_equal(err.where, where);
	assert_string_equal(err.msg, msg);
	if (detail)
		assert_string_equal(err.detail, detail);
}

static __attribute__((unused)) void check_dump(const struct p2o_ast *e, const char *want)
{
	char *got = dump_str_of(e);
	assert_string_equal(got, want);
	free(got);
}

/* The tree of the value in `r = <expr>`. */
static __attribute__((unused)) void check_expr(const char *expr, const char *want)
{
	char text[512];
	struct p2o_ast *m;

	snprintf(text, sizeof text, "r = %s\n", expr);
	m = parse_ok(text);
	assert_int_equal(m->nkids, 1);
	assert_int_equal(m->kids[0]->kind, AST_ASSIGN);
	assert_int_equal(m->kids[0]->nkids, 2);
	check_dump(m->kids[0]->kids[1], want);
}

static __attribute__((unused)) void check_suite(const struct p2o_ast *suite, const char *const *want, size_t n)
{
	assert_int_equal(suite->kind, AST_SUITE);
	for (size_t i = 0; i < n && i < suite->nkids; i++)
		check_dump(suite->kids[i], want[i]);
	assert_int_equal(suite->nkids, n);
}

static __attribute__((unused)) void check_params(const struct p2o_ast *e, const char *want)
{
	struct sbuf b = {0};

	dump_params(&b, e->params, e->nparams);
	assert_string_equal(b.p, want);
	free(b.p);
}

static __attribute__((unused)) void check_pos(const struct p2o_ast *e, int line, int col)
{
	assert_int_equal(e->pos.line, line);
	assert_int_equal(e->pos.col, col);
}

#endif
