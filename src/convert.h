/* convert.h — `pth2onnx convert`: checkpoint + architecture -> ONNX. */
#ifndef P2O_CONVERT_H
#define P2O_CONVERT_H

#include "p2o.h"

#include <stdio.h>

struct p2o_convert_opts {
	const char *checkpoint;
	const char *arch;        /* a .arch file, FILE:MODEL, or a built-in name */
	const char *output;
	const char *key;         /* --key: which weights in the checkpoint */
	int opset;
	int64_t static_batch;    /* 0: batch_size stays dynamic */
	const char **inputs;     /* --input NAME:DIMS */
	size_t ninputs;
	const char **outputs;    /* --output NAME */
	size_t noutputs;
	int allow_missing, allow_unused;
	int optimize;            /* fold batch norms, drop dead nodes */
	int external_data;       /* --external-data: weights in OUTPUT.data even
				    under 2 GiB (over it, always) */
	FILE *log;               /* one summary line, or NULL */
};

int p2o_convert(const struct p2o_convert_opts *o, struct p2o_err *err);

#endif
