/*
 * dyn_int.h — ints that are only known when the model runs: x.size(0) of a
 * dynamic batch, and arithmetic on it (`b * 2`, `c // g` with a dynamic
 * c).  In the evaluator they are V_INT with i < 0 and sym_of set; as graph
 * values they are 1-D int64 tensors of one element (Shape -> Gather, then
 * Add/Sub/Mul/Div/Mod), so shape subgraphs stay 1-D (TensorRT-friendly).
 * Converters build shape inputs (Reshape, Expand, Slice) from a mix of
 * constants and dynamic ints with p2o_int_vector.
 */
#ifndef P2O_DYN_INT_H
#define P2O_DYN_INT_H

#include "converter.h"

/* v is an int whose value is only known at run time. */
int p2o_is_dyn_int(const struct p2o_val *v);
/* v is exactly the size of dimension d of x: x.size(d) itself, or the
 * size of a dimension of another tensor with the same symbol ("batch"). */
int p2o_dyn_is_dim(const struct p2o_val *v, const struct p2o_value *x, int d);
/* An int (dynamic or known) as a 1-D int64 graph value of one element. */
struct p2o_value *p2o_int_value(struct p2o_ctx *c, struct p2o_val *v);
/* A 1-D int64 vector of n entries: vals[i] where it is a dynamic int,
 * known[i] elsewhere (vals may be NULL).  A constant when nothing is
 * dynamic, else a Concat of constant runs and dynamic values. */
struct p2o_value *p2o_int_vector(struct p2o_ctx *c, const char *what,
				 struct p2o_val *const *vals, const int64_t *known,
				 size_t n);
/* The evaluator's l op r when l or r is a dynamic int: graph arithmetic
 * (+ - * // %) in forward. */
int p2o_dyn_arith(struct p2o_eval *ev, const char *op, struct p2o_val *l,
		  struct p2o_val *r, struct p2o_pos pos, struct p2o_val **out);

#endif
