/*
 * tensor.h — tensors as a checkpoint stores them: a storage (bytes inside
 * the mapped file, never copied) plus dtype, shape, strides and offset.
 */
#ifndef P2O_TENSOR_H
#define P2O_TENSOR_H

#include "p2o.h"

#define P2O_MAX_RANK 16

enum p2o_dtype {
	P2O_DT_INVALID = 0,
	P2O_DT_FLOAT64,
	P2O_DT_FLOAT32,
	P2O_DT_FLOAT16,
	P2O_DT_BFLOAT16,
	P2O_DT_INT64,
	P2O_DT_INT32,
	P2O_DT_INT16,
	P2O_DT_INT8,
	P2O_DT_UINT8,
	P2O_DT_BOOL,
	P2O_DT_COMPLEX64,
	P2O_DT_COMPLEX128,
	P2O_DT_QINT8,
	P2O_DT_QUINT8,
	P2O_DT_QINT32,
	P2O_DT_COUNT
};

struct p2o_dtype_info {
	const char *name;         /* PyTorch's: "float32" */
	const char *storage_name; /* torch.<X>Storage: "FloatStorage" */
	const char *numpy_code;   /* numpy dtype string without order: "f4" */
	unsigned size;            /* bytes per element */
	unsigned swap_unit;       /* byte-swap unit (complex swaps halves) */
};

const struct p2o_dtype_info *p2o_dtype_info(enum p2o_dtype dt);
enum p2o_dtype p2o_dtype_from_name(const char *name); /* "float32", "half" */
enum p2o_dtype p2o_dtype_from_storage(const char *storage_name);
enum p2o_dtype p2o_dtype_from_numpy(const char *code); /* "f4", "<f4" */

/* A storage: nbytes of data, in the file's byte order. */
struct p2o_storage {
	const char *key;        /* the record name: "0", "140234..." */
	enum p2o_dtype dtype;   /* the storage type's dtype */
	uint64_t numel;         /* as the persistent id declares */
	const unsigned char *data; /* into the mapping (or the arena) */
	uint64_t nbytes;        /* bytes available at data */
	int big_endian;         /* the file was written big-endian */
	int resolved;           /* data/nbytes are set */
};

struct p2o_tensor {
	struct p2o_storage *storage; /* NULL for a meta tensor (no data) */
	enum p2o_dtype dtype;
	int rank;
	int64_t shape[P2O_MAX_RANK];
	int64_t stride[P2O_MAX_RANK];
	int64_t offset;         /* in elements */
	double q_scale;         /* quantized per-tensor affine */
	int64_t q_zero_point;
	const char *device;     /* "cpu", "cuda:0" */
};

/* Number of elements; -1 on overflow. */
int64_t p2o_tensor_numel(const struct p2o_tensor *t);
/* Check offset/shape/strides lie inside the storage; fills err. */
int p2o_tensor_check(const struct p2o_tensor *t, const char *name,
		     struct p2o_err *err);
/* Contiguous row-major (size-1 dims ignored) and in host byte order: the
 * bytes can go to the output untouched. */
int p2o_tensor_is_plain(const struct p2o_tensor *t);
/* The bytes of a plain tensor, or NULL. */
const void *p2o_tensor_plain_data(const struct p2o_tensor *t);
/* Copy the tensor into out (numel * elem size bytes), row-major, host
 * byte order.  Works for every tensor that passed p2o_tensor_check. */
void p2o_tensor_read(const struct p2o_tensor *t, void *out);
/* Element i (row-major) as double / int64; for value dumps and folding. */
double p2o_tensor_get_f64(const struct p2o_tensor *t, int64_t i);
int64_t p2o_tensor_get_i64(const struct p2o_tensor *t, int64_t i);

#endif
