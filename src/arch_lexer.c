/* arch_lexer.c — see arch_lexer.h. */
#include "arch_lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INDENT 256            /* the parser stops at 200 anyway */
#define MAX_SOURCE ((size_t)1 << 30) /* keeps lines and columns in an int */

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
	int indents[MAX_INDENT];
	int nind;
	struct arch_tokens *out;
	size_t cap;
	int failed;       /* a TK_ERROR was emitted */
};

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

static int col_of(const struct lexer *lx, size_t off)
{
	return (int)(off - lx->line_start) + 1;
}

static int peekc(const struct lexer *lx, size_t k)
{
	return lx->i + k < lx->n ? (unsigned char)lx->s[lx->i + k] : -1;
}

static void newline_at(struct lexer *lx, size_t off)
{
	lx->line++;
	lx->line_start = off + 1;
	lx->fresh = 1;
}

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
static struct arch_token *emit(struct lexer *lx, enum arch_tok_kind kind,
			       size_t off, int line, int col)
{
	struct arch_token *t = push(lx, kind, line, col);

	if (!t)
		return NULL;
	t->off = off;
	t->len = lx->i - off;
	t->end_line = lx->line;
	t->end_col = col_of(lx, lx->i);
	t->first_on_line = lx->fresh;
	lx->fresh = 0;
	lx->logical = 1;
	lx->end_line = t->end_line;
	lx->end_col = t->end_col;
	return t;
}

/* End the stream with a TK_ERROR.  Returns -1 (stop lexing). */
static int lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
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

static int is_ident(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (c >= '0' && c <= '9');
}

static int digit_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Digits of base with single underscores between them; returns the count. */
static int scan_digits(struct lexer *lx, int base)
{
	int nd = 0;

	for (;;) {
		int c = peekc(lx, 0);
		if (c == '_' && nd && digit_val(peekc(lx, 1)) < base) {
			lx->i++;
			continue;
		}
		if (digit_val(c) >= base)
			return nd;
		lx->i++;
		nd++;
	}
}

static int lex_number(struct lexer *lx)
{
	size_t start = lx->i;
	int col = col_of(lx, start), base = 10, isfloat = 0, nd;
	struct arch_token *t;

	if (peekc(lx, 0) == '0' && peekc(lx, 1) > 0 &&
	    strchr("xXoObB", peekc(lx, 1))) {
		int c = peekc(lx, 1) | 0x20;
		base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
		lx->i += 2;
		nd = scan_digits(lx, base);
	} else {
		nd = scan_digits(lx, 10);
		if (peekc(lx, 0) == '.') {
			lx->i++;
			isfloat = 1;
			nd += scan_digits(lx, 10);
		}
		if (nd && (peekc(lx, 0) | 0x20) == 'e' &&
		    (digit_val(peekc(lx, 1)) < 10 ||
		     ((peekc(lx, 1) == '+' || peekc(lx, 1) == '-') &&
		      digit_val(peekc(lx, 2)) < 10))) {
			lx->i += peekc(lx, 1) < '0' ? 2 : 1;
			isfloat = 1;
			scan_digits(lx, 10);
		}
	}
	if (!nd || is_ident(peekc(lx, 0)))
		return lex_error(lx, lx->line, col, "invalid number literal '%.*s'",
				 (int)(lx->i - start + is_ident(peekc(lx, 0))), lx->s + start);
	size_t len = lx->i - start;
	if (isfloat) {
		char *buf = malloc(len + 1), *q = buf;
		if (!buf) {
			p2o_errf(lx->err, P2O_ENOMEM, "", "out of memory");
			return -1;
		}
		for (size_t k = start; k < lx->i; k++)
			if (lx->s[k] != '_')
				*q++ = lx->s[k];
		*q = 0;
		double f = strtod(buf, NULL);
		free(buf);
		if (!(t = emit(lx, TK_FLOAT, start, lx->line, col)))
			return -1;
		t->f = f;
		return 0;
	}
	uint64_t v = 0;
	int nonzero = 0;
	for (size_t k = start + (base == 10 ? 0 : 2); k < lx->i; k++) {
		int d = digit_val((unsigned char)lx->s[k]);
		if (lx->s[k] == '_')
			continue;
		nonzero |= d;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
			return lex_error(lx, lx->line, col,
					 "integer %.*s is too large (the limit is %lld)",
					 (int)len, lx->s + start, (long long)INT64_MAX);
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (base == 10 && lx->s[start] == '0' && nonzero)
		return lex_error(lx, lx->line, col,
				 "invalid number literal '%.*s': leading zeros are not allowed "
				 "(use 0o for octal)", (int)len, lx->s + start);
	if (!(t = emit(lx, TK_INT, start, lx->line, col)))
		return -1;
	t->i = (int64_t)v;
	return 0;
}

static int simple_escape(char x)
{
	switch (x) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'a': return '\a';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'v': return '\v';
	case '\\': case '\'': case '"': return x;
	default: return -1;
	}
}

/* Decode a string body [b, e) into the arena; updates line bookkeeping. */
static int decode_string(struct lexer *lx, size_t b, size_t e, int raw,
			 const char **res)
{
	char *out = p2o_alloc(lx->a, e - b + 1), *q = out;

	if (!out) {
		p2o_errf(lx->err, P2O_ENOMEM, "", "out of memory");
		return -1;
	}
	for (size_t k = b; k < e; k++) {
		char c = lx->s[k];
		if (c == '\n')
			newline_at(lx, k);
		if (c == 0)
			return lex_error(lx, lx->line, col_of(lx, k), "NUL byte in a string");
		if (c == '\r' && k + 1 < e && lx->s[k + 1] == '\n')
			continue;
		if (c != '\\') {
			*q++ = c;
			continue;
		}
		char x = lx->s[k + 1]; /* k + 1 < e: a string never ends in '\' */
		if (raw) {
			*q++ = c;
			continue;
		}
		int simple = simple_escape(x);
		if (simple >= 0) {
			*q++ = (char)simple;
			k++;
		} else if (x == '\n' || (x == '\r' && k + 2 < e && lx->s[k + 2] == '\n')) {
			k += x == '\r' ? 2 : 1;
			newline_at(lx, k);
		} else if (x == 'x') {
			int hi = k + 2 < e ? digit_val((unsigned char)lx->s[k + 2]) : 99;
			int lo = k + 3 < e ? digit_val((unsigned char)lx->s[k + 3]) : 99;
			if (hi > 15 || lo > 15)
				return lex_error(lx, lx->line, col_of(lx, k),
						 "invalid escape '\\x': expected two hex digits");
			if (!(hi | lo))
				return lex_error(lx, lx->line, col_of(lx, k), "NUL character in a string");
			*q++ = (char)(hi * 16 + lo);
			k += 3;
		} else if ((x >= '0' && x <= '7') || x == 'u' || x == 'U' || x == 'N') {
			return lex_error(lx, lx->line, col_of(lx, k),
					 "unsupported escape sequence '\\%c'", x);
		} else {
			*q++ = c; /* unknown escapes stay as written, as in Python */
		}
	}
	*q = 0;
	*res = out;
	return 0;
}

static int lex_string(struct lexer *lx, size_t start, int raw)
{
	int line = lx->line, col = col_of(lx, start);
	char qc = lx->s[lx->i];
	int triple = peekc(lx, 1) == qc && peekc(lx, 2) == qc;
	size_t b = lx->i + (triple ? 3 : 1), k = b, e;
	struct arch_token *t;

	for (;; k++) {
		if (k >= lx->n || (!triple && lx->s[k] == '\n') ||
		    (!triple && lx->s[k] == '\r' && k + 1 < lx->n && lx->s[k + 1] == '\n'))
			return lex_error(lx, line, col,
					 "unterminated string: expected a closing %s before the end of the %s",
					 triple ? (qc == '"' ? "'\"\"\"'" : "\"'''\"") :
					 (qc == '"' ? "'\"'" : "\"'\""), triple ? "file" : "line");
		if (lx->s[k] == '\\' && k + 1 < lx->n) {
			k += lx->s[k + 1] == '\r' && k + 2 < lx->n && lx->s[k + 2] == '\n' ? 2 : 1;
			continue;
		}
		if (lx->s[k] == qc && (!triple || (k + 2 < lx->n && lx->s[k + 1] == qc &&
						    lx->s[k + 2] == qc)))
			break;
	}
	e = k;
	int fresh = lx->fresh;
	const char *text = NULL;
	if (decode_string(lx, b, e, raw, &text))
		return -1;
	lx->fresh = fresh;
	lx->i = e + (triple ? 3 : 1);
	if (!(t = emit(lx, TK_STRING, start, line, col)))
		return -1;
	t->s = text;
	return 0;
}

static int lex_name(struct lexer *lx)
{
	size_t start = lx->i;
	int col = col_of(lx, start);
	struct arch_token *t;

	while (is_ident(peekc(lx, 0)))
		lx->i++;
	size_t len = lx->i - start;
	int q = peekc(lx, 0);
	if ((q == '"' || q == '\'') && len <= 2) {
		char pre[3] = {0};
		for (size_t k = 0; k < len; k++)
			pre[k] = (char)(lx->s[start + k] | 0x20);
		if (!strcmp(pre, "r") || !strcmp(pre, "u"))
			return lex_string(lx, start, pre[0] == 'r');
		if (strchr(pre, 'f') && strspn(pre, "rf") == len)
			return lex_error(lx, lx->line, col, "f-strings are not supported");
		if (strchr(pre, 'b') && strspn(pre, "rb") == len)
			return lex_error(lx, lx->line, col, "bytes literals are not supported");
	}
	if (!(t = emit(lx, TK_NAME, start, lx->line, col)))
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
	int col = col_of(lx, start), c = peekc(lx, 0);
	struct arch_token *t;

	for (size_t k = 0; k < P2O_ARRAY_LEN(operators); k++) {
		size_t len = strlen(operators[k]);
		if (len > rest || memcmp(lx->s + start, operators[k], len))
			continue;
		lx->i += len;
		if (!(t = emit(lx, TK_OP, start, lx->line, col)))
			return -1;
		t->s = operators[k];
		if (len == 1 && strchr("([{", c))
			lx->depth++;
		else if (len == 1 && strchr(")]}", c) && lx->depth)
			lx->depth--;
		return 0;
	}
	if (c >= 0x80)
		return lex_error(lx, lx->line, col, "unexpected byte 0x%02x: non-ASCII "
				 "characters are only allowed in strings and comments", c);
	if (c < 0x20 || c == 0x7f)
		return lex_error(lx, lx->line, col, "unexpected control character 0x%02x", c);
	return lex_error(lx, lx->line, col, "unexpected character '%c'", c);
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
			newline_at(lx, k);
			lx->i = k + 1;
			continue;
		}
		lx->i = k;
		if (tab != SIZE_MAX)
			return lex_error(lx, lx->line, col_of(lx, tab),
					 "tab in indentation: use spaces");
		int width = (int)(k - lx->line_start);
		int top = lx->nind ? lx->indents[lx->nind - 1] : 0;
		if (width > top) {
			if (lx->nind == MAX_INDENT)
				return lex_error(lx, lx->line, width + 1,
						 "too many indentation levels");
			lx->indents[lx->nind++] = width;
			return push(lx, TK_INDENT, lx->line, width + 1) ? 0 : -1;
		}
		int j = lx->nind;
		while (j > 0 && lx->indents[j - 1] > width)
			j--;
		if ((j ? lx->indents[j - 1] : 0) != width)
			return lex_error(lx, lx->line, width + 1,
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
		int c = peekc(lx, 0);
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
			newline_at(lx, lx->i++);
			at_start = 1;
		} else if (c == '\\') {
			size_t skip = peekc(lx, 1) == '\n' ? 1 :
				peekc(lx, 1) == '\r' && peekc(lx, 2) == '\n' ? 2 : 0;
			if (!skip)
				return lex_error(lx, lx->line, col_of(lx, lx->i),
						 peekc(lx, 1) < 0 ? "unexpected end of file after '\\'" :
						 "unexpected character after line continuation '\\'");
			lx->i += skip;
			newline_at(lx, lx->i++);
		} else if (c == '"' || c == '\'') {
			if (lex_string(lx, lx->i, 0))
				return -1;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && digit_val(peekc(lx, 1)) < 10)) {
			if (lex_number(lx))
				return -1;
		} else if (is_ident(c)) {
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
		lex_error(&lx, 1, 1, "file too large (more than %zu bytes)", MAX_SOURCE);
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
