/*
 * arch_parser_int.h — shared by the parser's files.  Not part of the
 * interface.
 *   arch_parser.c       errors, tokens, nodes, targets, parameter lists
 *   arch_parser_expr.c  expression lists and operators
 *   arch_parser_atom.c  atoms, displays, calls, subscripts, attributes
 *   arch_parser_stmt.c  statements, suites, forward and methods, imports
 *   arch_parser_top.c   block, class, model, the file; p2o_arch_parse
 *
 * Conventions: a parse function returns the node (or 0) on success and
 * NULL (or -1) with p->err filled on failure.  Every function that recurses
 * goes through p_nest, so the depth of the tree — and of the C stack — is
 * bounded by ARCH_MAX_DEPTH whatever the input.
 */
#ifndef P2O_ARCH_PARSER_INT_H
#define P2O_ARCH_PARSER_INT_H

#include "arch_lexer.h"

#define ARCH_MAX_DEPTH 200

struct parser {
	struct p2o_arena *a;
	const struct p2o_src *src;
	struct p2o_err *err;
	const struct arch_token *t;
	size_t n, i;
	int depth;
};

/* A growing list of nodes (arena memory). */
struct nodes {
	struct p2o_ast **v;
	size_t n, cap;
};

/* ---- tokens ---- */
const struct arch_token *p_peek(const struct parser *p, size_t k);
const struct arch_token *p_next(struct parser *p);
int p_is_op(const struct arch_token *t, const char *op);
int p_is_kw(const struct arch_token *t, enum arch_kw kw);
/* A plain name: an identifier that is not reserved. */
int p_is_name(const struct arch_token *t);
int p_accept_op(struct parser *p, const char *op);
int p_accept_kw(struct parser *p, enum arch_kw kw);
struct p2o_pos p_pos(const struct parser *p, const struct arch_token *t);

/* ---- errors (all return -1) ---- */
int p_error_at(struct parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "expected WHAT, found <token>" at the token (or the lexer's own error
 * when the token is TK_ERROR). */
int p_expected(struct parser *p, const struct arch_token *t, const char *what);
/* Consume op or fail with "expected 'op' WHY, found ...". */
int p_expect_op(struct parser *p, const char *op, const char *why);
/* Consume the closing bracket of open (a '(' '[' or '{' token) or fail.
 * items: what else could have come ("',' or "), for the message. */
int p_expect_close(struct parser *p, const struct arch_token *open,
		   const char *items);
int p_nest(struct parser *p, const struct arch_token *at);
int p_oom(struct parser *p);

/* ---- nodes ---- */
struct p2o_ast *p_node(struct parser *p, enum p2o_ast_kind kind, struct p2o_pos pos);
/* A node with nk children (any may be NULL). */
struct p2o_ast *p_node_k(struct parser *p, enum p2o_ast_kind kind,
			 struct p2o_pos pos, size_t nk, struct p2o_ast *k0,
			 struct p2o_ast *k1, struct p2o_ast *k2, struct p2o_ast *k3);
int p_push(struct parser *p, struct nodes *l, struct p2o_ast *node);
void p_take(struct p2o_ast *node, const struct nodes *l);
char *p_strdup(struct parser *p, const char *s);

/* ---- expressions (arch_parser_expr.c, arch_parser_atom.c; targets
 * and params in arch_parser.c) ---- */
/* Can t start an expression? */
int p_starts_expr(const struct arch_token *t);
struct p2o_ast *p_expr(struct parser *p);
struct p2o_ast *p_or_expr(struct parser *p);
struct p2o_ast *p_bitor(struct parser *p);
/* expr {',' expr} [','], a TUPLE when there is a comma; star: allow *x. */
struct p2o_ast *p_exprlist(struct parser *p, int star);
/* The same; *tuple says whether a TUPLE was built. */
struct p2o_ast *p_exprlist_ex(struct parser *p, int star, int *tuple);
/* An expression, or with star also '*' expression (AST_STARRED). */
struct p2o_ast *p_item(struct parser *p, int star);
/* atom {trailer} */
struct p2o_ast *p_postfix(struct parser *p);
/* Assignment and for targets: bitor-level items, stopping before 'in'. */
struct p2o_ast *p_targetlist(struct parser *p);
/* Check that e can be assigned to (tuple_ok: a TUPLE/LIST of targets). */
int p_check_target(struct parser *p, const struct p2o_ast *e, int tuple_ok);
/* params of a def (annotations allowed), lambda, block or forward, up to
 * (not including) the token close ("(" ... ")" or lambda's ":"). */
int p_params(struct parser *p, const char *close, int annotations,
	     struct p2o_param **out, size_t *n);

/* ---- statements (arch_parser_stmt.c) ---- */
/* Where a statement list sits: the file, a block/class/model body (where
 * `forward` and methods live) or any other suite. */
enum p_ctx { CTX_TOP, CTX_BODY, CTX_PLAIN };

int p_statement(struct parser *p, struct nodes *out, enum p_ctx ctx);
/* suite after the header keyword head ("if", "def", "block"...). */
struct p2o_ast *p_suite(struct parser *p, const struct arch_token *head, enum p_ctx ctx);
/* '(' params ')' ['->' annotation] ':' suite into n (DEF, FORWARD or
 * BLOCK: params and kids[0]); method: drop a leading `self`. */
int p_signature(struct parser *p, struct p2o_ast *n, const struct arch_token *head,
		int method, enum p_ctx body);
int p_end_of_line(struct parser *p);
int p_is_name_str(const struct arch_token *t, const char *s);

#endif
