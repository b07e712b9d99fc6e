/*
 * graph.h — the intermediate representation: the centre of pth2onnx.
 *
 * Front ends (.arch descriptions, built-in architectures) build a graph
 * through this API; passes (shape inference, constant folding, batch-norm
 * fusion, cleanup) transform it; src/onnx_writer.c only serialises it.
 *
 * Values are typed tensors with dimensions that are known (64), symbolic
 * ("batch_size") or unknown.  Nodes are ONNX operators, kept in
 * topological order because front ends create them in execution order.
 * Initializers point into the mapped checkpoint (zero copy) or are
 * produced lazily, one at a time, when the writer reaches them.
 * Everything lives in the graph's arena.
 */
#ifndef P2O_GRAPH_H
#define P2O_GRAPH_H

#include "tensor.h"

struct p2o_opset; /* opsets/opsets.h */

/* A dimension: known when v >= 0; symbolic when sym != NULL; otherwise
 * unknown (v < 0, sym NULL). */
struct p2o_dim {
	int64_t v;
	const char *sym;
};

enum p2o_const_kind {
	P2O_CONST_TENSOR, /* a checkpoint tensor: written without a copy when
			     it is contiguous and in host byte order */
	P2O_CONST_BYTES,  /* row-major host-order bytes in the arena (small
			     constants: shapes, axes, scalars) */
	P2O_CONST_LAZY    /* computed when written (folded batch norm, fp16) */
};

struct p2o_const;
/* Fill out (p2o_const_nbytes bytes) with the constant's data. */
typedef int (*p2o_produce_fn)(const struct p2o_const *c, void *out,
			      struct p2o_err *err);

struct p2o_const {
	enum p2o_const_kind kind;
	const struct p2o_tensor *tensor; /* TENSOR */
	const void *bytes;               /* BYTES */
	p2o_produce_fn produce;          /* LAZY */
	const void *ctx;                 /* LAZY: the producer's inputs */
};

enum {
	P2O_VAL_INPUT = 1,  /* a graph input */
	P2O_VAL_OUTPUT = 2  /* a graph output */
};

struct p2o_node;

struct p2o_value {
	const char *name;
	enum p2o_dtype dtype;
	int rank; /* -1: unknown */
	struct p2o_dim dims[P2O_MAX_RANK];
	struct p2o_node *producer; /* NULL for inputs and initializers */
	struct p2o_const *konst;   /* initializer data, or NULL */
	unsigned flags;
	size_t nuses;              /* inputs of live nodes that use it */
	const char *doc;           /* initializer doc_string, or NULL */
};

enum p2o_attr_kind {
	P2O_ATTR_INT,
	P2O_ATTR_FLOAT,
	P2O_ATTR_STRING,
	P2O_ATTR_INTS,
	P2O_ATTR_FLOATS,
	P2O_ATTR_STRINGS
};

struct p2o_attr {
	const char *name;
	enum p2o_attr_kind kind;
	int64_t i;
	float f;
	const char *s;
	int64_t *ints;
	float *floats;
	const char **strs;
	size_t n;
};

struct p2o_node {
	const char *op;     /* ONNX operator: "Conv" */
	const char *domain; /* "" for the default domain */
	const char *name;   /* the module path: "layer1.0.conv1" */
	struct p2o_value **inputs; /* NULL entries: omitted optional inputs */
	size_t nin;
	struct p2o_value **outputs;
	size_t nout;
	struct p2o_attr *attrs;
	size_t nattrs, attrs_cap;
	int dead;           /* removed by a pass; the writer skips it */
};

struct p2o_meta {
	const char *key, *value;
};

struct p2o_graph {
	struct p2o_arena arena;
	const char *name;
	const struct p2o_opset *opset;
	struct p2o_node **nodes;
	size_t nnodes, nodes_cap;
	struct p2o_value **inputs, **outputs, **inits;
	size_t ninputs, inputs_cap, noutputs, outputs_cap, ninits, inits_cap;
	struct p2o_value **values; /* every value, for lookup and passes */
	size_t nvalues, values_cap;
	struct p2o_meta *meta;     /* metadata_props */
	size_t nmeta, meta_cap;
	const char *doc;           /* graph doc_string */
	unsigned name_counter;
};

int p2o_graph_init(struct p2o_graph *g, const char *name,
		   const struct p2o_opset *opset);
void p2o_graph_free(struct p2o_graph *g);

/* ---- building (the API converters use) ---- */

/* A graph input with the given dims (copied). */
struct p2o_value *p2o_graph_input(struct p2o_graph *g, const char *name,
				  enum p2o_dtype dtype, int rank,
				  const struct p2o_dim *dims);
/* Mark v as a graph output, renamed to name (NULL keeps its name). */
int p2o_graph_output(struct p2o_graph *g, struct p2o_value *v,
		     const char *name);
/* An initializer holding a checkpoint tensor, named by its state_dict key;
 * the same tensor under the same name gives the same value. */
struct p2o_value *p2o_graph_weight(struct p2o_graph *g, const char *key,
				   const struct p2o_tensor *t);
/* A small constant initializer; data (row-major, host order) is copied.
 * name_hint: used to make a unique name. */
struct p2o_value *p2o_graph_const(struct p2o_graph *g, const char *name_hint,
				  enum p2o_dtype dtype, int rank,
				  const int64_t *shape, const void *data);
struct p2o_value *p2o_graph_const_i64(struct p2o_graph *g, const char *name_hint,
				      const int64_t *v, size_t n); /* 1-D */
struct p2o_value *p2o_graph_scalar_f32(struct p2o_graph *g,
				       const char *name_hint, float v); /* 0-D */
/* A lazily produced initializer of the given type and shape. */
struct p2o_value *p2o_graph_lazy(struct p2o_graph *g, const char *name,
				 enum p2o_dtype dtype, int rank,
				 const int64_t *shape, p2o_produce_fn produce,
				 const void *ctx);
/* A node op(inputs) with nout fresh outputs named "<name>_output_<i>" (or
 * "<name>" for a single output when unique).  name: the module path. */
struct p2o_node *p2o_graph_node(struct p2o_graph *g, const char *op,
				const char *name, struct p2o_value *const *inputs,
				size_t nin, size_t nout);
int p2o_attr_int(struct p2o_graph *g, struct p2o_node *n, const char *name,
		 int64_t v);
int p2o_attr_float(struct p2o_graph *g, struct p2o_node *n, const char *name,
		   float v);
int p2o_attr_string(struct p2o_graph *g, struct p2o_node *n, const char *name,
		    const char *v);
int p2o_attr_ints(struct p2o_graph *g, struct p2o_node *n, const char *name,
		  const int64_t *v, size_t count);
int p2o_attr_floats(struct p2o_graph *g, struct p2o_node *n, const char *name,
		    const float *v, size_t count);
int p2o_attr_strings(struct p2o_graph *g, struct p2o_node *n, const char *name,
		     const char *const *v, size_t count);
const struct p2o_attr *p2o_node_attr(const struct p2o_node *n, const char *name);
int p2o_graph_meta(struct p2o_graph *g, const char *key, const char *value);

/* ---- inspecting constants ---- */

size_t p2o_value_numel(const struct p2o_value *v); /* 0 when unknown */
size_t p2o_const_nbytes(const struct p2o_value *v);
/* Pointer to the data when it is in memory without work (BYTES, plain
 * TENSOR), else NULL. */
const void *p2o_const_data(const struct p2o_value *v);
/* Read a small integer constant (int64/int32) into out[0..max); returns
 * the count, or -1 when v is not such a constant. */
long p2o_const_ints(const struct p2o_value *v, int64_t *out, size_t max);

/* Replace every use of `from` by `to` in live nodes and graph outputs. */
void p2o_graph_replace_uses(struct p2o_graph *g, struct p2o_value *from,
			    struct p2o_value *to);
/* Recount nuses over live nodes and outputs. */
void p2o_graph_count_uses(struct p2o_graph *g);

/* A unique name from a hint ("conv1.weight" -> "conv1.weight_1"). */
const char *p2o_graph_unique_name(struct p2o_graph *g, const char *hint);

/* ---- passes (src/passes.c): fold batch norms, drop identities and dead
 * nodes.  Shapes are inferred node by node as the graph is built
 * (src/shape_infer.h). ---- */
int p2o_optimize(struct p2o_graph *g, struct p2o_err *err);

/* ---- the writer (src/onnx_writer.c) ---- */
/* Write g as ONNX to path: through path.tmp-XXXXXX renamed at the end;
 * on failure nothing is left behind.  Refuses to overwrite `protect`
 * (the input checkpoint) when it is the same file.  External data
 * (src/onnx_external.c): P2O_EXTERNAL_AUTO puts large initializers in
 * path.data only when the model would exceed protobuf's 2 GiB,
 * P2O_EXTERNAL_ALWAYS always; *external_out (if not NULL) is set to
 * whether it did. */
enum p2o_external_mode { P2O_EXTERNAL_AUTO, P2O_EXTERNAL_ALWAYS };
int p2o_write_onnx(const struct p2o_graph *g, const char *path, const char *protect,
		   enum p2o_external_mode mode, int *external_out, struct p2o_err *err);

#endif
