/* test_tensor.c — dtype tables, bounds checks, element access and byte
 * swapping of stored tensors (src/tensor.c), and the IEEE half conversions
 * of src/halfconv.h.  Expected bit patterns come from IEEE 754 binary16:
 * 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "halfconv.h"
#include "tensor.h"

static int host_be(void)
{
	const uint16_t one = 1;
	return *(const unsigned char *)&one == 0;
}

static struct p2o_storage storage(enum p2o_dtype dt, const void *data,
				  size_t nbytes, int big_endian)
{
	struct p2o_storage s = {0};
	s.key = "s";
	s.dtype = dt;
	s.numel = nbytes / p2o_dtype_info(dt)->size;
	s.data = data;
	s.nbytes = nbytes;
	s.big_endian = big_endian;
	s.resolved = 1;
	return s;
}

static struct p2o_tensor tensor(struct p2o_storage *s, enum p2o_dtype dt, int rank,
				const int64_t *shape, const int64_t *stride,
				int64_t offset)
{
	struct p2o_tensor t = {0};
	t.storage = s;
	t.dtype = dt;
	t.rank = rank;
	for (int d = 0; d < rank; d++) {
		t.shape[d] = shape[d];
		t.stride[d] = stride ? stride[d] : 0;
	}
	t.offset = offset;
	t.device = "cpu";
	return t;
}

/* ---- dtype tables ---- */

static void test_dtype_tables(void **state)
{
	(void)state;
	assert_int_equal(p2o_dtype_from_storage("FloatStorage"), P2O_DT_FLOAT32);
	assert_int_equal(p2o_dtype_from_storage("DoubleStorage"), P2O_DT_FLOAT64);
	assert_int_equal(p2o_dtype_from_storage("HalfStorage"), P2O_DT_FLOAT16);
	assert_int_equal(p2o_dtype_from_storage("BFloat16Storage"), P2O_DT_BFLOAT16);
	assert_int_equal(p2o_dtype_from_storage("LongStorage"), P2O_DT_INT64);
	assert_int_equal(p2o_dtype_from_storage("IntStorage"), P2O_DT_INT32);
	assert_int_equal(p2o_dtype_from_storage("ByteStorage"), P2O_DT_UINT8);
	assert_int_equal(p2o_dtype_from_storage("CharStorage"), P2O_DT_INT8);
	assert_int_equal(p2o_dtype_from_storage("BoolStorage"), P2O_DT_BOOL);
	assert_int_equal(p2o_dtype_from_storage("ComplexFloatStorage"), P2O_DT_COMPLEX64);
	assert_int_equal(p2o_dtype_from_storage("NopeStorage"), P2O_DT_INVALID);
	assert_int_equal(p2o_dtype_from_storage(""), P2O_DT_INVALID);

	assert_int_equal(p2o_dtype_from_name("float32"), P2O_DT_FLOAT32);
	assert_int_equal(p2o_dtype_from_name("float"), P2O_DT_FLOAT32);
	assert_int_equal(p2o_dtype_from_name("half"), P2O_DT_FLOAT16);
	assert_int_equal(p2o_dtype_from_name("double"), P2O_DT_FLOAT64);
	assert_int_equal(p2o_dtype_from_name("long"), P2O_DT_INT64);
	assert_int_equal(p2o_dtype_from_name("int"), P2O_DT_INT32);
	assert_int_equal(p2o_dtype_from_name("bfloat16"), P2O_DT_BFLOAT16);
	assert_int_equal(p2o_dtype_from_name("cfloat"), P2O_DT_COMPLEX64);
	assert_int_equal(p2o_dtype_from_name("bool"), P2O_DT_BOOL);
	assert_int_equal(p2o_dtype_from_name("invalid"), P2O_DT_INVALID);
	assert_int_equal(p2o_dtype_from_name("float128"), P2O_DT_INVALID);

	assert_int_equal(p2o_dtype_from_numpy("<f8"), P2O_DT_FLOAT64);
	assert_int_equal(p2o_dtype_from_numpy("f4"), P2O_DT_FLOAT32);
	assert_int_equal(p2o_dtype_from_numpy("<f2"), P2O_DT_FLOAT16);
	assert_int_equal(p2o_dtype_from_numpy(">i4"), P2O_DT_INT32);
	assert_int_equal(p2o_dtype_from_numpy("<i8"), P2O_DT_INT64);
	assert_int_equal(p2o_dtype_from_numpy("|u1"), P2O_DT_UINT8);
	assert_int_equal(p2o_dtype_from_numpy("|i1"), P2O_DT_INT8);
	assert_int_equal(p2o_dtype_from_numpy("|b1"), P2O_DT_BOOL);
	assert_int_equal(p2o_dtype_from_numpy("?"), P2O_DT_BOOL);
	assert_int_equal(p2o_dtype_from_numpy("<c16"), P2O_DT_COMPLEX128);
	assert_int_equal(p2o_dtype_from_numpy("<U4"), P2O_DT_INVALID);
	assert_int_equal(p2o_dtype_from_numpy(""), P2O_DT_INVALID);

	assert_int_equal(p2o_dtype_info(P2O_DT_COMPLEX64)->size, 8);
	assert_int_equal(p2o_dtype_info(P2O_DT_COMPLEX64)->swap_unit, 4);
	assert_int_equal(p2o_dtype_info(P2O_DT_BFLOAT16)->size, 2);
	assert_int_equal(p2o_dtype_info(P2O_DT_INT64)->size, 8);
	assert_string_equal(p2o_dtype_info(P2O_DT_COUNT)->name, "invalid");
}

/* ---- numel and bounds ---- */

static void test_numel(void **state)
{
	struct p2o_tensor t;
	(void)state;
	t = tensor(NULL, P2O_DT_FLOAT32, 0, NULL, NULL, 0);
	assert_int_equal(p2o_tensor_numel(&t), 1); /* a scalar */
	t = tensor(NULL, P2O_DT_FLOAT32, 3, (int64_t[]){2, 3, 4}, NULL, 0);
	assert_int_equal(p2o_tensor_numel(&t), 24);
	t = tensor(NULL, P2O_DT_FLOAT32, 2, (int64_t[]){0, 5}, NULL, 0);
	assert_int_equal(p2o_tensor_numel(&t), 0);
	t = tensor(NULL, P2O_DT_FLOAT32, 2, (int64_t[]){INT64_C(1) << 62, 1}, NULL, 0);
	assert_true(p2o_tensor_numel(&t) == INT64_C(1) << 62);
	t = tensor(NULL, P2O_DT_FLOAT32, 2, (int64_t[]){INT64_C(1) << 62, 2}, NULL, 0);
	assert_true(p2o_tensor_numel(&t) == -1); /* 2^63 overflows */
	t = tensor(NULL, P2O_DT_FLOAT32, 2, (int64_t[]){3037000500, 3037000500}, NULL, 0);
	assert_true(p2o_tensor_numel(&t) == -1);
	t = tensor(NULL, P2O_DT_FLOAT32, 2, (int64_t[]){-1, 3}, NULL, 0);
	assert_true(p2o_tensor_numel(&t) == -1);
}

static void test_check(void **state)
{
	static const float data[6] = {0};
	struct p2o_storage s = storage(P2O_DT_FLOAT32, data, sizeof data, 0);
	struct p2o_tensor t;
	struct p2o_err err;
	(void)state;
#define OK_CHECK() do { p2o_err_clear(&err); \
	assert_int_equal(p2o_tensor_check(&t, "w", &err), 0); \
	assert_int_equal(err.code, P2O_OK); } while (0)
#define BAD_CHECK(needle) do { p2o_err_clear(&err); \
	assert_int_equal(p2o_tensor_check(&t, "w", &err), -1); \
	assert_int_equal(err.code, P2O_EFORMAT); \
	if (needle[0] && !strstr(err.msg, needle)) fail_msg("msg: %s", err.msg); } while (0)

	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){3, 1}, 0);
	OK_CHECK();                     /* elements 0..5 of 6 */
	t.offset = 1;
	BAD_CHECK("");                  /* 1..6: one past the end */
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2}, 0);
	OK_CHECK();                     /* last = 0 + 1*1 + 2*2 = 5 */
	t.offset = 1;
	BAD_CHECK("");                  /* last = 6 */
	t = tensor(&s, P2O_DT_FLOAT32, 1, (int64_t[]){7}, (int64_t[]){1}, 0);
	BAD_CHECK("");                  /* 7 elements in 6 */
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){3, -1}, 2);
	BAD_CHECK("negative stride");
	t = tensor(&s, P2O_DT_FLOAT32, 1, (int64_t[]){1}, (int64_t[]){1}, -1);
	BAD_CHECK("negative");
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 2}, (int64_t[]){INT64_MAX, 1}, 0);
	BAD_CHECK("");
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){INT64_C(1) << 62, 2}, (int64_t[]){2, 1}, 0);
	BAD_CHECK("");                  /* numel overflows */
	/* float64 view of 24 bytes: 3 elements */
	t = tensor(&s, P2O_DT_FLOAT64, 1, (int64_t[]){3}, (int64_t[]){1}, 0);
	OK_CHECK();
	t.shape[0] = 4;
	BAD_CHECK("");
	/* broadcast (stride 0) reads element 0 only */
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){1000, 6}, (int64_t[]){0, 1}, 0);
	OK_CHECK();
	/* a meta tensor has no storage: nothing to check */
	t = tensor(NULL, P2O_DT_FLOAT32, 1, (int64_t[]){100}, (int64_t[]){1}, 0);
	OK_CHECK();
}

static void test_is_plain(void **state)
{
	static const float data[6] = {0};
	struct p2o_storage s = storage(P2O_DT_FLOAT32, data, sizeof data, host_be());
	struct p2o_storage be = storage(P2O_DT_FLOAT32, data, sizeof data, !host_be());
	struct p2o_storage be8 = storage(P2O_DT_UINT8, data, sizeof data, !host_be());
	struct p2o_tensor t;
	(void)state;
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){3, 1}, 0);
	assert_true(p2o_tensor_is_plain(&t));
	t.offset = 1;
	t.shape[0] = 1;
	assert_true(p2o_tensor_is_plain(&t));
	assert_ptr_equal(p2o_tensor_plain_data(&t), (const unsigned char *)data + 4);
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2}, 0);
	assert_false(p2o_tensor_is_plain(&t));            /* transposed */
	assert_null(p2o_tensor_plain_data(&t));
	t = tensor(&s, P2O_DT_FLOAT32, 3, (int64_t[]){1, 3, 1}, (int64_t[]){99, 1, 7}, 0);
	assert_true(p2o_tensor_is_plain(&t));
	t = tensor(&s, P2O_DT_FLOAT32, 3, (int64_t[]){2, 1, 3}, (int64_t[]){3, 5, 1}, 0);
	assert_true(p2o_tensor_is_plain(&t));
	t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){6, 1}, 0);
	assert_false(p2o_tensor_is_plain(&t));            /* row gap */
	t = tensor(&be, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3}, (int64_t[]){3, 1}, 0);
	assert_false(p2o_tensor_is_plain(&t));            /* needs a swap */
	t = tensor(&be8, P2O_DT_UINT8, 1, (int64_t[]){24}, (int64_t[]){1}, 0);
	assert_true(p2o_tensor_is_plain(&t));             /* bytes have no order */
	t = tensor(NULL, P2O_DT_FLOAT32, 1, (int64_t[]){3}, (int64_t[]){1}, 0);
	assert_false(p2o_tensor_is_plain(&t));
}

/* ---- reading ---- */

static void test_read_transposed(void **state)
{
	/* storage: pad, then a 3x2 row-major [[1,2],[3,4],[5,6]]; its .t() */
	static const float data[7] = {-1, 1, 2, 3, 4, 5, 6};
	static const float want[6] = {1, 3, 5, 2, 4, 6};
	struct p2o_storage s = storage(P2O_DT_FLOAT32, data, sizeof data, host_be());
	struct p2o_tensor t = tensor(&s, P2O_DT_FLOAT32, 2, (int64_t[]){2, 3},
				     (int64_t[]){1, 2}, 1);
	float out[6] = {0};
	(void)state;
	p2o_tensor_read(&t, out);
	assert_memory_equal(out, want, sizeof want);
	for (int i = 0; i < 6; i++)
		assert_true(p2o_tensor_get_f64(&t, i) == want[i]);
}

static void test_big_endian(void **state)
{
	static const unsigned char i32[] = {0x00, 0x00, 0x01, 0x02, 0xff, 0xff, 0xff,
					    0xfe, 0x80, 0x00, 0x00, 0x00};
	static const unsigned char f16[] = {0x3c, 0x00, 0xc0, 0x00, 0x7b, 0xff};
	/* complex64 1 - 2j: real 1.0f = 3f800000, imag -2.0f = c0000000 */
	static const unsigned char c64[] = {0x3f, 0x80, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00};
	static const unsigned char f64[] = {0x3f, 0xd0, 0, 0, 0, 0, 0, 0};
	/* int16 2x2 [[1, 2], [3, 4]] stored big-endian, read transposed */
	static const unsigned char i16[] = {0, 1, 0, 2, 0, 3, 0, 4};
	int be = !host_be();
	struct p2o_storage s;
	struct p2o_tensor t;
	(void)state;

	s = storage(P2O_DT_INT32, i32, sizeof i32, be);
	t = tensor(&s, P2O_DT_INT32, 1, (int64_t[]){3}, (int64_t[]){1}, 0);
	int32_t iv[3];
	p2o_tensor_read(&t, iv);
	assert_int_equal(iv[0], 258);
	assert_int_equal(iv[1], -2);
	assert_true(iv[2] == INT32_MIN);
	assert_true(p2o_tensor_get_i64(&t, 1) == -2);

	s = storage(P2O_DT_FLOAT16, f16, sizeof f16, be);
	t = tensor(&s, P2O_DT_FLOAT16, 1, (int64_t[]){3}, (int64_t[]){1}, 0);
	uint16_t hv[3];
	p2o_tensor_read(&t, hv);
	assert_int_equal(hv[0], 0x3c00);
	assert_int_equal(hv[1], 0xc000);
	assert_int_equal(hv[2], 0x7bff);
	assert_true(p2o_tensor_get_f64(&t, 0) == 1.0);
	assert_true(p2o_tensor_get_f64(&t, 1) == -2.0);
	assert_true(p2o_tensor_get_f64(&t, 2) == 65504.0);

	s = storage(P2O_DT_COMPLEX64, c64, sizeof c64, be);
	t = tensor(&s, P2O_DT_COMPLEX64, 1, (int64_t[]){1}, (int64_t[]){1}, 0);
	float cv[2];
	p2o_tensor_read(&t, cv);
	assert_true(cv[0] == 1.0f);
	assert_true(cv[1] == -2.0f);

	s = storage(P2O_DT_FLOAT64, f64, sizeof f64, be);
	t = tensor(&s, P2O_DT_FLOAT64, 0, NULL, NULL, 0);
	assert_true(p2o_tensor_get_f64(&t, 0) == 0.25);

	s = storage(P2O_DT_INT16, i16, sizeof i16, be);
	t = tensor(&s, P2O_DT_INT16, 2, (int64_t[]){2, 2}, (int64_t[]){1, 2}, 0);
	int16_t sv[4];
	p2o_tensor_read(&t, sv);
	assert_int_equal(sv[0], 1);
	assert_int_equal(sv[1], 3);
	assert_int_equal(sv[2], 2);
	assert_int_equal(sv[3], 4);
}

static void test_get_f64_half(void **state)
{
	static const uint16_t h[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00,
				     0xfc00, 0x0400, 0x3555, 0x8000, 0x7e00};
	static const uint16_t bf[] = {0x3f80, 0xc040, 0x4049, 0x7f80};
	struct p2o_storage s = storage(P2O_DT_FLOAT16, h, sizeof h, host_be());
	struct p2o_tensor t = tensor(&s, P2O_DT_FLOAT16, 1, (int64_t[]){10},
				     (int64_t[]){1}, 0);
	double v;
	(void)state;
	assert_true(p2o_tensor_get_f64(&t, 0) == 1.0);
	assert_true(p2o_tensor_get_f64(&t, 1) == -2.0);
	assert_true(p2o_tensor_get_f64(&t, 2) == 65504.0);
	assert_true(p2o_tensor_get_f64(&t, 3) == ldexp(1.0, -24));
	assert_true(p2o_tensor_get_f64(&t, 4) == INFINITY);
	assert_true(p2o_tensor_get_f64(&t, 5) == -INFINITY);
	assert_true(p2o_tensor_get_f64(&t, 6) == ldexp(1.0, -14));
	assert_true(p2o_tensor_get_f64(&t, 7) == 1365.0 / 4096.0);
	v = p2o_tensor_get_f64(&t, 8);
	assert_true(v == 0.0 && signbit(v));
	assert_true(isnan(p2o_tensor_get_f64(&t, 9)));

	s = storage(P2O_DT_BFLOAT16, bf, sizeof bf, host_be());
	t = tensor(&s, P2O_DT_BFLOAT16, 1, (int64_t[]){4}, (int64_t[]){1}, 0);
	assert_true(p2o_tensor_get_f64(&t, 0) == 1.0);
	assert_true(p2o_tensor_get_f64(&t, 1) == -3.0);
	assert_true(p2o_tensor_get_f64(&t, 2) == 3.140625);
	assert_true(p2o_tensor_get_f64(&t, 3) == INFINITY);
}

static void test_get_ints(void **state)
{
	static const unsigned char b[] = {0xff, 0x02, 0x80};
	struct p2o_storage s = storage(P2O_DT_UINT8, b, sizeof b, 0);
	struct p2o_tensor t = tensor(&s, P2O_DT_INT8, 1, (int64_t[]){3}, (int64_t[]){1}, 0);
	(void)state;
	assert_true(p2o_tensor_get_i64(&t, 0) == -1);
	assert_true(p2o_tensor_get_i64(&t, 2) == -128);
	t.dtype = P2O_DT_UINT8;
	assert_true(p2o_tensor_get_i64(&t, 0) == 255);
	t.dtype = P2O_DT_BOOL;
	assert_true(p2o_tensor_get_i64(&t, 1) == 1);
	assert_true(p2o_tensor_get_f64(&t, 0) == 1.0);
}

/* ---- halfconv.h ---- */

static void test_float_to_half(void **state)
{
	(void)state;
	assert_int_equal(p2o_float_to_half(1.0f), 0x3c00);
	assert_int_equal(p2o_float_to_half(-2.0f), 0xc000);
	assert_int_equal(p2o_float_to_half(0.0f), 0x0000);
	assert_int_equal(p2o_float_to_half(-0.0f), 0x8000);
	assert_int_equal(p2o_float_to_half(65504.0f), 0x7bff);
	assert_int_equal(p2o_float_to_half(-65504.0f), 0xfbff);
	assert_int_equal(p2o_float_to_half(65519.0f), 0x7bff); /* below the tie */
	assert_int_equal(p2o_float_to_half(65520.0f), 0x7c00); /* tie -> 2^16 = inf */
	assert_int_equal(p2o_float_to_half(1e9f), 0x7c00);
	assert_int_equal(p2o_float_to_half(INFINITY), 0x7c00);
	assert_int_equal(p2o_float_to_half(-INFINITY), 0xfc00);
	uint16_t n = p2o_float_to_half(NAN);
	assert_int_equal(n & 0x7c00, 0x7c00);
	assert_true((n & 0x03ff) != 0);
	assert_int_equal(p2o_float_to_half(ldexpf(1, -14)), 0x0400);
	assert_int_equal(p2o_float_to_half(ldexpf(1, -24)), 0x0001);
	assert_int_equal(p2o_float_to_half(ldexpf(1, -25)), 0x0000); /* tie -> even 0 */
	assert_int_equal(p2o_float_to_half(ldexpf(3, -26)), 0x0001); /* 1.5 * 2^-25 */
	assert_int_equal(p2o_float_to_half(ldexpf(1, -26)), 0x0000);
	assert_int_equal(p2o_float_to_half(ldexpf(5, -25)), 0x0002); /* 2.5 ulp -> 2 */
	assert_int_equal(p2o_float_to_half(ldexpf(7, -25)), 0x0004); /* 3.5 ulp -> 4 */
	assert_int_equal(p2o_float_to_half(ldexpf(1023, -24)), 0x03ff);
	assert_int_equal(p2o_float_to_half(ldexpf(2047, -25)), 0x0400); /* tie, odd -> up */
	assert_int_equal(p2o_float_to_half(1.0f + ldexpf(1, -11)), 0x3c00);
	assert_int_equal(p2o_float_to_half(1.0f + ldexpf(3, -11)), 0x3c02);
	assert_int_equal(p2o_float_to_half(1.0f + ldexpf(1, -10)), 0x3c01);
	assert_int_equal(p2o_float_to_half(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3c01);
	assert_int_equal(p2o_float_to_half(2.0f - ldexpf(1, -11)), 0x4000); /* carry */
	assert_int_equal(p2o_float_to_half(ldexpf(1, -30)), 0x0000);
	assert_true(p2o_bf16_to_float(0x3f80) == 1.0f);
}

static void test_half_roundtrip(void **state)
{
	(void)state;
	/* every binary16 value is exact in binary32: h -> f -> h is identity */
	for (uint32_t h = 0; h < 0x10000; h++) {
		if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
			continue; /* NaN payloads need not survive */
		uint16_t back = p2o_float_to_half(p2o_half_to_float((uint16_t)h));
		if (back != h)
			fail_msg("0x%04x -> %a -> 0x%04x", (unsigned)h,
				 (double)p2o_half_to_float((uint16_t)h), back);
	}
	assert_true(p2o_half_to_float(0x0001) == ldexpf(1, -24));
	assert_true(p2o_half_to_float(0x03ff) == ldexpf(1023, -24));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtype_tables),
		cmocka_unit_test(test_numel),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_is_plain),
		cmocka_unit_test(test_read_transposed),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_get_f64_half),
		cmocka_unit_test(test_get_ints),
		cmocka_unit_test(test_float_to_half),
		cmocka_unit_test(test_half_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
