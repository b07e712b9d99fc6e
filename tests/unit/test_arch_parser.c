/*
 * test_arch_parser.c — the .arch lexer and parser (src/arch_lexer.c,
 * src/arch_parser*.c).  Expected trees are written by hand from the grammar
 * in docs/arch-language.md, as S-expressions (see dump() in arch_tree.h).
 * Errors, checked to the byte (where, msg and the caret detail), are in
 * test_arch_parser_errors.c; prefixes and mutations of a valid file, which
 * must parse or fail cleanly, never crash, in test_arch_parser_fuzz.c.
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
#include "arch_samples.h"

/* ---- trees ---- */

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

static void test_pytorch_class(void **state)
{
	static const char *const body[] = {
		"(= expansion 4)",
		"(= scale 0.5)",
		"(def _head (x) (suite (return (call (. self classifier) x))))",
		"(forward (x) (suite (= x (call (. self features) x)) "
		"(= x (call (. torch flatten) x 1)) (return (call (. self _head) x))))",
		/* __init__'s body last, in a scope of its own */
		"(init (= (. self features) (call (. nn Sequential) (call (. nn Conv2d) 3 64 "
		"(kw kernel_size 3) (kw padding 1)) (call (. nn ReLU) (kw inplace True)) "
		"(call (. nn MaxPool2d) 2))) "
		"(= (. self classifier) (call (. nn Linear) (* (* 64 16) 16) num_classes)))",
	};
	static const char *const empty[] = {"(init pass)"};
	struct p2o_ast *m = parse_ok(pytorch_class), *net;

	(void)state;
	assert_int_equal(m->nkids, 4);
	net = m->kids[0];
	assert_int_equal(net->kind, AST_BLOCK);
	assert_string_equal(net->s, "Net");
	check_pos(net, 11, 1);
	check_params(net, "(num_classes=10)");
	check_pos(net->kids[0]->kids[2], 27, 5);
	check_pos(net->kids[0]->kids[3], 30, 5);
	assert_string_equal(net->kids[0]->kids[3]->s, "forward");
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
