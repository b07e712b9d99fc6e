/* tensor.c — dtypes, bounds checks and element access for stored tensors. */
#include "tensor.h"
#include "halfconv.h"

#include <string.h>

static const struct p2o_dtype_info DTYPES[P2O_DT_COUNT] = {
	[P2O_DT_INVALID] = {"invalid", "", "", 0, 0},
	[P2O_DT_FLOAT64] = {"float64", "DoubleStorage", "f8", 8, 8},
	[P2O_DT_FLOAT32] = {"float32", "FloatStorage", "f4", 4, 4},
	[P2O_DT_FLOAT16] = {"float16", "HalfStorage", "f2", 2, 2},
	[P2O_DT_BFLOAT16] = {"bfloat16", "BFloat16Storage", "", 2, 2},
	[P2O_DT_INT64] = {"int64", "LongStorage", "i8", 8, 8},
	[P2O_DT_INT32] = {"int32", "IntStorage", "i4", 4, 4},
	[P2O_DT_INT16] = {"int16", "ShortStorage", "i2", 2, 2},
	[P2O_DT_INT8] = {"int8", "CharStorage", "i1", 1, 1},
	[P2O_DT_UINT8] = {"uint8", "ByteStorage", "u1", 1, 1},
	[P2O_DT_BOOL] = {"bool", "BoolStorage", "b1", 1, 1},
	[P2O_DT_COMPLEX64] = {"complex64", "ComplexFloatStorage", "c8", 8, 4},
	[P2O_DT_COMPLEX128] = {"complex128", "ComplexDoubleStorage", "c16", 16, 8},
	[P2O_DT_QINT8] = {"qint8", "QInt8Storage", "", 1, 1},
	[P2O_DT_QUINT8] = {"quint8", "QUInt8Storage", "", 1, 1},
	[P2O_DT_QINT32] = {"qint32", "QInt32Storage", "", 4, 4},
};

/* PyTorch's other spellings of the same dtypes (torch.float, torch.half…). */
static const struct {
	const char *alias;
	enum p2o_dtype dt;
} ALIASES[] = {
	{"double", P2O_DT_FLOAT64}, {"float", P2O_DT_FLOAT32},
	{"half", P2O_DT_FLOAT16},   {"long", P2O_DT_INT64},
	{"int", P2O_DT_INT32},      {"short", P2O_DT_INT16},
	{"cfloat", P2O_DT_COMPLEX64}, {"cdouble", P2O_DT_COMPLEX128},
};

const struct p2o_dtype_info *p2o_dtype_info(enum p2o_dtype dt)
{
	if ((unsigned)dt >= P2O_DT_COUNT)
		dt = P2O_DT_INVALID;
	return &DTYPES[dt];
}

enum p2o_dtype p2o_dtype_from_name(const char *name)
{
	for (int i = 1; i < P2O_DT_COUNT; i++)
		if (!strcmp(DTYPES[i].name, name))
			return (enum p2o_dtype)i;
	for (size_t i = 0; i < P2O_ARRAY_LEN(ALIASES); i++)
		if (!strcmp(ALIASES[i].alias, name))
			return ALIASES[i].dt;
	return P2O_DT_INVALID;
}

enum p2o_dtype p2o_dtype_from_storage(const char *storage_name)
{
	for (int i = 1; i < P2O_DT_COUNT; i++)
		if (!strcmp(DTYPES[i].storage_name, storage_name))
			return (enum p2o_dtype)i;
	return P2O_DT_INVALID;
}

enum p2o_dtype p2o_dtype_from_numpy(const char *code)
{
	if (*code == '<' || *code == '>' || *code == '=' || *code == '|')
		code++;
	if (!strcmp(code, "?"))
		return P2O_DT_BOOL;
	if (!strcmp(code, "b"))
		return P2O_DT_INT8;
	if (!strcmp(code, "B"))
		return P2O_DT_UINT8;
	for (int i = 1; i < P2O_DT_COUNT; i++)
		if (DTYPES[i].numpy_code[0] && !strcmp(DTYPES[i].numpy_code, code))
			return (enum p2o_dtype)i;
	return P2O_DT_INVALID;
}

int64_t p2o_tensor_numel(const struct p2o_tensor *t)
{
	int64_t n = 1;

	for (int d = 0; d < t->rank; d++) {
		if (t->shape[d] < 0 || __builtin_mul_overflow(n, t->shape[d], &n))
			return -1;
	}
	return n;
}

int p2o_tensor_check(const struct p2o_tensor *t, const char *name,
		     struct p2o_err *err)
{
	int64_t numel = p2o_tensor_numel(t), last = t->offset;
	unsigned esize = p2o_dtype_info(t->dtype)->size;
	uint64_t need;

	if (numel < 0)
		return p2o_errf(err, P2O_EFORMAT, name,
				"tensor shape has a negative or overflowing size");
	if (t->offset < 0)
		return p2o_errf(err, P2O_EFORMAT, name,
				"negative storage offset %lld", (long long)t->offset);
	if (!t->storage || numel == 0)
		return 0;
	for (int d = 0; d < t->rank; d++) {
		int64_t span;
		if (t->stride[d] < 0)
			return p2o_errf(err, P2O_EFORMAT, name,
					"negative stride %lld in dimension %d",
					(long long)t->stride[d], d);
		if (__builtin_mul_overflow(t->shape[d] - 1, t->stride[d], &span) ||
		    __builtin_add_overflow(last, span, &last))
			return p2o_errf(err, P2O_EFORMAT, name,
					"shape and strides overflow");
	}
	/* last is the element index of the last element; it must fit. */
	if (__builtin_mul_overflow((uint64_t)last + 1, (uint64_t)esize, &need) ||
	    need > t->storage->nbytes)
		return p2o_errf(err, P2O_EFORMAT, name,
				"tensor needs elements up to %lld of storage '%s' "
				"but the storage holds %llu bytes (%llu elements of %u bytes)",
				(long long)last, t->storage->key,
				(unsigned long long)t->storage->nbytes,
				(unsigned long long)(t->storage->nbytes / esize), esize);
	return 0;
}

static int host_big_endian(void)
{
	const uint16_t one = 1;
	return *(const unsigned char *)&one == 0;
}

static int needs_swap(const struct p2o_tensor *t)
{
	return t->storage && t->storage->big_endian != host_big_endian() &&
	       p2o_dtype_info(t->dtype)->swap_unit > 1;
}

int p2o_tensor_is_plain(const struct p2o_tensor *t)
{
	int64_t expect = 1;

	if (!t->storage || needs_swap(t))
		return 0;
	for (int d = t->rank - 1; d >= 0; d--) {
		if (t->shape[d] == 1)
			continue; /* size-1 dims may carry any stride */
		if (t->shape[d] == 0)
			return 1;
		if (t->stride[d] != expect)
			return 0;
		expect *= t->shape[d];
	}
	return 1;
}

const void *p2o_tensor_plain_data(const struct p2o_tensor *t)
{
	if (!p2o_tensor_is_plain(t))
		return NULL;
	return t->storage->data + (size_t)t->offset * p2o_dtype_info(t->dtype)->size;
}

/* Storage element index of row-major element i. */
static int64_t element_index(const struct p2o_tensor *t, int64_t i)
{
	int64_t idx = t->offset;

	for (int d = t->rank - 1; d >= 0; d--) {
		if (t->shape[d] == 0)
			return t->offset;
		idx += (i % t->shape[d]) * t->stride[d];
		i /= t->shape[d];
	}
	return idx;
}

static void copy_element(const struct p2o_tensor *t, int64_t i, unsigned char *dst)
{
	const struct p2o_dtype_info *info = p2o_dtype_info(t->dtype);
	const unsigned char *src =
		t->storage->data + (size_t)element_index(t, i) * info->size;

	if (!needs_swap(t)) {
		memcpy(dst, src, info->size);
		return;
	}
	for (unsigned part = 0; part < info->size; part += info->swap_unit)
		for (unsigned b = 0; b < info->swap_unit; b++)
			dst[part + b] = src[part + info->swap_unit - 1 - b];
}

void p2o_tensor_read(const struct p2o_tensor *t, void *out)
{
	int64_t numel = p2o_tensor_numel(t);
	unsigned esize = p2o_dtype_info(t->dtype)->size;
	const void *plain = p2o_tensor_plain_data(t);

	if (numel <= 0 || !t->storage)
		return;
	if (plain) {
		memcpy(out, plain, (size_t)numel * esize);
		return;
	}
	for (int64_t i = 0; i < numel; i++)
		copy_element(t, i, (unsigned char *)out + (size_t)i * esize);
}

double p2o_tensor_get_f64(const struct p2o_tensor *t, int64_t i)
{
	unsigned char b[16];
	double d;
	float f;

	copy_element(t, i, b);
	switch (t->dtype) {
	case P2O_DT_FLOAT64: case P2O_DT_COMPLEX128:
		memcpy(&d, b, 8);
		return d;
	case P2O_DT_FLOAT32: case P2O_DT_COMPLEX64:
		memcpy(&f, b, 4);
		return f;
	case P2O_DT_FLOAT16: {
		uint16_t h;
		memcpy(&h, b, 2);
		return p2o_half_to_float(h);
	}
	case P2O_DT_BFLOAT16: {
		uint16_t h;
		memcpy(&h, b, 2);
		return p2o_bf16_to_float(h);
	}
	default:
		return (double)p2o_tensor_get_i64(t, i);
	}
}

int64_t p2o_tensor_get_i64(const struct p2o_tensor *t, int64_t i)
{
	unsigned char b[16];
	int64_t v64; int32_t v32; int16_t v16;

	copy_element(t, i, b);
	switch (t->dtype) {
	case P2O_DT_INT64: memcpy(&v64, b, 8); return v64;
	case P2O_DT_INT32: case P2O_DT_QINT32: memcpy(&v32, b, 4); return v32;
	case P2O_DT_INT16: memcpy(&v16, b, 2); return v16;
	case P2O_DT_INT8: case P2O_DT_QINT8: return (int8_t)b[0];
	case P2O_DT_UINT8: case P2O_DT_QUINT8: return b[0];
	case P2O_DT_BOOL: return b[0] != 0;
	default: return (int64_t)p2o_tensor_get_f64(t, i);
	}
}
