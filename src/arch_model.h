/* arch_model.h — a parsed description to a graph (src/arch_model.c). */
#ifndef P2O_ARCH_MODEL_H
#define P2O_ARCH_MODEL_H

#include "arch_eval.h"

struct p2o_build_opts {
	const char **inputs;   /* --input NAME:DIMS */
	size_t ninputs;
	const char **outputs;  /* --output NAME, in order */
	size_t noutputs;
	int64_t static_batch;  /* --static-batch N; 0 keeps batch_size dynamic */
};

/* Put the file's blocks, functions and constants in ev->globals. */
int p2o_arch_define(struct p2o_eval *ev, const struct p2o_ast *file);
/* Put the classes of library/ (built in) in ev->globals: called by
 * p2o_builtins_install, so a file's own definitions replace them. */
int p2o_arch_define_library(struct p2o_eval *ev);
/* The model called name, or the only model when name is NULL. */
const struct p2o_ast *p2o_arch_find_model(const struct p2o_ast *file, const char *name);
/* Run the model's constructor: the module tree. */
int p2o_arch_instantiate(struct p2o_eval *ev, const struct p2o_ast *model,
			 struct p2o_module **root);
/* Create the inputs, run forward, mark the outputs (ev->g must be set). */
int p2o_arch_build(struct p2o_eval *ev, const struct p2o_ast *model,
		   struct p2o_module *root, const struct p2o_build_opts *o);

#endif
