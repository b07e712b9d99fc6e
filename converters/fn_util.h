/*
 * fn_util.h — helpers shared by the function converters (comparisons,
 * reductions, shape functions, indexing): dtypes and casts, operands that
 * may be numbers, dimension arguments.
 */
#ifndef P2O_FN_UTIL_H
#define P2O_FN_UTIL_H

#include "emit.h"

int p2o_is_float_dt(enum p2o_dtype t);
/* x cast to `to` (float16/float64 are kept as float32); x when equal. */
struct p2o_value *p2o_cast(struct p2o_ctx *c, struct p2o_value *x, enum p2o_dtype to);
/* The type two operands (tensors or numbers) combine to: float32 if
 * anything is float, else the tensors' common int (or bool) type. */
enum p2o_dtype p2o_common_dt(const struct p2o_val *a, const struct p2o_val *b);
/* A tensor cast to t, or a number as a 0-D constant of type t. */
struct p2o_value *p2o_operand(struct p2o_ctx *c, const struct p2o_val *v, enum p2o_dtype t,
			      const char *what);
/* d (negative counts from the end) as an axis of a rank-`rank` tensor. */
int p2o_axis(struct p2o_ctx *c, int64_t d, int rank, int64_t *out);
/* An int or a tuple/list of ints as normalised axes (*n = 0 for an empty
 * tuple). */
int p2o_axes_arg(struct p2o_ctx *c, const struct p2o_val *v, int rank, int64_t *axes,
		 size_t *n);
/* *sizes arguments: f(2, 3), f((2, 3)) or f([2, 3]) -> items. */
void p2o_sizes_items(struct p2o_val *v, struct p2o_val ***items, size_t *n);
/* The known size of dimension d of x, or an error naming what for. */
int p2o_known_dim(struct p2o_ctx *c, const struct p2o_value *x, int64_t d, const char *what,
		  int64_t *out);
/* A tuple of tensors as the result of a converter. */
int p2o_tuple_result(struct p2o_ctx *c, struct p2o_value *const *xs, size_t n,
		     struct p2o_val **out);
/* Pooling over the whole of each spatial axis with a kernel known only at
 * run time (`F.avg_pool1d(x, x.shape[-1])` in M5, `F.max_pool1d(x,
 * x.size(2))` in Kim's text CNN): when a kernel_size entry is a run-time
 * size, every entry must be its axis's whole size (x.size(d), or a known
 * size equal to it) with no padding; the output has size 1 on each axis
 * (any stride): op is "GlobalAveragePool" or "GlobalMaxPool".  Returns 0
 * when the kernel is known (the caller converts it), 1 when done, -1 on
 * an error. */
int p2o_pool_whole(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value *x, int sp,
		   const char *op, struct p2o_val **out);

#endif
