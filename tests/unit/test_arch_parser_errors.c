/*
 * test_arch_parser_errors.c — errors of the .arch lexer and parser
 * (src/arch_lexer.c, src/arch_parser*.c), checked to the byte: where, msg
 * and the caret detail; nesting limits; p2o_arch_error itself.  Helpers in
 * arch_tree.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch_ast.h"
#include "arch_tree.h"

/* ---- errors ---- */

static void test_error_missing_paren(void **state)
{
	(void)state;
	/* reported where the line that should have closed it ends */
	check_err("model M(x: [1, 3]) -> y:\n"
		  "    conv1 = Conv2d(3, 6, 5\n"
		  "    pool = MaxPool2d(2, 2)\n",
		  "t.arch:2:27", "expected ')' to close '(' opened at 2:19, found NEWLINE",
		  "    conv1 = Conv2d(3, 6, 5\n"
		  "                          ^");
	check_err("x = f(g(1,\ny = 2\n", "t.arch:1:11",
		  "expected ')' to close '(' opened at 1:8, found NEWLINE",
		  "x = f(g(1,\n          ^");
	check_err("x = [1, 2,\ny = 3\n", "t.arch:1:11",
		  "expected ']' to close '[' opened at 1:5, found NEWLINE", NULL);
	check_err("x = f(1,\n", "t.arch:1:9",
		  "expected ')' to close '(' opened at 1:6, found end of file",
		  "x = f(1,\n        ^");
	check_err("x = {1: 2", "t.arch:1:10",
		  "expected '}' to close '{' opened at 1:5, found end of file", NULL);
	/* a continuation line that does not continue */
	check_err("block B(a, b\n    x = 1\n", "t.arch:1:13",
		  "expected ',' or ')', found NEWLINE", "block B(a, b\n            ^");
	/* a wrong closer */
	check_err("x = (1]\n", "t.arch:1:7", "expected ',' or ')', found ']'", NULL);
}

static void test_error_syntax(void **state)
{
	(void)state;
	check_err("block B():\n    conv1 = Conv2d(3, 6 5)\n", "t.arch:2:25",
		  "expected ',' or ')', found number 5",
		  "    conv1 = Conv2d(3, 6 5)\n"
		  "                        ^");
	/* `1 +` at the end of a line: at the end of the '+' */
	check_err("block B():\n    x = 1 +\n    y = 2\n", "t.arch:2:12",
		  "expected an expression, found NEWLINE", "    x = 1 +\n           ^");
	check_err("x = 1 +", "t.arch:1:8", "expected an expression, found NEWLINE", NULL);
	check_err("x = f(=)\n", "t.arch:1:7", "expected an argument or ')', found '='", NULL);
	check_err("x = 1 2\n", "t.arch:1:7", "expected NEWLINE, found number 2", NULL);
	check_err("x = a if b\n", "t.arch:1:11",
		  "expected 'else' in the conditional expression, found NEWLINE", NULL);
	check_err("x = a.if\n", "t.arch:1:7",
		  "expected an attribute name after '.', found keyword 'if'", NULL);
	check_err("x = {1, 2}\n", "t.arch:1:7", "expected ':' after a dict key, found ','", NULL);
	check_err("x = (i for i in y)\n", "t.arch:1:8",
		  "generator expressions are not supported: use a list [... for ...]", NULL);
	check_err("x = [i for i.x in y]\n", "t.arch:1:12",
		  "a comprehension's target must be a name or names separated by commas", NULL);
	check_err("x = [i for i in y for j in z]\n", "t.arch:1:19",
		  "expected ']', found keyword 'for'", NULL);
	check_err("x = *a\n", "t.arch:1:5",
		  "a starred expression is only allowed in a call, a list or a tuple", NULL);
	check_err("x = f(a=1, b)\n", "t.arch:1:12",
		  "positional argument follows keyword argument", NULL);
	check_err("x = f(a=1, a=2)\n", "t.arch:1:12", "keyword argument 'a' repeated", NULL);
	check_err("x = f(a=1, *b)\n", "t.arch:1:12",
		  "positional argument follows keyword argument", NULL);
	check_err("x = f(a, **d)\n", "t.arch:1:10",
		  "'**' arguments (dict unpacking) are not supported", NULL);
	check_err("x = 1\nf(x) = 2\n", "t.arch:2:1", "cannot assign to a function call",
		  "f(x) = 2\n^");
	check_err("x = 1\na + 1 = 2\n", "t.arch:2:1", "cannot assign to an expression", NULL);
	check_err("a, *b = c\n", "t.arch:1:4", "starred assignment targets are not supported",
		  NULL);
	check_err("block B():\n    a, b += 1\n", "t.arch:2:5",
		  "cannot assign to a tuple or list here", NULL);
	check_err("block B():\n    for f(i) in x: pass\n", "t.arch:2:9",
		  "cannot assign to a function call", NULL);
	check_err("block B():\n    for i x: pass\n", "t.arch:2:11",
		  "expected 'in' after the for loop's target, found name 'x'", NULL);
	check_err("block B():\n    if x\n        pass\n", "t.arch:2:9",
		  "expected ':' after the condition, found NEWLINE", NULL);
	check_err("block B():\n    else: pass\n", "t.arch:2:5",
		  "expected a statement, found keyword 'else'", NULL);
	check_err("block B():\n    raise X\n", "t.arch:2:5",
		  "'raise' is not supported in .arch files", NULL);
	check_err("block B():\n    class C:\n        pass\n", "t.arch:2:5",
		  "'class' is only allowed at the top level", NULL);
	check_err("block B():\n    if x:\n        block C():\n            pass\n", "t.arch:3:9",
		  "'block' is only allowed at the top level", NULL);
	check_err("block B():\n    if x:\n        forward(x):\n            pass\n", "t.arch:3:9",
		  "forward(...) is only allowed directly in a block, class or model body", NULL);
	check_err("block B():\n    forward(x):\n        return x\n    def forward(self, y):\n"
		  "        return y\n", "t.arch:4:5", "forward is already defined at 2:5", NULL);
	check_err("class A:\n    def __init__(self):\n        pass\n    def __init__(self):\n"
		  "        pass\n", "t.arch:4:5", "__init__ is already defined at 2:5", NULL);
	check_err("block B(a=1, b):\n    pass\n", "t.arch:1:14",
		  "parameter 'b' without a default follows one with a default", NULL);
	check_err("block B(a, a):\n    pass\n", "t.arch:1:12", "duplicate parameter 'a'", NULL);
	check_err("def f(**k, a):\n    pass\n", "t.arch:1:12", "no parameter can follow **k",
		  NULL);
	check_err("def f(*a=1):\n    pass\n", "t.arch:1:9",
		  "a * parameter cannot have a default value", NULL);
	check_err("def (x):\n    pass\n", "t.arch:1:5",
		  "expected a function name after 'def', found '('", NULL);
	check_err("print(1)\n", "t.arch:1:1",
		  "an expression statement is not allowed at the top level (only block, class, "
		  "model, def, import and assignments are)", NULL);
	check_err("if x:\n    pass\n", "t.arch:1:1",
		  "an if statement is not allowed at the top level (only block, class, model, "
		  "def, import and assignments are)", NULL);
	check_err("import\n", "t.arch:1:7", "expected a module name, found NEWLINE", NULL);
	check_err("from x imp y\n", "t.arch:1:8", "expected 'import', found name 'imp'", NULL);
}

static void test_error_model(void **state)
{
	(void)state;
	check_err("model M() -> y:\n    forward(x):\n        return x\n", "t.arch:1:9",
		  "expected a model input such as 'x: [batch_size, 3, 224, 224]', found ')'",
		  "model M() -> y:\n        ^");
	check_err("model M -> y:\n    pass\n", "t.arch:1:9",
		  "expected '(' after the model's name, found '->'", NULL);
	check_err("model M(x) -> y:\n    pass\n", "t.arch:1:10",
		  "expected ':' after the input's name, found ')'", NULL);
	check_err("model M(x: 3) -> y:\n    pass\n", "t.arch:1:12",
		  "expected '[' before the input's dimensions, found number 3", NULL);
	check_err("model M(x: [a, -1]) -> y:\n    pass\n", "t.arch:1:16",
		  "expected a dimension (a number or a name), found '-'", NULL);
	check_err("model M(x: []) -> y:\n    pass\n", "t.arch:1:13",
		  "expected a dimension (a number or a name), found ']'", NULL);
	check_err("model M(x: [1], x: [2]) -> y:\n    pass\n", "t.arch:1:17",
		  "duplicate input 'x'", NULL);
	check_err("model M(x: [1]) -> y\n", "t.arch:1:21",
		  "expected ':' or '=' after the model's outputs, found NEWLINE", NULL);
	check_err("model M(x: [1])\n", "t.arch:1:16",
		  "expected '->', ':' or '=' after the model's inputs, found NEWLINE", NULL);
	check_err("model M(x: [1]) -> 3:\n    pass\n", "t.arch:1:20",
		  "expected an output name, found number 3", NULL);
	check_err("model M(x: [1]) = f(x) g\n", "t.arch:1:24", "expected NEWLINE, found name 'g'",
		  NULL);
}

static void test_error_indentation(void **state)
{
	(void)state;
	check_err("block B():\n    a = 1\n      b = 2\n", "t.arch:3:7", "unexpected indent",
		  "      b = 2\n      ^");
	check_err("  x = 1\n", "t.arch:1:3", "unexpected indent", NULL);
	check_err("block B():\n    if a:\n        b = 1\n      c = 2\n", "t.arch:4:7",
		  "unindent does not match any outer indentation level", "      c = 2\n      ^");
	check_err("block B():\nx = 1\n", "t.arch:2:1",
		  "expected an indented block after 'block' at 1:1, found name 'x'", "x = 1\n^");
	check_err("block B():\n    if x:\n    y = 1\n", "t.arch:3:5",
		  "expected an indented block after 'if' at 2:5, found name 'y'", NULL);
	check_err("block B():\n    for i in x:\n", "t.arch:2:16",
		  "expected an indented block after 'for' at 2:5, found DEDENT", NULL);
	check_err("def f():\n", "t.arch:1:9",
		  "expected an indented block after 'def' at 1:1, found end of file", NULL);
}

static void test_error_lexical(void **state)
{
	(void)state;
	check_err("block B():\n\ta = 1\n", "t.arch:2:1", "tab in indentation: use spaces",
		  "\ta = 1\n^");
	check_err("block B():\n    a = 1\n  \t  b = 2\n", "t.arch:3:3",
		  "tab in indentation: use spaces", "  \t  b = 2\n  ^");
	check_err("x = 'abc\n", "t.arch:1:5",
		  "unterminated string: expected a closing \"'\" before the end of the line",
		  "x = 'abc\n    ^");
	check_err("x = \"abc\\\"\n", "t.arch:1:5",
		  "unterminated string: expected a closing '\"' before the end of the line", NULL);
	check_err("x = 1\ny = \"\"\"abc\n\n", "t.arch:2:5",
		  "unterminated string: expected a closing '\"\"\"' before the end of the file",
		  NULL);
	check_err("x = '\\u1234'\n", "t.arch:1:6", "unsupported escape sequence '\\u'", NULL);
	check_err("x = '\\x4'\n", "t.arch:1:6", "invalid escape '\\x': expected two hex digits",
		  NULL);
	check_err("x = '\\x00'\n", "t.arch:1:6", "NUL character in a string", NULL);
	check_err("x = f'{a}'\n", "t.arch:1:5", "f-strings are not supported", NULL);
	check_err("x = b'a'\n", "t.arch:1:5", "bytes literals are not supported", NULL);
	check_err("x = 9223372036854775808\n", "t.arch:1:5",
		  "integer 9223372036854775808 is too large (the limit is 9223372036854775807)",
		  NULL);
	check_err("x = 0x8000000000000000\n", "t.arch:1:5",
		  "integer 0x8000000000000000 is too large (the limit is 9223372036854775807)",
		  NULL);
	check_err("x = 3abc\n", "t.arch:1:5", "invalid number literal '3a'", NULL);
	check_err("x = 1__0\n", "t.arch:1:5", "invalid number literal '1_'", NULL);
	check_err("x = 0x\n", "t.arch:1:5", "invalid number literal '0x'", NULL);
	check_err("x = 007\n", "t.arch:1:5",
		  "invalid number literal '007': leading zeros are not allowed (use 0o for octal)",
		  NULL);
	check_err("x = a $ b\n", "t.arch:1:7", "unexpected character '$'", NULL);
	check_err("x = a ! b\n", "t.arch:1:7", "unexpected character '!'", NULL);
	check_err("x = \xc3\xa9\n", "t.arch:1:5",
		  "unexpected byte 0xc3: non-ASCII characters are only allowed in strings and "
		  "comments", "x = \xc3\xa9\n    ^");
	/* columns count bytes; the caret counts characters */
	check_err("x = 'caf\xc3\xa9' + $\n", "t.arch:1:15", "unexpected character '$'",
		  "x = 'caf\xc3\xa9' + $\n             ^");
	check_err("x = a\\ b\n", "t.arch:1:6",
		  "unexpected character after line continuation '\\'", NULL);
	check_err("x = a \\", "t.arch:1:7", "unexpected end of file after '\\'", NULL);
	/* the first error in the file wins, lexical or not */
	check_err("block B():\n    x = (1 +)\n    y = 'abc\n", "t.arch:2:13",
		  "expected an expression, found ')'", NULL);
	check_err("block B():\n    x = 'abc\n    y = (1 +)\n", "t.arch:2:9",
		  "unterminated string: expected a closing \"'\" before the end of the line", NULL);
}

/* text = prefix + n copies of unit + suffix */
static char *repeat(const char *prefix, const char *unit, int n, const char *suffix)
{
	size_t lp = strlen(prefix), lu = strlen(unit), ls = strlen(suffix);
	char *s = malloc(lp + lu * (size_t)n + ls + 1), *q = s;

	assert_non_null(s);
	memcpy(q, prefix, lp);
	q += lp;
	for (int i = 0; i < n; i++, q += lu)
		memcpy(q, unit, lu);
	memcpy(q, suffix, ls + 1);
	return s;
}

static void check_deep(const char *prefix, const char *unit, int n, const char *suffix,
		       int line, int col)
{
	char *text = repeat(prefix, unit, n, suffix), where[64];
	struct p2o_err err = {0};

	snprintf(where, sizeof where, "t.arch:%d:%d", line, col);
	assert_null(p2o_arch_parse(&arena, source(text), &err));
	assert_int_equal(err.code, P2O_EARCH);
	assert_string_equal(err.where, where);
	assert_string_equal(err.msg, "nesting too deep (more than 200 levels)");
	/* a long line is shown as a window around the column */
	assert_true(strlen(err.detail) < 600);
	assert_int_equal(err.detail[strlen(err.detail) - 1], '^');
	free(text);
}

static void test_error_deep_nesting(void **state)
{
	char *text;

	(void)state;
	/* the 201st '(' is too deep */
	check_deep("x = ", "(", 10000, "\n", 1, 205);
	check_deep("x = ", "[", 10000, "", 1, 205);
	check_deep("x = ", "{1: ", 10000, "", 1, 4 + 200 * 4 + 1);
	check_deep("x = ", "-", 10000, "1\n", 1, 205);
	check_deep("x = ", "not ", 10000, "a\n", 1, 805);
	check_deep("x = ", "lambda: ", 10000, "a\n", 1, 4 + 200 * 8 + 1);
	check_deep("x = ", "2 ** ", 10000, "2\n", 1, 4 + 200 * 5 + 3);
	check_deep("x = ", "1 if 1 else ", 10000, "2\n", 1, 4 + 200 * 12 + 3);
	/* long left-leaning chains count too: the tree is as deep */
	check_deep("x = 1", " + 1", 10000, "\n", 1, 6 + 200 * 4 + 1);
	check_deep("x = a", ".b", 10000, "\n", 1, 6 + 200 * 2);
	check_deep("x = f", "()", 10000, "\n", 1, 6 + 200 * 2);
	check_deep("x = f", "[0]", 10000, "\n", 1, 6 + 200 * 3);
	check_deep("x = f(", "g(", 10000, "\n", 1, 6 + 200 * 2);

	/* 200 levels are fine; flat lists of any length too */
	text = repeat("x = ", "(", 200, "1");
	char *closed = repeat(text, ")", 200, "\n");
	parse_ok(closed);
	free(text);
	free(closed);
	text = repeat("x = [", "1, ", 20000, "1]\n");
	parse_ok(text);
	free(text);
	text = repeat("x = 1", " < 1", 20000, "\n");
	parse_ok(text);
	free(text);
	text = repeat("x = 1", " or 1", 20000, "\n");
	parse_ok(text);
	free(text);
	text = repeat("x = ", "'a' ", 20000, "\n");
	assert_int_equal(strlen(parse_ok(text)->kids[0]->kids[1]->s), 20000);
	free(text);

	/* nested blocks: by indentation, and by elif chains */
	{
		size_t cap = 2000 * 1100, len = 0;
		char *s = malloc(cap);
		assert_non_null(s);
		len += (size_t)snprintf(s + len, cap - len, "block B():\n");
		for (int i = 1; i <= 1000; i++)
			len += (size_t)snprintf(s + len, cap - len, "%*sif a:\n", i, "");
		snprintf(s + len, cap - len, "%*spass\n", 1001, "");
		struct p2o_err err = {0};
		assert_null(p2o_arch_parse(&arena, source(s), &err));
		assert_string_equal(err.msg, "nesting too deep (more than 200 levels)");
		assert_string_equal(err.where, "t.arch:202:202");
		free(s);
	}
	text = repeat("block B():\n    if a:\n        pass\n", "    elif b:\n        pass\n", 1000, "");
	check_err(text, "t.arch:401:9", "nesting too deep (more than 200 levels)", NULL);
	free(text);
	text = repeat("block B():\n    if a:\n        pass\n", "    elif b:\n        pass\n", 150,
		      "    else:\n        pass\n");
	parse_ok(text);
	free(text);
}

static void test_arch_error(void **state)
{
	struct p2o_src src = {"f.arch", "ab\n\tcd\r\nlast", 12};
	struct p2o_err err = {0};
	char *line;

	(void)state;
	assert_int_equal(p2o_arch_error(&err, (struct p2o_pos){&src, 2, 3}, "bad %s", "thing"), -1);
	assert_int_equal(err.code, P2O_EARCH);
	assert_string_equal(err.where, "f.arch:2:3");
	assert_string_equal(err.msg, "bad thing");
	assert_string_equal(err.detail, "\tcd\n\t ^");
	/* the first error wins */
	assert_int_equal(p2o_arch_error(&err, (struct p2o_pos){&src, 1, 1}, "other"), -1);
	assert_string_equal(err.msg, "bad thing");
	/* the last line without a newline; a column past its end */
	p2o_err_clear(&err);
	p2o_arch_error(&err, (struct p2o_pos){&src, 3, 9}, "x");
	assert_string_equal(err.detail, "last\n    ^");
	/* no such line, no source */
	p2o_err_clear(&err);
	p2o_arch_error(&err, (struct p2o_pos){&src, 7, 1}, "x");
	assert_string_equal(err.where, "f.arch:7:1");
	assert_string_equal(err.detail, "");
	p2o_err_clear(&err);
	p2o_arch_error(&err, (struct p2o_pos){NULL, 1, 1}, "x");
	assert_string_equal(err.where, "<arch>:1:1");
	/* a very long line: a window around the column, caret aligned */
	line = repeat("", "abcdefghij", 100, "");
	src.text = line;
	src.len = strlen(line);
	p2o_err_clear(&err);
	p2o_arch_error(&err, (struct p2o_pos){&src, 1, 501}, "x");
	char *nl = strchr(err.detail, '\n');
	assert_non_null(nl);
	assert_memory_equal(err.detail, "...", 3);
	assert_int_equal(nl[-1], '.');
	assert_int_equal(err.detail[strlen(err.detail) - 1], '^');
	assert_int_equal(err.detail[strlen(nl + 1) - 1], 'a'); /* char above the caret */
	free(line);
	/* control characters are shown as '?' */
	src.text = "a\x01" "b";
	src.len = 3;
	p2o_err_clear(&err);
	p2o_arch_error(&err, (struct p2o_pos){&src, 1, 3}, "x");
	assert_string_equal(err.detail, "a?b\n  ^");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_error_missing_paren, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_indentation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_lexical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_deep_nesting, setup, teardown),
		cmocka_unit_test(test_arch_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
