/*
 * onnx_proto.h — private to the ONNX writer (onnx_writer.c, onnx_proto.c):
 * the parts of a ModelProto, each counted (size pass) or written (write
 * pass) by the same code.  See the comment at the top of onnx_writer.c.
 */
#ifndef P2O_ONNX_PROTO_H
#define P2O_ONNX_PROTO_H

#include "graph.h"
#include "onnx.pb-c.h"

#include <stdio.h>

/* A ProtobufCBuffer that writes to a FILE.  append() cannot fail, so the
 * first failure latches `failed`; the writer checks it after every part. */
struct p2o_onnx_sink {
	ProtobufCBuffer base;
	FILE *f;
	int failed, errnum;
	uint64_t written;
};

struct p2o_onnx_writer {
	const struct p2o_graph *g;
	const char *path;
	struct p2o_err *err;
	struct p2o_onnx_sink *out; /* NULL in the size pass */
	uint64_t size;             /* size pass: bytes counted so far */
};

/* The GraphProto's body: nodes, name, initializers, inputs, outputs and
 * value_info, in field-number order. */
int p2o_onnx_emit_graph(struct p2o_onnx_writer *w);
/* The ModelProto's fields before the graph (tail == 0: ir_version,
 * producer, doc_string) or after it (tail == 1: opset_import, metadata). */
int p2o_onnx_emit_model(struct p2o_onnx_writer *w, int tail);

#endif
