/*
 * converter.h — what a converter sees.  One converter per PyTorch layer or
 * function type, keyed by PyTorch's name in converters/converters.def.
 * A converter binds its weights (layers) and emits graph nodes through the
 * builder in src/graph.h; it never touches protobuf-c types and never tests
 * opset numbers (the emit helpers in src/emit.h read opsets/ tables).
 */
#ifndef P2O_CONVERTER_H
#define P2O_CONVERTER_H

#include "arch_value.h"
#include "opsets.h"

struct p2o_bind;

/* Arguments bound to a signature: names in signature order. */
struct p2o_args {
	const char **names;
	struct p2o_val **vals;
	size_t n;
};

/* The context of one call: where it is, what to name its nodes. */
struct p2o_ctx {
	struct p2o_eval *ev;
	struct p2o_graph *g;
	struct p2o_err *err;
	struct p2o_pos pos;   /* the call in the description */
	const char *name;     /* node name: the module path or the function */
};

enum {
	P2O_CONV_LAYER = 1,     /* a torch.nn module type (else a function) */
	P2O_CONV_CONTAINER = 2, /* Sequential, ModuleList: children from args */
	/* A module that stands for a tensor (Parameter): in forward, naming it
	 * gives call()'s result (call gets no arguments). */
	P2O_CONV_TENSOR = 4
};

struct p2o_converter {
	const char *name;      /* "Conv2d" (a layer) or "relu" (a function) */
	unsigned flags;
	/* Layers: the constructor's parameters; functions: the call's, in
	 * Python syntax with defaults: "input, dim=1". */
	const char *signature;
	/* Layers: the parameters of forward (default "input"). */
	const char *forward_signature;
	/* Layers: claim and check weights, infer hyper-parameters the
	 * weights determine.  Problems go to b (see p2o_bind_param). */
	int (*bind)(struct p2o_bind *b, struct p2o_module *m);
	/* Emit the graph for a call.  m: the layer (NULL for functions);
	 * a: the call's arguments bound to the (forward) signature. */
	int (*call)(struct p2o_ctx *c, struct p2o_module *m,
		    const struct p2o_args *a, struct p2o_val **out);
};

const struct p2o_converter *p2o_converter_find(const char *name);
const char *p2o_converter_name(const struct p2o_converter *c);
/* For tests and `pth2onnx layers`: every converter, sorted by name. */
const struct p2o_converter *const *p2o_converters(size_t *n);

/* ---- arguments ---- */
struct p2o_val *p2o_arg(const struct p2o_args *a, const char *name);
int p2o_arg_is_none(const struct p2o_args *a, const char *name);
struct p2o_value *p2o_arg_tensor(struct p2o_ctx *c, const struct p2o_args *a,
				 const char *name);
int p2o_arg_int(struct p2o_ctx *c, const struct p2o_args *a, const char *name,
		int64_t *out);
int p2o_arg_float(struct p2o_ctx *c, const struct p2o_args *a, const char *name,
		  double *out);
int p2o_arg_bool(struct p2o_ctx *c, const struct p2o_args *a, const char *name,
		 int *out);
/* An int or a tuple of n ints (kernel_size=3 -> {3, 3}). */
int p2o_arg_ints(struct p2o_ctx *c, const struct p2o_args *a, const char *name,
		 int n, int64_t *out);
/* The layer's constructor arguments as p2o_args. */
struct p2o_args p2o_module_args(const struct p2o_module *m);

/* Value helpers usable on any p2o_val */
int p2o_val_int(const struct p2o_val *v, int64_t *out);
int p2o_val_float(const struct p2o_val *v, double *out);
int p2o_is_str_val(const struct p2o_val *v, const char *s);

/* ---- errors at the call site: file:line:col ---- */
int p2o_fail(struct p2o_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- weights ---- */
/* Bind: take `<path>.<local>` from the checkpoint (`<path>` itself when
 * local is "": a bare Parameter).  expected[d] < 0 means
 * any size; rank < 0 means any rank.  A missing required weight or a shape
 * mismatch is recorded (all problems are reported together); returns the
 * tensor or NULL. */
const struct p2o_tensor *p2o_bind_param(struct p2o_bind *b, struct p2o_module *m,
					const char *local, int optional, int rank,
					const int64_t *expected);
/* Record a problem about m that is not a missing key or shape. */
int p2o_bind_problem(struct p2o_bind *b, struct p2o_module *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set (or check) a hyper-parameter the weights determine. */
int p2o_bind_set_arg(struct p2o_bind *b, struct p2o_module *m, const char *name,
		     int64_t value);
/* The weight a layer bound, or NULL. */
const struct p2o_tensor *p2o_module_weight(const struct p2o_module *m,
					   const char *local);
/* The graph initializer for a bound weight (named by its state_dict key). */
struct p2o_value *p2o_weight_value(struct p2o_ctx *c, const struct p2o_module *m,
				   const char *local);

/* ---- emitting ---- */
/* A node named after the call with nout outputs; attributes are added by
 * the caller, then p2o_finish infers output shapes. */
struct p2o_node *p2o_emit(struct p2o_ctx *c, const char *op,
			  struct p2o_value *const *in, size_t nin, size_t nout);
/* Infer n's output shapes; *out (if not NULL) = its first output. */
int p2o_finish(struct p2o_ctx *c, struct p2o_node *n, struct p2o_val **out);
/* *out = the tensor x (for converters that pass a value through). */
int p2o_result(struct p2o_ctx *c, struct p2o_value *x, struct p2o_val **out);
/* *out = the tuple (items[0], ..., items[n-1]): values from p2o_result or
 * nested tuples (LSTM returns (output, (h_n, c_n))). */
int p2o_result_tuple(struct p2o_ctx *c, struct p2o_val *const *items, size_t n,
		     struct p2o_val **out);
/* op(x) with no attributes, shapes inferred. */
int p2o_unary(struct p2o_ctx *c, const char *op, struct p2o_value *x,
	      struct p2o_val **out);

#endif
