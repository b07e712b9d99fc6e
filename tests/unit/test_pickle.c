/* test_pickle.c — p2o_unpickle on hand-written pickles: the values each
 * opcode produces (see Python's Lib/pickletools.py for the byte layouts).
 * Calls and BUILD are in test_pickle_calls.c, errors in
 * test_pickle_errors.c.  Hex escapes are split from the following literal
 * ("\x05" "abc") so no hex digit is swallowed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pickle.h"

static struct p2o_arena A;
static struct p2o_strlist W;
static struct p2o_err E;
static size_t CONSUMED;

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

static struct p2o_obj *load(const char *data, size_t len)
{
	struct p2o_pickle_env env = {&A, NULL, NULL, &W, "test.pkl"};
	struct p2o_obj *out = NULL;

	CONSUMED = (size_t)-1;
	if (p2o_unpickle((const unsigned char *)data, len, &env, &out, &CONSUMED, &E))
		fail_msg("unpickle failed: %s: %s", E.where, E.msg);
	assert_int_equal(E.code, P2O_OK);
	assert_non_null(out);
	return out;
}
#define LOAD(lit) load(lit, sizeof(lit) - 1)

static void check_int(const struct p2o_obj *o, int64_t v)
{
	assert_non_null(o);
	assert_int_equal(o->kind, PY_INT);
	if (o->u.i != v)
		fail_msg("int %lld, expected %lld", (long long)o->u.i, (long long)v);
}

static void check_str(const struct p2o_obj *o, enum p2o_kind kind,
		      const char *s, size_t n)
{
	assert_non_null(o);
	assert_int_equal(o->kind, kind);
	assert_int_equal(o->u.str.len, n);
	assert_memory_equal(o->u.str.s, s, n);
}
#define CHECK_STR(o, lit) check_str(o, PY_STR, lit, sizeof(lit) - 1)
#define CHECK_BYTES(o, lit) check_str(o, PY_BYTES, lit, sizeof(lit) - 1)

static void check_double_bits(double got, double want)
{
	if (memcmp(&got, &want, sizeof got))
		fail_msg("float %.17g, expected %.17g", got, want);
}

static void check_seq(const struct p2o_obj *o, enum p2o_kind kind, size_t n)
{
	assert_non_null(o);
	assert_int_equal(o->kind, kind);
	assert_int_equal(o->u.seq.n, n);
}

/* ---- framing ---- */

static void test_proto2(void **state)
{
	(void)state;
	check_int(LOAD("\x80\x02" "K\x05" "."), 5);
	assert_int_equal(CONSUMED, 5);
}

static void test_proto4_frame(void **state)
{
	(void)state;
	/* FRAME of 6 bytes: SHORT_BINUNICODE 'hi', MEMOIZE, STOP */
	struct p2o_obj *o = LOAD("\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00"
				 "\x8c\x02" "hi" "\x94" ".");
	CHECK_STR(o, "hi");
	assert_int_equal(CONSUMED, 2 + 9 + 6);
}

static void test_trailing_bytes(void **state)
{
	(void)state;
	static const char two[] = "\x80\x02" "K\x01" "." "K\x02" ".junk";
	check_int(LOAD("\x80\x02" "K\x01" ".garbage after stop"), 1);
	assert_int_equal(CONSUMED, 5);
	/* a second pickle starts where the first one ended */
	check_int(load(two, sizeof two - 1), 1);
	assert_int_equal(CONSUMED, 5);
	check_int(load(two + 5, sizeof two - 1 - 5), 2);
	assert_int_equal(CONSUMED, 3);
}

/* ---- numbers ---- */

static void test_binint(void **state)
{
	(void)state;
	check_int(LOAD("K\xff" "."), 255);            /* BININT1 is unsigned */
	check_int(LOAD("M\x01\x02" "."), 0x0201);      /* BININT2: LE unsigned */
	check_int(LOAD("M\xff\xff" "."), 65535);
	check_int(LOAD("J\xff\xff\xff\xff" "."), -1); /* BININT: LE signed */
	check_int(LOAD("J\xfe\xff\xff\xff" "."), -2);
	check_int(LOAD("J\x00\x00\x00\x80" "."), INT32_MIN);
	check_int(LOAD("J\xfe\xff\xff\x7f" "."), 2147483646);
}

struct long_case {
	const char *p;
	size_t n;
	int64_t v;
};
#define LC(lit, v) {lit, sizeof(lit) - 1, v}

static void test_long1(void **state)
{
	/* two's complement, little-endian, len bytes (pickle encode_long) */
	static const struct long_case cases[] = {
		LC("\x8a\x00" ".", 0),
		LC("\x8a\x01\xff" ".", -1),
		LC("\x8a\x01\x7f" ".", 127),
		LC("\x8a\x02\x00\x80" ".", -32768),
		LC("\x8a\x03\x00\x80\x00" ".", 32768),
		LC("\x8a\x04\x00\x00\x00\x80" ".", -2147483648LL),
		LC("\x8a\x05\x00\x00\x00\x00\x01" ".", 4294967296LL),
		LC("\x8a\x05\xff\xff\xff\xff\xfe" ".", -4294967297LL),
		LC("\x8a\x06\x00\x00\x00\x00\x00\x80" ".", -140737488355328LL),
		LC("\x8a\x07\xff\xff\xff\xff\xff\xff\x00" ".", 281474976710655LL),
		LC("\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f" ".", INT64_MAX),
		LC("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80" ".", INT64_MIN),
		LC("\x8a\x08\xfe\xff\xff\xff\xff\xff\xff\xff" ".", -2),
	};
	(void)state;
	for (size_t i = 0; i < P2O_ARRAY_LEN(cases); i++)
		check_int(load(cases[i].p, cases[i].n), cases[i].v);
}

static void test_long4_and_big(void **state)
{
	struct p2o_obj *o;
	(void)state;
	check_int(LOAD("\x8b\x03\x00\x00\x00\x01\x00\x01" "."), 65537);
	/* 2**64 needs 9 bytes: kept as an approximate float */
	o = LOAD("\x8b\x09\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00\x01" ".");
	assert_int_equal(o->kind, PY_FLOAT);
	check_double_bits(o->u.f, 18446744073709551616.0);
	/* -2**64 = 00*8 ff */
	o = LOAD("\x8a\x09" "\x00\x00\x00\x00\x00\x00\x00\x00\xff" ".");
	assert_int_equal(o->kind, PY_FLOAT);
	check_double_bits(o->u.f, -18446744073709551616.0);
}

static void test_binfloat(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("G\x3f\xd0\x00\x00\x00\x00\x00\x00" ".");
	assert_int_equal(o->kind, PY_FLOAT);
	check_double_bits(o->u.f, 0.25);
	check_double_bits(LOAD("G\xbf\xf8\x00\x00\x00\x00\x00\x00" ".")->u.f, -1.5);
	check_double_bits(LOAD("G\x3f\xb9\x99\x99\x99\x99\x99\x9a" ".")->u.f, 0.1);
	check_double_bits(LOAD("G\x80\x00\x00\x00\x00\x00\x00\x00" ".")->u.f, -0.0);
}

static void test_bool_none(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("\x88\x89N\x87" ".");
	check_seq(o, PY_TUPLE, 3);
	assert_int_equal(o->u.seq.items[0]->kind, PY_BOOL);
	assert_int_equal(o->u.seq.items[0]->u.boolean, 1);
	assert_int_equal(o->u.seq.items[1]->u.boolean, 0);
	assert_int_equal(o->u.seq.items[2]->kind, PY_NONE);
}

/* ---- strings and bytes ---- */

static void test_strings(void **state)
{
	(void)state;
	CHECK_STR(LOAD("X\x05\x00\x00\x00" "hello" "."), "hello");
	CHECK_STR(LOAD("X\x03\x00\x00\x00" "a\x00" "b" "."), "a\x00" "b");
	CHECK_STR(LOAD("\x8c\x02\xc3\xa9" "."), "\xc3\xa9");
	CHECK_STR(LOAD("\x8c\x00" "."), "");
	CHECK_STR(LOAD("\x8d\x03\x00\x00\x00\x00\x00\x00\x00" "abc" "."), "abc");
	/* text objects are NUL-terminated for C users */
	assert_string_equal(LOAD("X\x02\x00\x00\x00" "ok" ".")->u.str.s, "ok");
}

static void test_bytes(void **state)
{
	(void)state;
	CHECK_BYTES(LOAD("C\x03\x00\xff\x01" "."), "\x00\xff\x01");
	CHECK_BYTES(LOAD("B\x02\x00\x00\x00\xab\xcd" "."), "\xab\xcd");
	CHECK_BYTES(LOAD("\x8e\x01\x00\x00\x00\x00\x00\x00\x00" "z" "."), "z");
}

/* ---- containers ---- */

static void test_tuples(void **state)
{
	struct p2o_obj *o;
	(void)state;
	check_seq(LOAD(")."), PY_TUPLE, 0);
	check_seq(LOAD("(t."), PY_TUPLE, 0);
	o = LOAD("K\x01\x85" ".");
	check_seq(o, PY_TUPLE, 1);
	check_int(o->u.seq.items[0], 1);
	o = LOAD("K\x01K\x02\x86" ".");
	check_seq(o, PY_TUPLE, 2);
	check_int(o->u.seq.items[0], 1);
	check_int(o->u.seq.items[1], 2);
	o = LOAD("K\x01K\x02K\x03\x87" ".");
	check_seq(o, PY_TUPLE, 3);
	for (int i = 0; i < 3; i++)
		check_int(o->u.seq.items[i], i + 1);
	o = LOAD("K\x09(K\x01K\x02K\x03K\x04t\x86" ".");
	check_seq(o, PY_TUPLE, 2);
	check_int(o->u.seq.items[0], 9);
	check_seq(o->u.seq.items[1], PY_TUPLE, 4);
	for (int i = 0; i < 4; i++)
		check_int(o->u.seq.items[1]->u.seq.items[i], i + 1);
}

static void test_lists(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("]K\x07" "a(K\x08K\x09" "e.");
	check_seq(o, PY_LIST, 3);
	for (int i = 0; i < 3; i++)
		check_int(o->u.seq.items[i], 7 + i);
	o = LOAD("(K\x01K\x02l.");
	check_seq(o, PY_LIST, 2);
	check_int(o->u.seq.items[1], 2);
}

static void test_dicts(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("}X\x01\x00\x00\x00" "aK\x01" "s.");
	assert_int_equal(o->kind, PY_DICT);
	assert_int_equal(o->u.dict.n, 1);
	check_int(p2o_dict_get(o, "a"), 1);
	o = LOAD("}(X\x01\x00\x00\x00" "bK\x02" "X\x01\x00\x00\x00" "aK\x01" "u.");
	assert_int_equal(o->u.dict.n, 2); /* insertion order kept */
	assert_true(p2o_is_str(o->u.dict.keys[0], "b"));
	assert_true(p2o_is_str(o->u.dict.keys[1], "a"));
	check_int(o->u.dict.vals[0], 2);
	/* a repeated key replaces the value, as in Python */
	o = LOAD("}(X\x01\x00\x00\x00" "aK\x01" "X\x01\x00\x00\x00" "aK\x02" "u.");
	assert_int_equal(o->u.dict.n, 1);
	check_int(p2o_dict_get(o, "a"), 2);
	o = LOAD("(K\x01K\x02" "d.");
	assert_int_equal(o->kind, PY_DICT);
	check_int(o->u.dict.keys[0], 1);
	check_int(o->u.dict.vals[0], 2);
	assert_null(p2o_dict_get(o, "missing"));
}

static void test_sets(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("\x8f(K\x01K\x02\x90" ".");
	check_seq(o, PY_SET, 2);
	assert_false(o->flags & P2O_OBJ_FROZEN);
	check_int(o->u.seq.items[1], 2);
	o = LOAD("(K\x01K\x02K\x03\x91" ".");
	check_seq(o, PY_SET, 3);
	assert_true(o->flags & P2O_OBJ_FROZEN);
	/* protocol 2: __builtin__.set([1, 2]) */
	o = LOAD("\x80\x02" "c__builtin__\nset\n" "q\x00" "]q\x01(K\x01K\x02" "e\x85q\x02" "R.");
	check_seq(o, PY_SET, 2);
	check_int(o->u.seq.items[0], 1);
	assert_int_equal(W.n, 0);
}

/* ---- memo ---- */

static void test_memo(void **state)
{
	struct p2o_obj *o;
	(void)state;
	/* the same list twice: BINGET returns the stored object itself */
	o = LOAD("]q\x00K\x01" "ah\x00\x86" ".");
	check_seq(o, PY_TUPLE, 2);
	assert_ptr_equal(o->u.seq.items[0], o->u.seq.items[1]);
	check_seq(o->u.seq.items[0], PY_LIST, 1);
	/* LONG_BINPUT / LONG_BINGET with index 0x7fffffff */
	check_int(LOAD("K\x2a" "r\xff\xff\xff\x7f" "0" "j\xff\xff\xff\x7f" "."), 42);
	/* MEMOIZE stores at len(memo): 'a' -> 0, 'b' -> 1 */
	o = LOAD("\x80\x04\x8c\x01" "a\x94" "0\x8c\x01" "b\x94" "0h\x00h\x01\x86" ".");
	check_seq(o, PY_TUPLE, 2);
	CHECK_STR(o->u.seq.items[0], "a");
	CHECK_STR(o->u.seq.items[1], "b");
	/* after BINPUT 5 the memo holds one entry, so MEMOIZE uses key 1 */
	o = LOAD("K\x01q\x05" "0K\x02\x94" "0h\x01h\x05\x86" ".");
	check_int(o->u.seq.items[0], 2);
	check_int(o->u.seq.items[1], 1);
}

/* ---- globals and calls ---- */

static void test_globals(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("c__builtin__\nset\n.");
	assert_int_equal(o->kind, PY_GLOBAL);
	assert_string_equal(o->u.global.module, "builtins");
	assert_string_equal(o->u.global.name, "set");
	assert_true(p2o_is_global(LOAD("ccopy_reg\n_reconstructor\n."),
				  "copyreg", "_reconstructor"));
	o = LOAD("\x80\x04\x8c\x0b" "collections\x94\x8c\x0b" "OrderedDict\x94\x93\x94" ".");
	assert_true(p2o_is_global(o, "collections", "OrderedDict"));
	assert_int_equal(W.n, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_proto2), T(test_proto4_frame), T(test_trailing_bytes),
		T(test_binint), T(test_long1), T(test_long4_and_big),
		T(test_binfloat), T(test_bool_none), T(test_strings),
		T(test_bytes), T(test_tuples), T(test_lists), T(test_dicts),
		T(test_sets), T(test_memo), T(test_globals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
