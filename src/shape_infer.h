/* shape_infer.h — output types and shapes of one ONNX node (shape_infer.c
 * holds the table; shape_infer_ops.c the rules for data-movement ops,
 * shape_infer_spatial.c those for spatial ops). */
#ifndef P2O_SHAPE_INFER_H
#define P2O_SHAPE_INFER_H

#include "graph.h"

/* Set the dtype and dims of n's outputs from its inputs and attributes. */
int p2o_infer_node(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);

/* rules in shape_infer_ops.c */
int p2o_infer_cast(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_concat(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_gather(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_reduce(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_rnn(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_shape_op(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_slice(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_squeeze(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_transpose(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_unsqueeze(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
/* shape_infer_fn.c: 0 or -1 when it has a rule for n's op, else 1 */
int p2o_infer_fn_ops(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_where(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);

/* rules in shape_infer_spatial.c */
int p2o_infer_conv_transpose(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_depth_space(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_pad(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);
int p2o_infer_resize(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);

#endif
