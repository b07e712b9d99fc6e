/* inspect.h — `pth2onnx inspect`: what is inside a checkpoint. */
#ifndef P2O_INSPECT_H
#define P2O_INSPECT_H

#include "weights.h"

#include <stdio.h>

struct p2o_inspect_opts {
	const char *key; /* --key */
	int json;        /* --json */
	int values;      /* --values (JSON only) */
};

int p2o_inspect(const char *path, const struct p2o_inspect_opts *opts,
		FILE *out, struct p2o_err *err);

/* Short description of a top-level value: "7", "{320 tensors}", "{…}". */
void p2o_summary(struct p2o_checkpoint *ck, const struct p2o_obj *v,
		 char *buf, size_t cap);
/* src/inspect_json.c */
int p2o_inspect_json(struct p2o_checkpoint *ck, const struct p2o_weights *w,
		     const struct p2o_inspect_opts *opts, FILE *out,
		     struct p2o_err *err);

#endif
