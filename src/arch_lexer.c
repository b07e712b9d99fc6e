/* arch_lexer.c — see arch_lexer.h.  Number and string literals are in
 * arch_lexer_literals.c. */
#include "arch_lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOURCE ((size_t)1 << 30) /* keeps lines and columns in an int */

static const struct { const char *name; enum arch_kw kw; } keywords[] = {
	{"class", KW_CLASS}, {"def", KW_DEF}, {"return", KW_RETURN},
	{"if", KW_IF}, {"elif", KW_ELIF}, {"else", KW_ELSE}, {"for", KW_FOR},
	{"in", KW_IN}, {"while", KW_WHILE}, {"not", KW_NOT}, {"and", KW_AND},
	{"or", KW_OR}, {"is", KW_IS}, {"None", KW_NONE}, {"True", KW_TRUE},
	{"False", KW_FALSE}, {"pass", KW_PASS}, {"break", KW_BREAK},
	{"continue", KW_CONTINUE}, {"lambda", KW_LAMBDA},
	{"import", KW_IMPORT}, {"from", KW_FROM}, {"as", KW_AS},
	{"assert", KW_ASSERT},
	{"raise", KW_UNSUPPORTED}, {"try", KW_UNSUPPORTED},
	{"except", KW_UNSUPPORTED}, {"finally", KW_UNSUPPORTED},
	{"with", KW_UNSUPPORTED}, {"del", KW_UNSUPPORTED},
	{"global", KW_UNSUPPORTED}, {"nonlocal", KW_UNSUPPORTED},
	{"yield", KW_UNSUPPORTED}, {"async", KW_UNSUPPORTED},
	{"await", KW_UNSUPPORTED},
};

/* Longest first within each leading character. */
static const char *const operators[] = {
	"**=", "//=", ">>=", "<<=", "...",
	"**", "//", "<<", ">>", "==", "!=", "<=", ">=", "->", "+=", "-=",
	"*=", "/=", "%=", "@=", "&=", "|=", "^=",
	"+", "-", "*", "/", "%", "@", "&", "|", "^", "~", "<", ">", "=",
	"(", ")", "[", "]", "{", "}", ",", ":", ".", ";",
};

static struct arch_token *push(struct lexer *lx, enum arch_tok_kind kind,
			       int line, int col)
{
	struct arch_tokens *o = lx->out;
	struct arch_token *t;

	if (o->n == lx->cap) {
		size_t ncap = lx->cap ? lx->cap * 2 : 256;
		void *p = ncap > SIZE_MAX / sizeof *o->v ? NULL :
			realloc(o->v, ncap * sizeof *o->v);
		if (!p) {
			p2o_errf(lx->err, P2O_ENOMEM, "", "out of memory");
			return NULL;
		}
		o->v = p;
		lx->cap = ncap;
	}
	t = &o->v[o->n++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->line = t->end_line = line;
	t->col = t->end_col = col;
	return t;
}

/* A real token from off to the current position. */
struct arch_token *p2o_lex_emit(struct lexer *lx, enum arch_tok_kind kind,
				size_t off, int line, int col)
{
	struct arch_token *t = push(lx, kind, line, col);

	if (!t)
		return NULL;
	t->off = off;
	t->len = lx->i - off;
	t->end_line = lx->line;
	t->end_col = p2o_lex_col_of(lx, lx->i);
	t->first_on_line = lx->fresh;
	lx->fresh = 0;
	lx->logical = 1;
	lx->end_line = t->end_line;
	lx->end_col = t->end_col;
	return t;
}

/* End the stream with a TK_ERROR.  Returns -1 (stop lexing). */
int p2o_lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
{
	char msg[512];
	struct arch_token *t;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!(t = push(lx, TK_ERROR, line, col)))
		return -1;
	if (!(t->s = p2o_strdup(lx->a, msg))) {
		lx->out->n--;
		p2o_errf(lx->err, P2O_ENOMEM, "", "out of memory");
		return -1;
	}
	lx->failed = 1;
	return -1;
}

static int lex_name(struct lexer *lx)
{
	size_t start = lx->i;
	int col = p2o_lex_col_of(lx, start);
	struct arch_token *t;

	while (p2o_lex_is_ident(p2o_lex_peekc(lx, 0)))
		lx->i++;
	size_t len = lx->i - start;
	int q = p2o_lex_peekc(lx, 0);
	if ((q == '"' || q == '\'') && len <= 2) {
		char pre[3] = {0};
		for (size_t k = 0; k < len; k++)
			pre[k] = (char)(lx->s[start + k] | 0x20);
		if (!strcmp(pre, "r") || !strcmp(pre, "u"))
			return p2o_lex_string(lx, start, pre[0] == 'r');
		if (strchr(pre, 'f') && strspn(pre, "rf") == len)
			return p2o_lex_error(lx, lx->line, col, "f-strings are not supported");
		if (strchr(pre, 'b') && strspn(pre, "rb") == len)
			return p2o_lex_error(lx, lx->line, col, "bytes literals are not supported");
	}
	if (!(t = p2o_lex_emit(lx, TK_NAME, start, lx->line, col)))
		return -1;
	if (!(t->s = p2o_strndup(lx->a, lx->s + start, len))) {
		p2o_errf(lx->err, P2O_ENOMEM, "", "out of memory");
		return -1;
	}
	for (size_t k = 0; k < P2O_ARRAY_LEN(keywords); k++)
		if (!strcmp(t->s, keywords[k].name))
			t->kw = keywords[k].kw;
	return 0;
}

static int lex_op(struct lexer *lx)
{
	size_t start = lx->i, rest = lx->n - lx->i;
	int col = p2o_lex_col_of(lx, start), c = p2o_lex_peekc(lx, 0);
	struct arch_token *t;

	for (size_t k = 0; k < P2O_ARRAY_LEN(operators); k++) {
		size_t len = strlen(operators[k]);
		if (len > rest || memcmp(lx->s + start, operators[k], len))
			continue;
		lx->i += len;
		if (!(t = p2o_lex_emit(lx, TK_OP, start, lx->line, col)))
			return -1;
		t->s = operators[k];
		if (len == 1 && strchr("([{", c))
			lx->depth++;
		else if (len == 1 && strchr(")]}", c) && lx->depth)
			lx->depth--;
		return 0;
	}
	if (c >= 0x80)
		return p2o_lex_error(lx, lx->line, col, "unexpected byte 0x%02x: non-ASCII "
				 "characters are only allowed in strings and comments", c);
	if (c < 0x20 || c == 0x7f)
		return p2o_lex_error(lx, lx->line, col, "unexpected control character 0x%02x", c);
	return p2o_lex_error(lx, lx->line, col, "unexpected character '%c'", c);
}

/* At the start of a logical line outside brackets: skip blank and
 * comment-only lines, then emit INDENTs or DEDENTs. */
static int indentation(struct lexer *lx)
{
	for (;;) {
		size_t k = lx->i, tab = SIZE_MAX;

		while (k < lx->n && (lx->s[k] == ' ' || lx->s[k] == '\t')) {
			if (lx->s[k] == '\t' && tab == SIZE_MAX)
				tab = k;
			k++;
		}
		if (k < lx->n && lx->s[k] == '#')
			while (k < lx->n && lx->s[k] != '\n')
				k++;
		if (k + 1 < lx->n && lx->s[k] == '\r' && lx->s[k + 1] == '\n')
			k++;
		if (k >= lx->n) {
			lx->i = k;
			return 0;
		}
		if (lx->s[k] == '\n') {
			p2o_lex_newline_at(lx, k);
			lx->i = k + 1;
			continue;
		}
		lx->i = k;
		if (tab != SIZE_MAX)
			return p2o_lex_error(lx, lx->line, p2o_lex_col_of(lx, tab),
					     "tab in indentation: use spaces");
		int width = (int)(k - lx->line_start);
		int top = lx->nind ? lx->indents[lx->nind - 1] : 0;
		if (width > top) {
			if (lx->nind == P2O_LEX_MAX_INDENT)
				return p2o_lex_error(lx, lx->line, width + 1,
						     "too many indentation levels");
			lx->indents[lx->nind++] = width;
			return push(lx, TK_INDENT, lx->line, width + 1) ? 0 : -1;
		}
		int j = lx->nind;
		while (j > 0 && lx->indents[j - 1] > width)
			j--;
		if ((j ? lx->indents[j - 1] : 0) != width)
			return p2o_lex_error(lx, lx->line, width + 1,
					     "unindent does not match any outer indentation level");
		for (; lx->nind > j; lx->nind--)
			if (!push(lx, TK_DEDENT, lx->line, width + 1))
				return -1;
		return 0;
	}
}

static int lex_all(struct lexer *lx)
{
	int at_start = 1;

	for (;;) {
		if (at_start && !lx->depth && indentation(lx))
			return -1;
		at_start = 0;
		int c = p2o_lex_peekc(lx, 0);
		if (c < 0)
			break;
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->i++;
		} else if (c == '#') {
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				lx->i++;
		} else if (c == '\n') {
			if (!lx->depth && lx->logical) {
				if (!push(lx, TK_NEWLINE, lx->end_line, lx->end_col))
					return -1;
				lx->logical = 0;
			}
			p2o_lex_newline_at(lx, lx->i++);
			at_start = 1;
		} else if (c == '\\') {
			size_t skip = p2o_lex_peekc(lx, 1) == '\n' ? 1 :
				p2o_lex_peekc(lx, 1) == '\r' && p2o_lex_peekc(lx, 2) == '\n' ? 2 : 0;
			if (!skip)
				return p2o_lex_error(lx, lx->line, p2o_lex_col_of(lx, lx->i),
						     p2o_lex_peekc(lx, 1) < 0 ?
						     "unexpected end of file after '\\'" :
						     "unexpected character after line continuation '\\'");
			lx->i += skip;
			p2o_lex_newline_at(lx, lx->i++);
		} else if (c == '"' || c == '\'') {
			if (p2o_lex_string(lx, lx->i, 0))
				return -1;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && p2o_lex_digit_val(p2o_lex_peekc(lx, 1)) < 10)) {
			if (p2o_lex_number(lx))
				return -1;
		} else if (p2o_lex_is_ident(c)) {
			if (lex_name(lx))
				return -1;
		} else if (lex_op(lx)) {
			return -1;
		}
	}
	if (!lx->depth) {
		if (lx->logical && !push(lx, TK_NEWLINE, lx->end_line, lx->end_col))
			return -1;
		for (; lx->nind; lx->nind--)
			if (!push(lx, TK_DEDENT, lx->end_line, lx->end_col))
				return -1;
	}
	return push(lx, TK_EOF, lx->end_line, lx->end_col) ? 0 : -1;
}

int arch_lex(struct p2o_arena *a, const struct p2o_src *src,
	     struct arch_tokens *out, struct p2o_err *err)
{
	struct lexer lx = {
		.a = a, .err = err, .s = src->text, .n = src->len, .line = 1,
		.fresh = 1, .end_line = 1, .end_col = 1, .out = out,
	};

	out->v = NULL;
	out->n = 0;
	if (lx.n >= 3 && !memcmp(lx.s, "\xef\xbb\xbf", 3)) /* UTF-8 byte order mark */
		lx.i = lx.line_start = 3;
	if (src->len > MAX_SOURCE)
		p2o_lex_error(&lx, 1, 1, "file too large (more than %zu bytes)", MAX_SOURCE);
	else
		lex_all(&lx);
	if (lx.failed || (out->n && out->v[out->n - 1].kind == TK_EOF))
		return 0;
	arch_tokens_free(out);
	if (err && !err->code)
		p2o_errf(err, P2O_ENOMEM, "", "out of memory");
	return -1;
}

void arch_tokens_free(struct arch_tokens *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
