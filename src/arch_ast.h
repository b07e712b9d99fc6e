/*
 * arch_ast.h — the syntax tree of an architecture description (.arch).
 *
 * The language is a small, indentation-based subset of Python so that a
 * model's __init__ and forward transcribe line by line (docs/arch-language.md
 * has the grammar).  src/arch_parser.c builds this tree; src/arch_eval.c
 * runs it at conversion time to instantiate modules and build the graph.
 *
 * One node type with a kind and children; each kind's layout is listed
 * below.  Every node carries its source position for file:line:col errors.
 */
#ifndef P2O_ARCH_AST_H
#define P2O_ARCH_AST_H

#include "p2o.h"

struct p2o_src {
	const char *file;  /* path as given */
	const char *text;  /* whole source text (NUL-terminated) */
	size_t len;
};

struct p2o_pos {
	const struct p2o_src *src;
	int line, col;     /* 1-based; col counts bytes */
};

enum p2o_ast_kind {
	/* ---- expressions ---- */
	AST_NAME,      /* s: identifier */
	AST_INT,       /* i */
	AST_FLOAT,     /* f */
	AST_STR,       /* s: decoded text */
	AST_NONE, AST_TRUE, AST_FALSE, AST_ELLIPSIS,
	AST_TUPLE,     /* kids: items (may contain AST_STARRED) */
	AST_LIST,      /* kids: items (may contain AST_STARRED) */
	AST_DICT,      /* kids: key0, value0, key1, value1, ... */
	AST_LISTCOMP,  /* kids[0] element, kids[1] target (NAME or TUPLE of
			  NAMEs), kids[2] iterable, kids[3] condition or NULL */
	AST_CALL,      /* kids[0] callee; kids[1..]: positional args (may be
			  AST_STARRED) then AST_KEYWORD args */
	AST_KEYWORD,   /* s: name; kids[0] value */
	AST_STARRED,   /* kids[0] value (*x in calls and displays) */
	AST_ATTR,      /* kids[0] object; s: attribute name */
	AST_INDEX,     /* kids[0] object; kids[1] index: an expression, an
			  AST_SLICE, or an AST_TUPLE of those (x[:, 0, 1:3]) */
	AST_SLICE,     /* kids[0..2]: start, stop, step; each may be NULL */
	AST_BINOP,     /* s: "+" "-" "*" "/" "//" "%" "**" "@" "&" "|" "^"
			  "<<" ">>"; kids[0] left, kids[1] right */
	AST_UNOP,      /* s: "-" "+" "not" "~"; kids[0] operand */
	AST_COMPARE,   /* a chain: kids = operand0, operand1, ...; ops[i] is
			  the operator between kids[i] and kids[i+1]: "==" "!="
			  "<" "<=" ">" ">=" "is" "is not" "in" "not in" */
	AST_BOOLOP,    /* s: "and" | "or"; kids: two or more operands */
	AST_IFEXP,     /* kids[0] value-if-true, kids[1] condition,
			  kids[2] value-if-false */
	AST_LAMBDA,    /* params (below); kids[0] body expression */

	/* ---- statements ---- */
	AST_ASSIGN,    /* kids[0..n-2] targets (a = b = expr allowed), last kid
			  the value.  A target is NAME, ATTR (self.x), INDEX,
			  TUPLE/LIST of targets */
	AST_AUGASSIGN, /* s: "+=" etc.; kids[0] target, kids[1] value */
	AST_EXPR,      /* kids[0] expression (e.g. blocks.append(x)) */
	AST_IF,        /* kids[0] condition, kids[1] body (AST_SUITE), kids[2]
			  else: AST_SUITE, AST_IF (for elif) or NULL */
	AST_FOR,       /* kids[0] target, kids[1] iterable, kids[2] body */
	AST_WHILE,     /* kids[0] condition, kids[1] body */
	AST_RETURN,    /* kids[0] value or NULL */
	AST_PASS, AST_BREAK, AST_CONTINUE,
	AST_ASSERT,    /* kids[0] condition, kids[1] message or NULL */
	AST_SUITE,     /* kids: statements */
	AST_LOCAL_SUITE, /* kids: statements run in a scope of their own: a
			  class's __init__ body, where a plain name is a local
			  variable and only self.x sets an attribute */
	AST_DEF,       /* s: name; params; kids[0] body (AST_SUITE).  Inside a
			  block this is a method: a leading `self` parameter is
			  dropped by the parser */
	AST_FORWARD,   /* params; kids[0] body.  `forward(x):` or
			  `def forward(self, x):` */
	AST_BLOCK,     /* s: name; params (the constructor's); kids[0] body:
			  the constructor's statements, with AST_DEF and
			  AST_FORWARD among them.  Written `block Name(params):`,
			  or as a Python class `class Name(nn.Module):`: then the
			  body is the class-level statements, the methods and
			  forward, and last `def __init__(self, params):`'s body
			  as an AST_LOCAL_SUITE */
	AST_MODEL,     /* s: name; inputs; outputs; kids[0]: AST_SUITE (a block
			  body with a forward) or an expression (the model is an
			  instance: `model m(x: [...]) = ResNet(...)`) */
	AST_MODULE     /* the file: kids = top-level AST_BLOCK, AST_MODEL,
			  AST_DEF and AST_ASSIGN (constants) */
};

/* A parameter of a def/forward/block/lambda: name, default (or NULL),
 * star: 1 for *args, 2 for **kwargs. */
struct p2o_param {
	const char *name;
	struct p2o_ast *deflt;
	int star;
	struct p2o_pos pos;
};

/* A model input: `x: [batch_size, 3, 224, 224]` or
 * `tokens: int64[batch_size, seq_len]`.  dims are expressions: AST_INT,
 * or AST_NAME for a symbolic dimension; dtype NULL means float32. */
struct p2o_input_decl {
	const char *name;
	const char *dtype;
	struct p2o_ast **dims;
	size_t ndims;
	struct p2o_pos pos;
};

struct p2o_ast {
	enum p2o_ast_kind kind;
	struct p2o_pos pos;
	const char *s;
	int64_t i;
	double f;
	struct p2o_ast **kids;
	size_t nkids;
	const char **ops;              /* AST_COMPARE */
	struct p2o_param *params;      /* DEF FORWARD BLOCK LAMBDA */
	size_t nparams;
	struct p2o_input_decl *inputs; /* MODEL */
	size_t ninputs;
	const char **outputs;          /* MODEL: output names (may be 0) */
	size_t noutputs;
};

/* Parse src (kept alive by the caller) into an AST_MODULE in arena a.
 * Errors are P2O_EARCH with where = "file:line:col" and detail = the
 * source line and a caret under the column. */
struct p2o_ast *p2o_arch_parse(struct p2o_arena *a, const struct p2o_src *src,
			       struct p2o_err *err);

/* Fill err with a P2O_EARCH error at pos (where "file:line:col", detail
 * the line and a caret).  Returns -1.  Used by the parser and evaluator. */
int p2o_arch_error(struct p2o_err *err, struct p2o_pos pos, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

#endif
