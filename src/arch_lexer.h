/*
 * arch_lexer.h — the token stream of an .arch file (docs/arch-language.md).
 *
 * The whole file is tokenised at once into an array (a temporary buffer the
 * parser frees).  Python's rules: NEWLINE ends a logical line, INDENT and
 * DEDENT open and close blocks, newlines inside () [] {} and after a `\`
 * are ignored, blank and comment-only lines produce nothing.
 *
 * A lexical error does not stop the parser at once: the lexer ends the
 * array with a TK_ERROR token (s = the message) at the error's position, so
 * the parser reports whichever error comes first in the file.
 */
#ifndef P2O_ARCH_LEXER_H
#define P2O_ARCH_LEXER_H

#include "arch_ast.h"

enum arch_tok_kind {
	TK_EOF, TK_NEWLINE, TK_INDENT, TK_DEDENT,
	TK_NAME,   /* s: identifier (kw says whether it is reserved) */
	TK_INT,    /* i */
	TK_FLOAT,  /* f */
	TK_STRING, /* s: decoded text */
	TK_OP,     /* s: the operator, a static string ("(", "**=", "->") */
	TK_ERROR   /* s: the message; always the last token */
};

/* Reserved words.  `model`, `block` and `forward` are not here: they are
 * keywords only where a statement starts, so the parser checks the name. */
enum arch_kw {
	KW_PLAIN = 0, /* a plain name, not reserved */
	KW_CLASS, KW_DEF, KW_RETURN, KW_IF, KW_ELIF, KW_ELSE, KW_FOR, KW_IN,
	KW_WHILE, KW_NOT, KW_AND, KW_OR, KW_IS, KW_NONE, KW_TRUE, KW_FALSE,
	KW_PASS, KW_BREAK, KW_CONTINUE, KW_LAMBDA, KW_IMPORT, KW_FROM, KW_AS,
	KW_ASSERT,
	KW_UNSUPPORTED /* Python keywords the language lacks (raise, with...) */
};

struct arch_token {
	enum arch_tok_kind kind;
	enum arch_kw kw;
	int line, col;         /* first byte, 1-based */
	int end_line, end_col; /* just past the last byte */
	int first_on_line;     /* nothing before it on its physical line */
	size_t off, len;       /* source bytes (0 for synthetic tokens) */
	const char *s;
	int64_t i;
	double f;
};

struct arch_tokens {
	struct arch_token *v; /* malloc'd: free with arch_tokens_free */
	size_t n;             /* >= 1; the last is TK_EOF or TK_ERROR */
};

/* Tokenise src.  Strings and names are allocated in a.  Returns -1 (err
 * P2O_ENOMEM) only when out of memory; lexical errors become a TK_ERROR
 * token. */
int arch_lex(struct p2o_arena *a, const struct p2o_src *src,
	     struct arch_tokens *out, struct p2o_err *err);
void arch_tokens_free(struct arch_tokens *t);

/* ---- inside the lexer: shared by arch_lexer.c and arch_lexer_literals.c
 * (number and string literals); nothing else uses these. ---- */

#define P2O_LEX_MAX_INDENT 256 /* the parser stops at 200 anyway */

struct lexer {
	struct p2o_arena *a;
	struct p2o_err *err;
	const char *s;
	size_t n, i;
	int line;
	size_t line_start;
	int depth;        /* open brackets */
	int fresh;        /* no token yet on this physical line */
	int logical;      /* the logical line has tokens */
	int end_line, end_col; /* end of the last real token */
	int indents[P2O_LEX_MAX_INDENT];
	int nind;
	struct arch_tokens *out;
	size_t cap;
	int failed;       /* a TK_ERROR was emitted */
};

static inline int p2o_lex_col_of(const struct lexer *lx, size_t off)
{
	return (int)(off - lx->line_start) + 1;
}

static inline int p2o_lex_peekc(const struct lexer *lx, size_t k)
{
	return lx->i + k < lx->n ? (unsigned char)lx->s[lx->i + k] : -1;
}

static inline void p2o_lex_newline_at(struct lexer *lx, size_t off)
{
	lx->line++;
	lx->line_start = off + 1;
	lx->fresh = 1;
}

static inline int p2o_lex_is_ident(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (c >= '0' && c <= '9');
}

static inline int p2o_lex_digit_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* A real token from off to the current position (arch_lexer.c). */
struct arch_token *p2o_lex_emit(struct lexer *lx, enum arch_tok_kind kind,
				size_t off, int line, int col);
/* End the stream with a TK_ERROR.  Returns -1 (stop lexing). */
int p2o_lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The literal at lx->i (arch_lexer_literals.c): a number, or a string
 * whose prefix (r or u, raw or not) starts at start.  0, or -1 after an
 * error token or when out of memory. */
int p2o_lex_number(struct lexer *lx);
int p2o_lex_string(struct lexer *lx, size_t start, int raw);

#endif
