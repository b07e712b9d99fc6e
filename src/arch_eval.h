/*
 * arch_eval.h — running an architecture description (private to the
 * src/arch_*.c files).  Constructor bodies build the module tree; forward
 * bodies build the graph.  Control flow is resolved at conversion time:
 * conditions and loops must not depend on tensor values.
 */
#ifndef P2O_ARCH_EVAL_H
#define P2O_ARCH_EVAL_H

#include "converter.h"
#include "weights.h"

#define P2O_MAX_CALL_DEPTH 200
#define P2O_MAX_LOOP_STEPS 10000000L

struct p2o_bind_problem {
	const char *key; /* state_dict key, or the module path */
	const char *msg;
	int kind;        /* 0 missing, 1 shape/other, 2 unexpected */
};

struct p2o_bind {
	struct p2o_eval *ev;
	struct p2o_bind_problem *items;
	size_t n, cap;
	unsigned char *used; /* per checkpoint tensor (w->items) */
};

struct p2o_eval {
	struct p2o_arena *a;       /* values, scopes, modules */
	struct p2o_graph *g;       /* NULL until forward runs */
	struct p2o_err *err;
	struct p2o_scope *globals;
	const struct p2o_weights *w;
	struct p2o_bind *bind;
	int depth;
	long steps;
	struct p2o_module *forward_of; /* the module whose forward runs */
	const char **sig_keys;         /* parsed converter signatures */
	const struct p2o_ast **sig_defs;
	size_t nsigs, sigs_cap;
	int allow_missing;             /* --allow-missing: zeros, with a warning */
};

/* Statement outcomes */
enum { P2O_NEXT = 0, P2O_RETURN = 1, P2O_BREAK = 2, P2O_CONTINUE = 3 };

int p2o_eval_expr(struct p2o_eval *ev, struct p2o_scope *sc,
		  const struct p2o_ast *e, struct p2o_val **out);
/* Run a suite; *ret holds the value of a `return`. */
int p2o_exec_suite(struct p2o_eval *ev, struct p2o_scope *sc,
		   const struct p2o_ast *suite, struct p2o_val **ret);

/* Call any callable value with positional and keyword arguments. */
int p2o_call_value(struct p2o_eval *ev, struct p2o_val *callee,
		   struct p2o_val **args, size_t nargs, const char **kwnames,
		   struct p2o_val **kwvals, size_t nkw, struct p2o_pos pos,
		   struct p2o_val **out);
/* Bind arguments to a converter's signature text ("input, dim=1"). */
int p2o_bind_signature(struct p2o_eval *ev, const char *what,
		       const char *signature, struct p2o_val **args, size_t nargs,
		       const char **kwnames, struct p2o_val **kwvals, size_t nkw,
		       struct p2o_pos pos, struct p2o_args *out);

/* Assign a value to a target (NAME, self.x, x[i], tuple of targets). */
int p2o_assign_target(struct p2o_eval *ev, struct p2o_scope *sc,
		      const struct p2o_ast *target, struct p2o_val *v);
/* An index expression: values, with AST_SLICE turned into V_SLICE. */
int p2o_eval_index(struct p2o_eval *ev, struct p2o_scope *sc,
		   const struct p2o_ast *e, struct p2o_val **out);
/* obj[index] for sequences, dicts, containers and tensors. */
int p2o_subscript(struct p2o_eval *ev, struct p2o_val *obj, struct p2o_val *index,
		  struct p2o_pos pos, struct p2o_val **out);

/* Attribute of a value (module attributes, tensor methods, ...). */
int p2o_get_attr(struct p2o_eval *ev, struct p2o_val *obj, const char *name,
		 struct p2o_pos pos, struct p2o_val **out);
/* Binary operator on two values (numbers, sequences, tensors). */
int p2o_binop(struct p2o_eval *ev, const char *op, struct p2o_val *l,
	      struct p2o_val *r, struct p2o_pos pos, struct p2o_val **out);
/* Truth of a compile-time condition (errors on tensors). */
int p2o_condition(struct p2o_eval *ev, struct p2o_val *v, struct p2o_pos pos,
		  int *out);
/* Items of an iterable value (list, tuple, range, module container). */
int p2o_iterate(struct p2o_eval *ev, struct p2o_val *v, struct p2o_pos pos,
		struct p2o_val ***items, size_t *n);

/* src/arch_builtins.c: the global scope with layers, functions and
 * compile-time builtins. */
int p2o_builtins_install(struct p2o_eval *ev, struct p2o_scope *globals);
/* src/arch_tensor_ops.c: tensor attributes (x.shape, x.view, ...) */
int p2o_tensor_attr(struct p2o_eval *ev, struct p2o_val *t, const char *name,
		    struct p2o_pos pos, struct p2o_val **out);

#endif
