/* arch_lexer_literals.c — number and string literals of the .arch lexer
 * (see arch_lexer.h; the rest of the lexer is in arch_lexer.c). */
#include "arch_lexer.h"

#include <stdlib.h>
#include <string.h>

/* Digits of base with single underscores between them; returns the count. */
static int scan_digits(struct lexer *lx, int base)
{
	int nd = 0;

	for (;;) {
		int c = p2o_lex_peekc(lx, 0);
		if (c == '_' && nd && p2o_lex_digit_val(p2o_lex_peekc(lx, 1)) < base) {
			lx->i++;
			continue;
		}
		if (p2o_lex_digit_val(c) >= base)
			return nd;
		lx->i++;
		nd++;
	}
}

int p2o_lex_number(struct lexer *lx)
{
	size_t start = lx->i;
	int col = p2o_lex_col_of(lx, start), base = 10, isfloat = 0, nd;
	struct arch_token *t;

	if (p2o_lex_peekc(lx, 0) == '0' && p2o_lex_peekc(lx, 1) > 0 &&
	    strchr("xXoObB", p2o_lex_peekc(lx, 1))) {
		int c = p2o_lex_peekc(lx, 1) | 0x20;
		base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
		lx->i += 2;
		nd = scan_digits(lx, base);
	} else {
		nd = scan_digits(lx, 10);
		if (p2o_lex_peekc(lx, 0) == '.') {
			lx->i++;
			isfloat = 1;
			nd += scan_digits(lx, 10);
		}
		if (nd && (p2o_lex_peekc(lx, 0) | 0x20) == 'e' &&
		    (p2o_lex_digit_val(p2o_lex_peekc(lx, 1)) < 10 ||
		     ((p2o_lex_peekc(lx, 1) == '+' || p2o_lex_peekc(lx, 1) == '-') &&
		      p2o_lex_digit_val(p2o_lex_peekc(lx, 2)) < 10))) {
			lx->i += p2o_lex_peekc(lx, 1) < '0' ? 2 : 1;
			isfloat = 1;
			scan_digits(lx, 10);
		}
	}
	if (!nd || p2o_lex_is_ident(p2o_lex_peekc(lx, 0)))
		return p2o_lex_error(lx, lx->line, col, "invalid number literal '%.*s'",
				     (int)(lx->i - start + p2o_lex_is_ident(p2o_lex_peekc(lx, 0))),
				     lx->s + start);
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
		if (!(t = p2o_lex_emit(lx, TK_FLOAT, start, lx->line, col)))
			return -1;
		t->f = f;
		return 0;
	}
	uint64_t v = 0;
	int nonzero = 0;
	for (size_t k = start + (base == 10 ? 0 : 2); k < lx->i; k++) {
		int d = p2o_lex_digit_val((unsigned char)lx->s[k]);
		if (lx->s[k] == '_')
			continue;
		nonzero |= d;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
			return p2o_lex_error(lx, lx->line, col,
					     "integer %.*s is too large (the limit is %lld)",
					     (int)len, lx->s + start, (long long)INT64_MAX);
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (base == 10 && lx->s[start] == '0' && nonzero)
		return p2o_lex_error(lx, lx->line, col,
				     "invalid number literal '%.*s': leading zeros are not allowed "
				     "(use 0o for octal)", (int)len, lx->s + start);
	if (!(t = p2o_lex_emit(lx, TK_INT, start, lx->line, col)))
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
			p2o_lex_newline_at(lx, k);
		if (c == 0)
			return p2o_lex_error(lx, lx->line, p2o_lex_col_of(lx, k), "NUL byte in a string");
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
			p2o_lex_newline_at(lx, k);
		} else if (x == 'x') {
			int hi = k + 2 < e ? p2o_lex_digit_val((unsigned char)lx->s[k + 2]) : 99;
			int lo = k + 3 < e ? p2o_lex_digit_val((unsigned char)lx->s[k + 3]) : 99;
			if (hi > 15 || lo > 15)
				return p2o_lex_error(lx, lx->line, p2o_lex_col_of(lx, k),
						     "invalid escape '\\x': expected two hex digits");
			if (!(hi | lo))
				return p2o_lex_error(lx, lx->line, p2o_lex_col_of(lx, k),
						     "NUL character in a string");
			*q++ = (char)(hi * 16 + lo);
			k += 3;
		} else if ((x >= '0' && x <= '7') || x == 'u' || x == 'U' || x == 'N') {
			return p2o_lex_error(lx, lx->line, p2o_lex_col_of(lx, k),
					     "unsupported escape sequence '\\%c'", x);
		} else {
			*q++ = c; /* unknown escapes stay as written, as in Python */
		}
	}
	*q = 0;
	*res = out;
	return 0;
}

int p2o_lex_string(struct lexer *lx, size_t start, int raw)
{
	int line = lx->line, col = p2o_lex_col_of(lx, start);
	char qc = lx->s[lx->i];
	int triple = p2o_lex_peekc(lx, 1) == qc && p2o_lex_peekc(lx, 2) == qc;
	size_t b = lx->i + (triple ? 3 : 1), k = b, e;
	struct arch_token *t;

	for (;; k++) {
		if (k >= lx->n || (!triple && lx->s[k] == '\n') ||
		    (!triple && lx->s[k] == '\r' && k + 1 < lx->n && lx->s[k + 1] == '\n'))
			return p2o_lex_error(lx, line, col,
					     "unterminated string: expected a closing %s "
					     "before the end of the %s",
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
	if (!(t = p2o_lex_emit(lx, TK_STRING, start, line, col)))
		return -1;
	t->s = text;
	return 0;
}
