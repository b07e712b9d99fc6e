/*
 * arch_value.h — values while an architecture description runs.
 *
 * Running a description does two things: the blocks' constructor bodies
 * build a tree of modules (compile time: numbers, tuples, lists, modules),
 * and forward builds the graph (tensors are graph values).  Integers may be
 * symbolic sizes (x.size(0) of a dynamic batch) so that shapes stay
 * dynamic.
 */
#ifndef P2O_ARCH_VALUE_H
#define P2O_ARCH_VALUE_H

#include "arch_ast.h"
#include "graph.h"

struct p2o_val;
struct p2o_scope;
struct p2o_module;
struct p2o_converter;
struct p2o_eval;

enum p2o_vkind {
	V_NONE,
	V_BOOL,
	V_INT,      /* i; sym_of/sym_dim when it is a size of a tensor */
	V_FLOAT,
	V_STR,
	V_TUPLE,
	V_LIST,
	V_DICT,     /* keys/items in seq: k0, v0, k1, v1, ... */
	V_SLICE,    /* seq: start, stop, step (V_NONE when absent) */
	V_ELLIPSIS,
	V_MODULE,   /* an instance: a layer or a block */
	V_CLASS,    /* a block (AST_BLOCK) or a layer type (converter) */
	V_FUNC,     /* a def or lambda, with the scope it closes over */
	V_BUILTIN,  /* a compile-time builtin (range, len, ...) */
	V_OP,       /* a graph function (relu, cat, ...): a converter */
	V_METHOD,   /* a bound method: fn applied to self first */
	V_TENSOR,   /* a graph value */
	V_DTYPE,    /* torch.float32 ... */
	V_NAMESPACE /* torch, nn, F, math: u.s is the prefix */
};

struct p2o_seqv {
	struct p2o_val **items;
	size_t n, cap;
};

typedef int (*p2o_builtin_fn)(struct p2o_eval *ev, struct p2o_val **args,
			      size_t nargs, struct p2o_val *self,
			      struct p2o_val **out, struct p2o_pos pos);

struct p2o_val {
	enum p2o_vkind kind;
	union {
		int b;
		int64_t i;
		double f;
		const char *s;
		struct p2o_seqv seq;
		struct p2o_module *mod;
		const struct p2o_ast *cls;       /* V_CLASS: a block (NULL: a layer) */
		struct { const struct p2o_ast *def; struct p2o_scope *closure; } fn;
		struct { const char *name; p2o_builtin_fn fn; } builtin;
		struct { struct p2o_val *fn, *self; } method;
		struct p2o_value *t;
		enum p2o_dtype dtype;
	} u;
	/* V_CLASS of a layer type, V_OP: the converter; V_TUPLE: the converter
	 * that returned (values, indices), which then have those names */
	const struct p2o_converter *conv;
	/* V_INT that is dimension sym_dim of tensor sym_of (value unknown at
	 * conversion time when i < 0) */
	struct p2o_value *sym_of;
	int sym_dim;
	/* A dynamic V_INT (i < 0, sym_of set) as a graph value: a 1-D int64
	 * tensor of one element (src/dyn_int.h); made on first use for
	 * x.size(d), at once for arithmetic results (sym_dim = -1). */
	struct p2o_value *dyn;
};

/* A scope: names to values, with a parent.  A block instance's scope holds
 * its attributes (children, hyper-parameters, variables). */
struct p2o_scope {
	struct p2o_scope *parent;
	const char **names;
	struct p2o_val **vals;
	size_t n, cap;
	struct p2o_module *owner; /* the module whose attributes these are */
};

/* A module instance: a torch.nn layer (conv != NULL) or a block. */
struct p2o_module {
	const char *type;                   /* "Conv2d", "BasicBlock" */
	const struct p2o_converter *conv;   /* layers */
	const struct p2o_ast *block;        /* blocks */
	const char *path;                   /* "layer1.0.conv1"; "" for root */
	int path_set;
	struct p2o_scope *scope;            /* attributes */
	const char **child_names;           /* registration order */
	struct p2o_module **children;
	size_t nchildren, children_cap;
	/* layers: constructor arguments bound to the signature */
	const char **arg_names;
	struct p2o_val **args;
	size_t nargs;
	const char *call_text;              /* "Conv2d(3, 8, 5)" as written */
	struct p2o_pos pos;                 /* where it was constructed */
	/* layers: the weights they use, by local name ("weight") */
	const char **wnames;
	const struct p2o_tensor **weights;
	size_t nweights, weights_cap;
	void *priv;                         /* converter state */
};

struct p2o_val *p2o_v_new(struct p2o_arena *a, enum p2o_vkind kind);
struct p2o_val *p2o_v_int(struct p2o_arena *a, int64_t i);
struct p2o_val *p2o_v_float(struct p2o_arena *a, double f);
struct p2o_val *p2o_v_bool(struct p2o_arena *a, int b);
struct p2o_val *p2o_v_str(struct p2o_arena *a, const char *s);
struct p2o_val *p2o_v_tensor(struct p2o_arena *a, struct p2o_value *t);
struct p2o_val *p2o_v_none(void);
int p2o_v_push(struct p2o_arena *a, struct p2o_val *seq, struct p2o_val *item);

const char *p2o_v_kind_name(const struct p2o_val *v); /* "int", "tensor" */
/* Python-like text of a value, for messages ("(3, 3)", "'zeros'"). */
void p2o_v_repr(const struct p2o_val *v, char *buf, size_t cap);
int p2o_v_truthy(const struct p2o_val *v, int *out);
int p2o_v_equal(const struct p2o_val *a, const struct p2o_val *b);

/* Scopes */
struct p2o_scope *p2o_scope_new(struct p2o_arena *a, struct p2o_scope *parent);
struct p2o_val *p2o_scope_get(const struct p2o_scope *s, const char *name);
struct p2o_val *p2o_scope_lookup(const struct p2o_scope *s, const char *name);
int p2o_scope_set(struct p2o_arena *a, struct p2o_scope *s, const char *name,
		  struct p2o_val *v);

/* Register child under name (keeps the first position on re-assignment). */
int p2o_module_add_child(struct p2o_arena *a, struct p2o_module *m,
			 const char *name, struct p2o_module *child);
/* A layer's constructor argument by name (NULL when absent). */
struct p2o_val *p2o_module_arg(const struct p2o_module *m, const char *name);

#endif
