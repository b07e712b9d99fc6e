/*
 * emit.h — nodes whose form depends on the opset, built from the tables in
 * opsets/ (axes as an attribute or as an input, ...).  Converters call these
 * and never test opset numbers.  Each returns the output value (shapes
 * inferred), or NULL with c->err set.
 */
#ifndef P2O_EMIT_H
#define P2O_EMIT_H

#include "converter.h"

/* A 1-D int64 constant named after the call ("<name>.<what>"). */
struct p2o_value *p2o_emit_ints(struct p2o_ctx *c, const char *what,
				 const int64_t *v, size_t n);
/* A scalar constant of the given type (float32 or int64). */
struct p2o_value *p2o_emit_scalar(struct p2o_ctx *c, const char *what,
				   enum p2o_dtype dt, double v);

struct p2o_value *p2o_emit_unsqueeze(struct p2o_ctx *c, struct p2o_value *x,
				     const int64_t *axes, size_t n);
struct p2o_value *p2o_emit_squeeze(struct p2o_ctx *c, struct p2o_value *x,
				   const int64_t *axes, size_t n);
/* ReduceMean/ReduceSum/ReduceMax/ReduceMin/ReduceProd/ReduceL2...; n = 0
 * reduces every axis. */
struct p2o_value *p2o_emit_reduce(struct p2o_ctx *c, const char *op,
				  struct p2o_value *x, const int64_t *axes,
				  size_t n, int keepdims);
/* Split x along axis into parts of the given sizes (outs[0..nparts)). */
int p2o_emit_split(struct p2o_ctx *c, struct p2o_value *x, int64_t axis,
		   const int64_t *sizes, size_t nparts, struct p2o_value **outs);
/* Slice with constant starts/ends/axes/steps (n entries each; steps may
 * be NULL for all 1). */
struct p2o_value *p2o_emit_slice(struct p2o_ctx *c, struct p2o_value *x,
				 const int64_t *starts, const int64_t *ends,
				 const int64_t *axes, const int64_t *steps,
				 size_t n);
/* Clip to [lo, hi]; has_lo/has_hi say which bounds exist. */
struct p2o_value *p2o_emit_clip(struct p2o_ctx *c, struct p2o_value *x,
				int has_lo, double lo, int has_hi, double hi);
/* Transpose with a permutation. */
struct p2o_value *p2o_emit_transpose(struct p2o_ctx *c, struct p2o_value *x,
				     const int64_t *perm, size_t n);
/* Reshape to a constant shape (0 copies, -1 infers). */
struct p2o_value *p2o_emit_reshape(struct p2o_ctx *c, struct p2o_value *x,
				   const int64_t *shape, size_t n);
/* Reshape y to x's shape (x of known rank, batch first): a constant
 * [0, d1, d2, ...] when the sizes after the batch are known, else the
 * runtime Shape(x), with the output typed as x. */
struct p2o_value *p2o_emit_reshape_like(struct p2o_ctx *c, struct p2o_value *y,
					struct p2o_value *x);
/* A binary elementwise op of two values.  This and the unary form return
 * NULL at once when an operand is NULL (a failed emit), so calls nest. */
struct p2o_value *p2o_emit_binary(struct p2o_ctx *c, const char *op,
				  struct p2o_value *a, struct p2o_value *b);
/* A unary op. */
struct p2o_value *p2o_emit_unary(struct p2o_ctx *c, const char *op,
				 struct p2o_value *x);
/* x op k for a number k (a 0-D constant of x's type): Mul, Add, Div, ... */
struct p2o_value *p2o_emit_binary_k(struct p2o_ctx *c, const char *op,
				    struct p2o_value *x, double k);
/* A float32 constant of the given shape, every element v (ones, zeros). */
struct p2o_value *p2o_emit_filled(struct p2o_ctx *c, const char *what, int rank,
				  const int64_t *shape, float v);
/* Concat of n values along axis. */
struct p2o_value *p2o_emit_concat(struct p2o_ctx *c, struct p2o_value *const *xs,
				  size_t n, int64_t axis);
/* Pad every axis of x: pads in ONNX order [begin_0.., end_0..] (2 * rank
 * entries), mode "constant" (with value), "reflect", "edge" or "circular"
 * (Slice + Concat: ONNX's "wrap" is opset 19 only).  Negative entries crop
 * (Slice) as PyTorch does: before padding, except for "reflect", which
 * PyTorch reflects over the whole input before cropping. */
struct p2o_value *p2o_emit_pad(struct p2o_ctx *c, struct p2o_value *x,
			       const int64_t *pads, const char *mode, double value);

/* ceil_mode for a pooling node whose PyTorch form has ceil_mode=True.
 * PyTorch drops a last window that starts in the right padding; ONNX
 * added that rule late (onnx 1.16; older checkers and runtimes count the
 * window).  Returns 0 when no axis needs rounding up (then the floor count
 * is PyTorch's, with the same windows); else 1, after shrinking the end
 * padding of axes whose extra window PyTorch drops so that no rule adds
 * one (their windows and the padding they cover do not change).  Axes of
 * unknown size need ceil_mode=1 and a runtime with the new rule. */
int p2o_pool_ceil_mode(const struct p2o_value *x, int sp, const int64_t *k,
		       const int64_t *s, int64_t *pads, const int64_t *dil);

#endif
