/* test_repr.c — p2o_float_repr against CPython's repr(float) (shortest
 * round-tripping digits; positional for decimal exponents -4..15, else
 * scientific with a signed, at least two-digit exponent) and p2o_repr of
 * plain values against CPython's / PyTorch's repr. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "pyobj.h"

static struct p2o_arena A;

static int setup(void **state)
{
	(void)state;
	p2o_arena_init(&A);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	p2o_arena_free(&A);
	return 0;
}

static void check_float(double f, const char *want)
{
	char buf[64];

	memset(buf, 'X', sizeof buf);
	p2o_float_repr(f, buf, sizeof buf);
	if (strcmp(buf, want))
		fail_msg("repr(%.17g) = '%s', expected '%s'", f, buf, want);
}

static void test_float_repr(void **state)
{
	(void)state;
	check_float(0.1, "0.1");
	check_float(1e-05, "1e-05");
	check_float(100000.0, "100000.0");
	check_float(1e16, "1e+16");
	check_float(0.25, "0.25");
	check_float(-0.0, "-0.0");
	check_float(0.0, "0.0");
	check_float(1.0 / 3, "0.3333333333333333");
	check_float(1e-4, "0.0001");
	check_float(123456789012345680.0, "1.2345678901234568e+17");
	check_float(1.0, "1.0");
	check_float(-2.5, "-2.5");
	check_float(0.1 + 0.2, "0.30000000000000004");
	check_float(1e15, "1000000000000000.0");
	check_float(9999999999999998.0, "9999999999999998.0");
	check_float(1e22, "1e+22");
	check_float(1.5e-7, "1.5e-07");
	check_float(0.00012345, "0.00012345");
	check_float(5e-324, "5e-324");
	check_float(1.7976931348623157e308, "1.7976931348623157e+308");
	check_float(2.2250738585072014e-308, "2.2250738585072014e-308");
	check_float(1e100, "1e+100");
	check_float(123.456, "123.456");
	check_float(INFINITY, "inf");
	check_float(-INFINITY, "-inf");
	check_float(NAN, "nan");
}

static void test_float_repr_small_buffer(void **state)
{
	char buf[8];
	(void)state;
	memset(buf, 'X', sizeof buf);
	p2o_float_repr(1.0 / 3, buf, 5);
	assert_int_equal(strlen(buf), 4); /* truncated, NUL inside cap */
	assert_int_equal(buf[5], 'X');
	memset(buf, 'X', sizeof buf);
	p2o_float_repr(100000.0, buf, 4);
	assert_int_equal(strlen(buf), 3);
	assert_int_equal(buf[4], 'X');
}

static struct p2o_obj *tuple_of(size_t n, const int64_t *v)
{
	struct p2o_obj *t = p2o_obj_new(&A, PY_TUPLE);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p2o_seq_push(&A, &t->u.seq, p2o_obj_int(&A, v[i])), 0);
	return t;
}

static void check_repr(const struct p2o_obj *o, const char *want)
{
	char buf[256];

	memset(buf, 'X', sizeof buf);
	p2o_repr(o, buf, sizeof buf);
	if (strcmp(buf, want))
		fail_msg("repr = '%s', expected '%s'", buf, want);
}

static void test_repr_scalars(void **state)
{
	struct p2o_obj *o;
	(void)state;
	check_repr(p2o_obj_new(&A, PY_NONE), "None");
	o = p2o_obj_new(&A, PY_BOOL);
	check_repr(o, "False");
	o->u.boolean = 1;
	check_repr(o, "True");
	check_repr(p2o_obj_int(&A, -5), "-5");
	check_repr(p2o_obj_int(&A, INT64_MIN), "-9223372036854775808");
	o = p2o_obj_new(&A, PY_FLOAT);
	o->u.f = 1e-05;
	check_repr(o, "1e-05");
	check_repr(p2o_obj_str(&A, "zeros", 5), "'zeros'");
	check_repr(p2o_obj_str(&A, "", 0), "''");
}

static void test_repr_containers(void **state)
{
	struct p2o_obj *o, *d;
	(void)state;
	check_repr(tuple_of(2, (int64_t[]){7, 7}), "(7, 7)");
	check_repr(tuple_of(1, (int64_t[]){1}), "(1,)");
	check_repr(tuple_of(0, NULL), "()");
	o = tuple_of(0, NULL);
	assert_int_equal(p2o_seq_push(&A, &o->u.seq, tuple_of(1, (int64_t[]){3})), 0);
	check_repr(o, "((3,),)");
	o = p2o_obj_new(&A, PY_LIST);
	check_repr(o, "[]");
	p2o_seq_push(&A, &o->u.seq, p2o_obj_int(&A, 1));
	check_repr(o, "[1]");
	p2o_seq_push(&A, &o->u.seq, p2o_obj_str(&A, "a", 1));
	check_repr(o, "[1, 'a']");
	d = p2o_obj_new(&A, PY_DICT);
	check_repr(d, "{}");
	p2o_dict_set(&A, &d->u.dict, p2o_obj_str(&A, "k", 1), p2o_obj_int(&A, 2));
	p2o_dict_set(&A, &d->u.dict, p2o_obj_str(&A, "j", 1), p2o_obj_new(&A, PY_NONE));
	check_repr(d, "{'k': 2, 'j': None}");
	check_repr(p2o_obj_new(&A, PY_SET), "set()");
}

/* PyTorch: repr(torch.Size([2, 3])) == 'torch.Size([2, 3])' */
static void test_repr_torch_size(void **state)
{
	struct p2o_obj *o = tuple_of(2, (int64_t[]){2, 3});
	(void)state;
	o->flags |= P2O_OBJ_SIZE;
	check_repr(o, "torch.Size([2, 3])");
}

static void test_repr_truncates(void **state)
{
	char buf[40];
	int64_t v[100];
	struct p2o_obj *o;
	(void)state;
	for (int i = 0; i < 100; i++)
		v[i] = 1000 + i;
	o = tuple_of(100, v);
	memset(buf, 'X', sizeof buf);
	p2o_repr(o, buf, 32);
	assert_true(strlen(buf) < 32);
	assert_int_equal(strncmp(buf, "(1000, 1001, ", 13), 0);
	for (size_t i = 32; i < sizeof buf; i++)
		assert_int_equal(buf[i], 'X');
	memset(buf, 'X', sizeof buf);
	p2o_repr(o, buf, 0); /* nothing may be written */
	assert_int_equal(buf[0], 'X');
	p2o_repr(o, buf, 1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'X');
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_float_repr), T(test_float_repr_small_buffer),
		T(test_repr_scalars), T(test_repr_containers),
		T(test_repr_torch_size), T(test_repr_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
