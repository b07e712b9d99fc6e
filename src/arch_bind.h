/* arch_bind.h — binding a checkpoint's weights to a description's layers. */
#ifndef P2O_ARCH_BIND_H
#define P2O_ARCH_BIND_H

#include "arch_eval.h"

#include <stdio.h>

enum {
	P2O_PROBLEM_MISSING, /* a layer needs a key the checkpoint lacks */
	P2O_PROBLEM_SHAPE,   /* a shape or hyper-parameter mismatch */
	P2O_PROBLEM_UNUSED,  /* a checkpoint key no layer uses */
	P2O_PROBLEM_FILLED   /* missing, filled with zeros (--allow-missing) */
};

/* Name every module by its path, run every layer's bind, and list the
 * checkpoint keys no layer used.  Problems are collected in b. */
int p2o_bind_model(struct p2o_eval *ev, struct p2o_module *root, struct p2o_bind *b);
/* Turn the problems into one P2O_EBIND error listing all of them (or
 * warnings on `warn` for those allowed).  Returns -1 when conversion
 * must stop. */
int p2o_bind_report(struct p2o_bind *b, int allow_unused,
		    FILE *warn, struct p2o_err *err);

#endif
