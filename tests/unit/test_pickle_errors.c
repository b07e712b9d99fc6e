/* test_pickle_errors.c — p2o_unpickle on corrupt, hostile or odd pickles:
 * every failure must be -1 + P2O_EFORMAT + a message saying what is wrong,
 * and nothing may crash.  Hex escapes are split from the following literal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pickle.h"

static struct p2o_arena A;
static struct p2o_strlist W;
static struct p2o_err E;

static int setup(void **state)
{
	(void)state;
	p2o_arena_init(&A);
	memset(&W, 0, sizeof W);
	p2o_err_clear(&E);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	p2o_arena_free(&A);
	return 0;
}

static int run(const void *data, size_t len, struct p2o_obj **out)
{
	struct p2o_pickle_env env = {&A, NULL, NULL, &W, "bad.pkl"};
	size_t consumed = 0;

	p2o_err_clear(&E);
	*out = NULL;
	return p2o_unpickle(data, len, &env, out, &consumed, &E);
}

static void expect_fail(const char *data, size_t len, const char *needle)
{
	struct p2o_obj *out;
	int rc = run(data, len, &out);

	if (rc != -1)
		fail_msg("expected failure ('%s'), got rc %d", needle, rc);
	assert_int_equal(E.code, P2O_EFORMAT);
	assert_true(E.msg[0] != 0);
	if (!strstr(E.msg, needle))
		fail_msg("message '%s' does not mention '%s'", E.msg, needle);
}
#define FAIL(lit, needle) expect_fail(lit, sizeof(lit) - 1, needle)

static struct p2o_obj *load(const char *data, size_t len)
{
	struct p2o_obj *out;

	if (run(data, len, &out))
		fail_msg("unpickle failed: %s: %s", E.where, E.msg);
	assert_non_null(out);
	return out;
}
#define LOAD(lit) load(lit, sizeof(lit) - 1)

static int has_warning(const char *needle)
{
	for (size_t i = 0; i < W.n; i++)
		if (strstr(W.items[i], needle))
			return 1;
	return 0;
}

static void test_empty_input(void **state)
{
	(void)state;
	expect_fail("", 0, "truncated");
	FAIL("\x80\x02", "truncated");            /* no STOP */
	FAIL("\x80\x02K\x01", "truncated");
}

static void test_truncated_strings(void **state)
{
	(void)state;
	/* BINUNICODE says 100 bytes, 3 are there */
	FAIL("\x80\x02X\x64\x00\x00\x00" "abc", "truncated");
	FAIL("X\xff\xff\xff\xff" "abc.", "truncated");
	FAIL("\x8d\xff\xff\xff\xff\xff\xff\xff\xff" "abc.", "truncated");
	FAIL("\x8e\x00\x00\x00\x00\x00\x00\x00\x80" "abc.", "truncated");
	FAIL("X\x05\x00", "truncated");            /* length itself cut */
	FAIL("\x8c\x05" "ab", "truncated");
	FAIL("C\x04" "xyz", "truncated");
}

static void test_truncated_args(void **state)
{
	(void)state;
	FAIL("J\x01\x02", "truncated");
	FAIL("M\x01", "truncated");
	FAIL("G\x3f\xd0\x00", "truncated");
	FAIL("\x8a\x08\x01\x02", "truncated");
	FAIL("\x8b\xff\xff\xff\xff\x01", "truncated");
	FAIL("\x80\x04\x95\x01\x00", "truncated");
	FAIL("\x80", "truncated");
	FAIL("cos\nsys", "truncated");            /* GLOBAL without newline */
	FAIL("r\xff\xff", "truncated");
}

static void test_memo_errors(void **state)
{
	(void)state;
	FAIL("h\x05" ".", "never stored");
	FAIL("K\x01q\x00" "0j\xff\xff\xff\x7f" ".", "never stored");
	FAIL("K\x01q\x00" "0h\x01" ".", "never stored");
}

static void test_stack_errors(void **state)
{
	(void)state;
	FAIL("0.", "underflow");                  /* POP on an empty stack */
	FAIL("\x85" ".", "underflow");             /* TUPLE1 with nothing */
	FAIL("K\x01\x87" ".", "underflow");        /* TUPLE3 with one item */
	FAIL("a.", "underflow");
	FAIL("K\x01(s.", "underflow");            /* SETITEM cannot cross a MARK */
	FAIL("K\x01t.", "MARK");                  /* TUPLE without MARK */
	FAIL("]K\x01" "e.", "MARK");
	FAIL("K\x01" "1.", "MARK");               /* POP_MARK without MARK */
}

static void test_stop_errors(void **state)
{
	(void)state;
	FAIL("K\x01K\x02" ".", "STOP");
	FAIL(".", "STOP");
	FAIL("(K\x01" ".", "STOP");               /* MARK still open */
}

static void test_bad_opcodes(void **state)
{
	(void)state;
	FAIL("\xff", "unknown pickle opcode");
	FAIL("\x80\x02K\x01\xff" ".", "0xff");
	FAIL("\x80\x06K\x01" ".", "protocol");
	FAIL("K\x01K\x02" "a.", "APPEND");       /* APPEND onto an int */
	FAIL("K\x01(K\x02" "e.", "APPEND");
	FAIL("}(K\x01" "u.", "odd");              /* SETITEMS, odd count */
	FAIL("K\x01K\x02K\x03s.", "SETITEM");      /* SETITEM onto an int */
	FAIL("K\x01K\x02\x93" ".", "STACK_GLOBAL");
	FAIL("X\x01\x00\x00\x00" "xQ.", "persistent id");
	FAIL("Pfoo\n.", "persistent id");
	FAIL("c__main__\nF\nK\x01R.", "tuple");   /* REDUCE args not a tuple */
}

static void test_deep_nesting(void **state)
{
	enum { N = 1000000 };
	unsigned char *buf = malloc(3 * (size_t)N + 1);
	struct p2o_obj *out, *o;
	size_t i;
	int rc;
	(void)state;
	assert_non_null(buf);
	/* N x (EMPTY_LIST MARK) then N x APPENDS: [[[...]]] nested N deep */
	for (i = 0; i < N; i++) {
		buf[2 * i] = ']';
		buf[2 * i + 1] = '(';
	}
	memset(buf + 2 * (size_t)N, 'e', N);
	buf[3 * (size_t)N] = '.';
	rc = run(buf, 3 * (size_t)N + 1, &out);
	if (rc == 0) {
		size_t depth = 1;
		for (o = out; o->kind == PY_LIST && o->u.seq.n == 1; o = o->u.seq.items[0])
			depth++;
		assert_int_equal(o->kind, PY_LIST);
		assert_int_equal(o->u.seq.n, 0);
		assert_int_equal(depth, N);
	} else {
		assert_int_equal(E.code, P2O_EFORMAT);
		assert_true(E.msg[0] != 0);
	}
	/* the same without the APPENDS: N values + N MARKs at STOP */
	rc = run(buf, 2 * (size_t)N, &out);
	assert_int_equal(rc, -1);
	buf[2 * (size_t)N] = '.';
	rc = run(buf, 2 * (size_t)N + 1, &out);
	assert_int_equal(rc, -1);
	assert_int_equal(E.code, P2O_EFORMAT);
	free(buf);
}

static void test_os_system_not_executed(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("\x80\x02" "cos\nsystem\n" "X\x02\x00\x00\x00" "ls\x85" "R.");
	assert_int_equal(o->kind, PY_OBJECT);
	assert_true(p2o_is_global(o->u.object.cls, "os", "system"));
	assert_non_null(o->u.object.args);
	assert_int_equal(o->u.object.args->kind, PY_TUPLE);
	assert_int_equal(o->u.object.args->u.seq.n, 1);
	assert_true(p2o_is_str(o->u.object.args->u.seq.items[0], "ls"));
	assert_true(has_warning("os.system"));
	/* protocol 2 spelling of eval */
	LOAD("c__builtin__\neval\n" "X\x01\x00\x00\x00" "1\x85" "R.");
	assert_true(has_warning("builtins.eval"));
	/* the warning is recorded once */
	size_t n = W.n;
	LOAD("cos\nsystem\n" "X\x02\x00\x00\x00" "ls\x85" "R.");
	assert_int_equal(W.n, n);
}

/* From protocol 4 on, Python's Unpickler.find_class resolves a dotted name
 * by getattr: module 'torch', name 'os.system' is os.system (torch's
 * __init__ does `import os`).  Loading it runs code in PyTorch, so it
 * must be warned about like os.system itself. */
static void test_dotted_name_under_allowed_module(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("\x80\x04\x8c\x05" "torch\x8c\x09" "os.system\x93"
		 "\x8c\x02" "ls\x85" "R.");
	assert_int_equal(o->kind, PY_OBJECT);
	if (!has_warning("os.system"))
		fail_msg("no warning for torch + 'os.system' (%zu warnings)", W.n);
}

/* POP with a MARK on top of the stack pops the MARK (pickle.py load_pop,
 * _pickle.c load_pop); protocol 0 uses it for recursive tuples
 * (save_tuple writes POP * (len + 1)). */
static void test_pop_pops_mark(void **state)
{
	(void)state;
	struct p2o_obj *o = LOAD("K\x07(K\x01K\x02" "000.");
	assert_int_equal(o->kind, PY_INT);
	assert_int_equal(o->u.i, 7);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty_input), T(test_truncated_strings),
		T(test_truncated_args), T(test_memo_errors),
		T(test_stack_errors), T(test_stop_errors), T(test_bad_opcodes),
		T(test_deep_nesting), T(test_os_system_not_executed),
		T(test_dotted_name_under_allowed_module), T(test_pop_pops_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
