/*
 * test_arch_parser.c — the .arch lexer and parser (src/arch_lexer.c,
 * src/arch_parser*.c).  Expected trees are written by hand from the grammar
 * in docs/arch-language.md, as S-expressions (see dump() below); errors are
 * checked to the byte (where, msg and the caret detail); and prefixes and
 * mutations of a valid file must parse or fail cleanly, never crash.
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

static struct p2o_arena arena;

static int setup(void **state)
{
	(void)state;
	p2o_arena_init(&arena);
	return 0;
}

static int teardown(void **state)
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

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
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

static void dump(struct sbuf *b, const struct p2o_ast *e);

static void dump_kids(struct sbuf *b, const struct p2o_ast *e, size_t from)
{
	for (size_t i = from; i < e->nkids; i++) {
		put(b, " ");
		dump(b, e->kids[i]);
	}
}

static void dump_params(struct sbuf *b, const struct p2o_param *ps, size_t n)
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

static void dump_str(struct sbuf *b, const char *s)
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

static void dump(struct sbuf *b, const struct p2o_ast *e)
{
	static const char *const simple[] = {
		[AST_TUPLE] = "tuple", [AST_LIST] = "list", [AST_DICT] = "dict",
		[AST_LISTCOMP] = "listcomp", [AST_CALL] = "call", [AST_STARRED] = "*",
		[AST_INDEX] = "[]", [AST_SLICE] = "slice", [AST_IFEXP] = "ifexp",
		[AST_EXPR] = "expr", [AST_IF] = "if", [AST_FOR] = "for", [AST_WHILE] = "while",
		[AST_RETURN] = "return", [AST_ASSERT] = "assert", [AST_SUITE] = "suite",
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

static char *dump_str_of(const struct p2o_ast *e)
{
	struct sbuf b = {0};
	put(&b, "%s", "");
	dump(&b, e);
	return b.p;
}

/* ---- the layout contract of arch_ast.h, checked on every tree ---- */

static void validate(const struct p2o_ast *e);

static void validate_pos(struct p2o_pos pos)
{
	assert_non_null(pos.src);
	assert_true(pos.line >= 1);
	assert_true(pos.col >= 1);
}

static void validate_params(const struct p2o_param *ps, size_t n)
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
static void kids(const struct p2o_ast *e, size_t nk, size_t required)
{
	assert_int_equal(e->nkids, nk);
	for (size_t i = 0; i < nk; i++) {
		if (i < required)
			assert_non_null(e->kids[i]);
		if (e->kids[i])
			validate(e->kids[i]);
	}
}

static void all_kids(const struct p2o_ast *e)
{
	kids(e, e->nkids, e->nkids);
}

static void validate(const struct p2o_ast *e)
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
	case AST_TUPLE: case AST_LIST: case AST_SUITE:
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

static const struct p2o_src *source(const char *text)
{
	struct p2o_src *src = p2o_alloc(&arena, sizeof *src);
	assert_non_null(src);
	src->file = "t.arch";
	src->text = p2o_strdup(&arena, text);
	src->len = strlen(text);
	return src;
}

static struct p2o_ast *parse_ok(const char *text)
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

static void check_err(const char *text, const char *where, const char *msg,
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

static void check_dump(const struct p2o_ast *e, const char *want)
{
	char *got = dump_str_of(e);
	assert_string_equal(got, want);
	free(got);
}

/* The tree of the value in `r = <expr>`. */
static void check_expr(const char *expr, const char *want)
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

static void check_suite(const struct p2o_ast *suite, const char *const *want, size_t n)
{
	assert_int_equal(suite->kind, AST_SUITE);
	for (size_t i = 0; i < n && i < suite->nkids; i++)
		check_dump(suite->kids[i], want[i]);
	assert_int_equal(suite->nkids, n);
}

static void check_params(const struct p2o_ast *e, const char *want)
{
	struct sbuf b = {0};

	dump_params(&b, e->params, e->nparams);
	assert_string_equal(b.p, want);
	free(b.p);
}

static void check_pos(const struct p2o_ast *e, int line, int col)
{
	assert_int_equal(e->pos.line, line);
	assert_int_equal(e->pos.col, col);
}

/* ---- trees ---- */

static const char lenet[] =
	"# samples/lenet.arch \xe2\x80\x94 the seed's TheModelClass\n"
	"model TheModelClass(input: [batch_size, 3, 32, 32]) -> output:\n"
	"    conv1 = Conv2d(3, 6, 5)\n"
	"    pool  = MaxPool2d(2, 2)\n"
	"    conv2 = Conv2d(6, 16, 5)\n"
	"    fc1   = Linear(16 * 5 * 5, 120)\n"
	"    fc2   = Linear(120, 84)\n"
	"    fc3   = Linear(84, 10)\n"
	"    forward(x):\n"
	"        x = pool(relu(conv1(x)))\n"
	"        x = pool(relu(conv2(x)))\n"
	"        x = x.view(-1, 16 * 5 * 5)\n"
	"        x = relu(fc1(x))\n"
	"        x = relu(fc2(x))\n"
	"        return fc3(x)\n";

static void test_lenet(void **state)
{
	static const char *const init[] = {
		"(= conv1 (call Conv2d 3 6 5))",
		"(= pool (call MaxPool2d 2 2))",
		"(= conv2 (call Conv2d 6 16 5))",
		"(= fc1 (call Linear (* (* 16 5) 5) 120))",
		"(= fc2 (call Linear 120 84))",
		"(= fc3 (call Linear 84 10))",
	};
	static const char *const fwd[] = {
		"(= x (call pool (call relu (call conv1 x))))",
		"(= x (call pool (call relu (call conv2 x))))",
		"(= x (call (. x view) (- 1) (* (* 16 5) 5)))",
		"(= x (call relu (call fc1 x)))",
		"(= x (call relu (call fc2 x)))",
		"(return (call fc3 x))",
	};
	struct p2o_ast *m = parse_ok(lenet), *model, *body, *f, *view;
	const struct p2o_input_decl *in;

	(void)state;
	assert_int_equal(m->nkids, 1);
	model = m->kids[0];
	assert_int_equal(model->kind, AST_MODEL);
	assert_string_equal(model->s, "TheModelClass");
	check_pos(model, 2, 1);
	assert_int_equal(model->ninputs, 1);
	in = &model->inputs[0];
	assert_string_equal(in->name, "input");
	assert_null(in->dtype);
	assert_int_equal(in->pos.line, 2);
	assert_int_equal(in->pos.col, 21);
	assert_int_equal(in->ndims, 4);
	assert_int_equal(in->dims[0]->kind, AST_NAME);
	assert_string_equal(in->dims[0]->s, "batch_size");
	check_pos(in->dims[0], 2, 29);
	for (int i = 1; i < 4; i++) {
		assert_int_equal(in->dims[i]->kind, AST_INT);
		assert_int_equal(in->dims[i]->i, i == 1 ? 3 : 32);
	}
	assert_int_equal(model->noutputs, 1);
	assert_string_equal(model->outputs[0], "output");
	assert_int_equal(model->nkids, 1);
	body = model->kids[0];
	assert_int_equal(body->kind, AST_SUITE);
	assert_int_equal(body->nkids, 7);
	for (int i = 0; i < 6; i++) {
		check_dump(body->kids[i], init[i]);
		check_pos(body->kids[i], 3 + i, 5);
	}
	f = body->kids[6];
	assert_int_equal(f->kind, AST_FORWARD);
	check_pos(f, 9, 5);
	assert_int_equal(f->nparams, 1);
	assert_string_equal(f->params[0].name, "x");
	assert_null(f->params[0].deflt);
	assert_int_equal(f->params[0].star, 0);
	assert_int_equal(f->params[0].pos.col, 13);
	check_suite(f->kids[0], fwd, 6);

	/* x = x.view(-1, 16 * 5 * 5): CALL and ATTR at the object, UNOP at
	 * '-', BINOPs at their left operand */
	view = f->kids[0]->kids[2]->kids[1];
	check_pos(f->kids[0]->kids[2], 12, 9);
	check_pos(view, 12, 13);
	check_pos(view->kids[0], 12, 13);
	check_pos(view->kids[0]->kids[0], 12, 13);
	check_pos(view->kids[1], 12, 20);
	check_pos(view->kids[1]->kids[0], 12, 21);
	check_pos(view->kids[2], 12, 24);
	check_pos(view->kids[2]->kids[0], 12, 24);
	check_pos(view->kids[2]->kids[1], 12, 33);
	check_pos(f->kids[0]->kids[5], 15, 9);
	assert_string_equal(view->pos.src->file, "t.arch");
}

static void test_precedence(void **state)
{
	(void)state;
	check_expr("a + b * c ** -d", "(+ a (* b (** c (- d))))");
	check_expr("not a == b and c or d", "(or (and (not (cmp a == b)) c) d)");
	check_expr("-x ** 2", "(- (** x 2))");
	check_expr("0 < i < n", "(cmp 0 < i < n)");
	check_expr("0 <= i != j >= k > l == m", "(cmp 0 <= i != j >= k > l == m)");
	check_expr("2 ** 3 ** 2", "(** 2 (** 3 2))");
	check_expr("2 ** -1", "(** 2 (- 1))");
	check_expr("a - b - c", "(- (- a b) c)");
	check_expr("a // b % c @ d / e * f", "(* (/ (@ (% (// a b) c) d) e) f)");
	check_expr("a | b ^ c & d << 1 + 2 * 3", "(| a (^ b (& c (<< d (+ 1 (* 2 3))))))");
	check_expr("a >> b | c", "(| (>> a b) c)");
	check_expr("~a + +b - -c", "(- (+ (~ a) (+ b)) (- c))");
	check_expr("a is not None and b not in c or d is e and f in g",
		   "(or (and (cmp a is not None) (cmp b not in c)) (and (cmp d is e) (cmp f in g)))");
	check_expr("not not a", "(not (not a))");
	check_expr("not a + b", "(not (+ a b))");
	check_expr("a or b or c", "(or a b c)");
	check_expr("a and b and c or d", "(or (and a b c) d)");
	check_expr("x if a or b else y if c else z", "(ifexp x (or a b) (ifexp y c z))");
	check_expr("lambda: 0", "(lambda () 0)");
	check_expr("lambda x, y=2, *a, **k: x * y", "(lambda (x y=2 *a **k) (* x y))");
	check_expr("lambda x: x if x else -x", "(lambda (x) (ifexp x x (- x)))");
	check_expr("(a + b) * c", "(* (+ a b) c)");
	check_expr("-(a)", "(- a)");
	check_expr("f(x)[0].y(z)", "(call (. ([] (call f x) 0) y) z)");
	check_expr("a.b.c", "(. (. a b) c)");
}

static void test_atoms_and_displays(void **state)
{
	(void)state;
	check_expr("()", "(tuple)");
	check_expr("(1,)", "(tuple 1)");
	check_expr("(1, 2)", "(tuple 1 2)");
	check_expr("1, 2,", "(tuple 1 2)");
	check_expr("((a))", "a");
	check_expr("*a, b", "(tuple (* a) b)");
	check_expr("[]", "(list)");
	check_expr("[1, [2, 3],]", "(list 1 (list 2 3))");
	check_expr("[*a, b]", "(list (* a) b)");
	check_expr("{}", "(dict)");
	check_expr("{'a': 1, \"b\": [2, 3],}", "(dict \"a\" 1 \"b\" (list 2 3))");
	check_expr("[Block(c) for i in range(n) if i > 0]",
		   "(listcomp (call Block c) i (call range n) (cmp i > 0))");
	check_expr("[a * b for a, b in pairs]", "(listcomp (* a b) (tuple a b) pairs _)");
	check_expr("[x for x in (a if c else b) if not x]",
		   "(listcomp x x (ifexp a c b) (not x))");
	check_expr("x[:, 0]", "([] x (tuple (slice _ _ _) 0))");
	check_expr("x[..., 1:3:2]", "([] x (tuple ... (slice 1 3 2)))");
	check_expr("x[None]", "([] x None)");
	check_expr("x[::2]", "([] x (slice _ _ 2))");
	check_expr("x[1:]", "([] x (slice 1 _ _))");
	check_expr("x[:-1]", "([] x (slice _ (- 1) _))");
	check_expr("x[a:b:]", "([] x (slice a b _))");
	check_expr("x[0,]", "([] x (tuple 0))");
	check_expr("x[:, None, ...]", "([] x (tuple (slice _ _ _) None ...))");
	check_expr("f()", "(call f)");
	check_expr("f(x,)", "(call f x)");
	check_expr("f(a, *b, c=1, d=[2])", "(call f a (* b) (kw c 1) (kw d (list 2)))");
	check_expr("Sequential(*blocks)", "(call Sequential (* blocks))");
	check_expr("f(block=1, model=2, forward=3)",
		   "(call f (kw block 1) (kw model 2) (kw forward 3))");
	check_expr("f(lambda t: t)", "(call f (lambda (t) t))");
	check_expr("None, True, False, ...", "(tuple None True False ...)");
	check_expr("0x1f + 0X1F + 1_000 + 0b101 + 0o17",
		   "(+ (+ (+ (+ 31 31) 1000) 5) 15)");
	check_expr("3.5, 1e-5, .5, 1., 2E3, 1_0.5e1_0, 0.0", "(tuple 3.5 1e-05 0.5 1 2000 1.05e+11 0)");
	check_expr("9223372036854775807", "9223372036854775807");
	check_expr("0x7fffffffffffffff", "9223372036854775807");
	check_expr("0, 00, 0_0", "(tuple 0 0 0)");
	check_expr("'ab' \"cd\" 'e'", "\"abcde\"");
	check_expr("('a'\n  'b')", "\"ab\"");
	check_expr("'\\n\\t\\\\\\'\\\"\\x41\\q'", "\"\\n\\t\\\\'\\\"A\\\\q\"");
	check_expr("r'\\d\\'' + R\"x\" + u'y'", "(+ (+ \"\\\\d\\\\'\" \"x\") \"y\")");
	check_expr("'''a\n'b'\n\"\"\"'''", "\"a\\n'b'\\n\\\"\\\"\\\"\"");
	check_expr("\"\"\"x\\\ny\"\"\"", "\"xy\"");
	check_expr("'caf\xc3\xa9'", "\"caf\xc3\xa9\"");
	check_expr("model + block + forward", "(+ (+ model block) forward)");
	check_expr("self.forward(x)", "(call (. self forward) x)");
}

static const char resnet_block[] =
	"block BasicBlock(inplanes, planes, stride=1, *, groups=1, **kw):\n"
	"    expansion = 1\n"
	"    conv1 = Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)\n"
	"    if stride != 1 or inplanes != planes:\n"
	"        downsample = Sequential(\n"
	"            Conv2d(inplanes, planes, 1, stride=stride, bias=False),\n"
	"            BatchNorm2d(planes))\n"
	"    elif groups > 1:\n"
	"        downsample = None\n"
	"    else:\n"
	"        downsample = Identity()\n"
	"    blocks = []\n"
	"    for i in range(1, 3):\n"
	"        blocks.append(Block(planes, planes))\n"
	"    layer = Sequential(*blocks)\n"
	"    extra = [Block(c) for i in range(n) if i > 0]\n"
	"    count = 0\n"
	"    count += 2\n"
	"    act = lambda t: relu(t)\n"
	"    def helper(self, a, b=2):\n"
	"        return a + b\n"
	"\n"
	"    forward(x):\n"
	"        identity = x\n"
	"        out = relu(bn1(conv1(x)))\n"
	"        a, b = f(x)\n"
	"        [c, d] = e = g(x)\n"
	"        y = x[:, 0] + x[..., 1:3:2] + x[None]\n"
	"        if downsample is not None:\n"
	"            identity = downsample(x)\n"
	"        out += identity\n"
	"        out //= 2; out <<= 1;\n"
	"        self.n: int = 3\n"
	"        while count < 3:\n"
	"            count = count + 1\n"
	"            if count == 2: break\n"
	"            continue\n"
	"        for k, (u, v) in items: pass\n"
	"        assert out is not None, \"no output\"\n"
	"        assert out\n"
	"        return relu(out)\n";

static void test_resnet_block(void **state)
{
	static const char *const body[] = {
		"(= expansion 1)",
		"(= conv1 (call Conv2d inplanes planes (kw kernel_size 3) (kw stride stride) "
		"(kw padding 1) (kw bias False)))",
		"(if (or (cmp stride != 1) (cmp inplanes != planes)) "
		"(suite (= downsample (call Sequential (call Conv2d inplanes planes 1 "
		"(kw stride stride) (kw bias False)) (call BatchNorm2d planes)))) "
		"(if (cmp groups > 1) (suite (= downsample None)) "
		"(suite (= downsample (call Identity)))))",
		"(= blocks (list))",
		"(for i (call range 1 3) (suite (expr (call (. blocks append) "
		"(call Block planes planes)))))",
		"(= layer (call Sequential (* blocks)))",
		"(= extra (listcomp (call Block c) i (call range n) (cmp i > 0)))",
		"(= count 0)",
		"(+= count 2)",
		"(= act (lambda (t) (call relu t)))",
		"(def helper (a b=2) (suite (return (+ a b))))",
		"(forward (x) (suite (= identity x) (= out (call relu (call bn1 (call conv1 x)))) "
		"(= (tuple a b) (call f x)) (= (list c d) e (call g x)) "
		"(= y (+ (+ ([] x (tuple (slice _ _ _) 0)) ([] x (tuple ... (slice 1 3 2)))) "
		"([] x None))) "
		"(if (cmp downsample is not None) (suite (= identity (call downsample x))) _) "
		"(+= out identity) (//= out 2) (<<= out 1) (= (. self n) 3) "
		"(while (cmp count < 3) (suite (= count (+ count 1)) (if (cmp count == 2) "
		"(suite break) _) continue)) "
		"(for (tuple k (tuple u v)) items (suite pass)) "
		"(assert (cmp out is not None) \"no output\") (assert out _) "
		"(return (call relu out))))",
	};
	struct p2o_ast *m = parse_ok(resnet_block), *b, *ifs, *fwd;

	(void)state;
	assert_int_equal(m->nkids, 1);
	b = m->kids[0];
	assert_int_equal(b->kind, AST_BLOCK);
	assert_string_equal(b->s, "BasicBlock");
	check_pos(b, 1, 1);
	/* the bare '*' binds nothing */
	assert_int_equal(b->nparams, 5);
	check_params(b, "(inplanes planes stride=1 groups=1 **kw)");
	assert_int_equal(b->params[4].star, 2);
	check_suite(b->kids[0], body, P2O_ARRAY_LEN(body));

	ifs = b->kids[0]->kids[2];
	check_pos(ifs, 4, 5);
	check_pos(ifs->kids[1], 5, 9);          /* suite: its first statement */
	assert_int_equal(ifs->kids[2]->kind, AST_IF);
	check_pos(ifs->kids[2], 8, 5);          /* elif */
	assert_int_equal(ifs->kids[2]->kids[2]->kind, AST_SUITE);
	check_pos(b->kids[0]->kids[8], 18, 5);  /* augmented assignment: target */
	check_pos(b->kids[0]->kids[5]->kids[1]->kids[1], 15, 24); /* STARRED: '*' */
	check_pos(b->kids[0]->kids[6]->kids[1], 16, 13);         /* LISTCOMP: '[' */
	check_pos(b->kids[0]->kids[1]->kids[1]->kids[3], 3, 38); /* KEYWORD: name */
	fwd = b->kids[0]->kids[11];
	check_pos(fwd, 23, 5);
	check_pos(fwd->kids[0]->kids[2]->kids[0], 26, 9);        /* bare tuple: first item */
	check_pos(fwd->kids[0]->kids[4]->kids[1]->kids[0]->kids[1]->kids[1]->kids[1], 28, 30);
}

static const char pytorch_class[] =
	"\"\"\"A model pasted from PyTorch.\"\"\"\n"
	"import torch\n"
	"import torch.nn as nn, torch.nn.functional as F\n"
	"from torch import Tensor\n"
	"from typing import (Optional,\n"
	"    List,)\n"
	"from . import x as y\n"
	"from .layers import *\n"
	"\n"
	"\n"
	"class Net(nn.Module):\n"
	"    \"\"\"A small net.\n"
	"\n"
	"    Docstrings are dropped.\n"
	"    \"\"\"\n"
	"    expansion = 4\n"
	"\n"
	"    def __init__(self, num_classes: int = 10) -> None:\n"
	"        super(Net, self).__init__()\n"
	"        self.features = nn.Sequential(\n"
	"            nn.Conv2d(3, 64, kernel_size=3, padding=1),  # a comment\n"
	"            nn.ReLU(inplace=True),\n"
	"            nn.MaxPool2d(2),\n"
	"        )\n"
	"        self.classifier = nn.Linear(64 * 16 * 16, num_classes)\n"
	"\n"
	"    def _head(self, x):\n"
	"        return self.classifier(x)\n"
	"\n"
	"    def forward(self, x: Tensor) -> Tensor:\n"
	"        x = self.features(x)\n"
	"        x = torch.flatten(x, 1)\n"
	"        return self._head(x)\n"
	"\n"
	"    scale: float = 0.5\n"
	"\n"
	"\n"
	"class Empty(nn.Module, metaclass=Meta):\n"
	"    def __init__(self):\n"
	"        super().__init__()\n"
	"        pass\n"
	"\n"
	"class Bare:\n"
	"    pass\n"
	"\n"
	"def conv3x3(in_planes, out_planes, stride=1):\n"
	"    return nn.Conv2d(in_planes, out_planes, 3, stride, 1)\n";

static void test_pytorch_class(void **state)
{
	static const char *const body[] = {
		"(= expansion 4)",
		"(= scale 0.5)",
		"(= (. self features) (call (. nn Sequential) (call (. nn Conv2d) 3 64 "
		"(kw kernel_size 3) (kw padding 1)) (call (. nn ReLU) (kw inplace True)) "
		"(call (. nn MaxPool2d) 2)))",
		"(= (. self classifier) (call (. nn Linear) (* (* 64 16) 16) num_classes))",
		"(def _head (x) (suite (return (call (. self classifier) x))))",
		"(forward (x) (suite (= x (call (. self features) x)) "
		"(= x (call (. torch flatten) x 1)) (return (call (. self _head) x))))",
	};
	static const char *const empty[] = {"pass"};
	struct p2o_ast *m = parse_ok(pytorch_class), *net;

	(void)state;
	assert_int_equal(m->nkids, 4);
	net = m->kids[0];
	assert_int_equal(net->kind, AST_BLOCK);
	assert_string_equal(net->s, "Net");
	check_pos(net, 11, 1);
	check_params(net, "(num_classes=10)");
	check_pos(net->kids[0]->kids[4], 27, 5);
	check_pos(net->kids[0]->kids[5], 30, 5);
	assert_string_equal(net->kids[0]->kids[5]->s, "forward");
	check_suite(net->kids[0], body, P2O_ARRAY_LEN(body));

	assert_int_equal(m->kids[1]->kind, AST_BLOCK);
	assert_string_equal(m->kids[1]->s, "Empty");
	check_params(m->kids[1], "()");
	check_suite(m->kids[1]->kids[0], empty, 1);
	check_dump(m->kids[2], "(block Bare () (suite))");
	check_dump(m->kids[3], "(def conv3x3 (in_planes out_planes stride=1) (suite (return "
		   "(call (. nn Conv2d) in_planes out_planes 3 stride 1))))");
}

static void test_model_forms(void **state)
{
	static const char text[] =
		"model ResNet18(x: [batch_size, 3, 224, 224]) = ResNet(BasicBlock, [2, 2, 2, 2])\n"
		"model Net2(image: [1, 3, 32, 32]) -> logits = Net(num_classes=10)\n"
		"model Multi(x: [batch_size, 3, 32, 32], t: int64[batch_size, 7],) -> (a, b):\n"
		"    enc = Encoder()\n"
		"    def helper(self, v):\n"
		"        return v\n"
		"    def forward(self, x, t):\n"
		"        return enc(x), t\n"
		"model One(x: float16[n]) -> (y,):\n"
		"    forward(x): return x\n"
		"model = 3\n"
		"block = model\n";
	struct p2o_ast *m = parse_ok(text), *r, *multi;

	(void)state;
	assert_int_equal(m->nkids, 6);
	r = m->kids[0];
	check_dump(r, "(model ResNet18 ((x _ [batch_size 3 224 224])) () "
		   "(call ResNet BasicBlock (list 2 2 2 2)))");
	assert_int_equal(r->kids[0]->kind, AST_CALL);
	check_pos(r->kids[0], 1, 48);
	assert_int_equal(r->noutputs, 0);
	check_dump(m->kids[1], "(model Net2 ((image _ [1 3 32 32])) (logits) "
		   "(call Net (kw num_classes 10)))");
	multi = m->kids[2];
	check_dump(multi, "(model Multi ((x _ [batch_size 3 32 32]) (t int64 [batch_size 7])) (a b) "
		   "(suite (= enc (call Encoder)) (def helper (v) (suite (return v))) "
		   "(forward (x t) (suite (return (tuple (call enc x) t))))))");
	assert_string_equal(multi->inputs[1].dtype, "int64");
	assert_int_equal(multi->inputs[1].pos.line, 3);
	assert_int_equal(multi->inputs[1].pos.col, 41);
	assert_int_equal(multi->inputs[1].dims[1]->i, 7);
	check_pos(multi->kids[0]->kids[2], 7, 5);
	check_dump(m->kids[3], "(model One ((x float16 [n])) (y) (suite (forward (x) "
		   "(suite (return x)))))");
	check_dump(m->kids[4], "(= model 3)");
	check_dump(m->kids[5], "(= block model)");
}

static void test_lexical(void **state)
{
	static const char text[] =
		"x = 1 + \\\n"
		"    2\n"
		"y = (1 +\n"
		"  2)  # comment\n"
		"   # an indented comment line\n"
		"\n"
		"z = [1,\n"
		"\t2]  # a tab inside brackets is whitespace\n"
		"a = 1; b = 2;\n"
		"c = 'x\\\n"
		"y'\n"
		"block B():\n"
		"    \n"
		"  # comments do not indent\n"
		"    d = 1 \\\n"
		"  + 2\n"
		"    e = (\n"
		"1)\n";
	static const char *const want[] = {
		"(= x (+ 1 2))", "(= y (+ 1 2))", "(= z (list 1 2))", "(= a 1)", "(= b 2)",
		"(= c \"xy\")", "(block B () (suite (= d (+ 1 2)) (= e 1)))",
	};
	char crlf[sizeof text * 2], *q = crlf;
	struct p2o_ast *m = parse_ok(text);

	(void)state;
	assert_int_equal(m->nkids, P2O_ARRAY_LEN(want));
	for (size_t i = 0; i < m->nkids; i++)
		check_dump(m->kids[i], want[i]);
	check_pos(m->kids[6]->kids[0]->kids[1], 17, 5);

	/* the same with \r\n line ends */
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	*q = 0;
	m = parse_ok(crlf);
	assert_int_equal(m->nkids, P2O_ARRAY_LEN(want));
	for (size_t i = 0; i < m->nkids; i++)
		check_dump(m->kids[i], want[i]);

	/* a byte order mark, no final newline, an empty file */
	m = parse_ok("\xef\xbb\xbfx = 1");
	check_dump(m->kids[0], "(= x 1)");
	check_pos(m->kids[0], 1, 1);
	assert_int_equal(parse_ok("")->nkids, 0);
	assert_int_equal(parse_ok("\n\n  # only comments\n")->nkids, 0);
}

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

/* ---- inputs that must never crash ---- */

static const char *const pieces[] = {lenet, resnet_block, pytorch_class};

/* Parse text[0..len) from an exact-size buffer: it must give a valid tree
 * or a P2O_EARCH error with a well-formed where inside the text. */
static void check_any(const char *text, size_t len)
{
	char *buf = malloc(len + 1);
	struct p2o_src src = {"fuzz.arch", buf, len};
	struct p2o_arena a;
	struct p2o_err err = {0};
	struct p2o_ast *m;

	assert_non_null(buf);
	memcpy(buf, text, len);
	buf[len] = 0;
	p2o_arena_init(&a);
	m = p2o_arch_parse(&a, &src, &err);
	if (m) {
		assert_int_equal(err.code, P2O_OK);
		validate(m);
	} else {
		int line, col, end = 0, l = 1;
		size_t k = 0, linelen = 0;
		assert_int_equal(err.code, P2O_EARCH);
		assert_int_equal(sscanf(err.where, "fuzz.arch:%d:%d%n", &line, &col, &end), 2);
		assert_int_equal((size_t)end, strlen(err.where));
		assert_true(err.msg[0] != 0);
		while (k < len && l < line)
			if (buf[k++] == '\n')
				l++;
		assert_int_equal(l, line);
		while (k + linelen < len && buf[k + linelen] != '\n')
			linelen++;
		assert_true(col >= 1 && (size_t)col <= linelen + 1);
		assert_non_null(strchr(err.detail, '\n'));
		assert_int_equal(err.detail[strlen(err.detail) - 1], '^');
	}
	p2o_arena_free(&a);
	free(buf);
}

static void test_every_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < P2O_ARRAY_LEN(pieces); i++) {
		size_t len = strlen(pieces[i]);
		for (size_t n = 0; n <= len; n++)
			check_any(pieces[i], n);
	}
	for (size_t n = 0; n <= sizeof lenet - 1; n++) /* and every suffix */
		check_any(lenet + n, sizeof lenet - 1 - n);
}

static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

static void test_mutations(void **state)
{
	static const char nasty[] = "()[]{}:,.;=*-+\\#'\"\n\n\n\t   ax0_1e.5@<>!\r";
	char buf[4096];

	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		const char *src = pieces[rnd(P2O_ARRAY_LEN(pieces))];
		size_t len = strlen(src);
		memcpy(buf, src, len);
		for (int k = 0, nmut = 1 + (int)rnd(3); k < nmut && len > 1; k++) {
			size_t at = rnd((uint32_t)len), span = 1 + rnd(8);
			switch (rnd(4)) {
			case 0: /* replace a byte */
				buf[at] = nasty[rnd(sizeof nasty - 1)];
				break;
			case 1: /* delete a span */
				if (at + span > len)
					span = len - at;
				memmove(buf + at, buf + at + span, len - at - span);
				len -= span;
				break;
			case 2: /* insert a byte */
				if (len + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = nasty[rnd(sizeof nasty - 1)];
					len++;
				}
				break;
			default: /* duplicate a span */
				if (at + span > len)
					span = len - at;
				if (len + span < sizeof buf) {
					memmove(buf + at + span, buf + at, len - at);
					len += span;
				}
				break;
			}
		}
		check_any(buf, len);
	}
	/* random bytes, NULs included */
	for (int iter = 0; iter < 500; iter++) {
		size_t len = rnd(300);
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(rnd(4) ? nasty[rnd(sizeof nasty - 1)] : (int)rnd(256));
		check_any(buf, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lenet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atoms_and_displays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resnet_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pytorch_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lexical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_missing_paren, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_indentation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_lexical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_deep_nesting, setup, teardown),
		cmocka_unit_test(test_arch_error),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
