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
	FILE *f;                   /* a new file, written from offset 0 */
	int failed, errnum;
	uint64_t written;          /* bytes so far: also f's file offset */
	int no_copy_range;         /* copy_file_range failed: stop trying */
};

struct p2o_onnx_writer {
	const struct p2o_graph *g;
	const char *path;
	struct p2o_err *err;
	struct p2o_onnx_sink *out; /* NULL in the size pass */
	uint64_t size;             /* size pass: bytes counted so far */
};

/* Write pass: the n bytes at data as a raw_data payload.  Bytes inside a
 * mapped file (mapped_file.h) go file to file with copy_file_range(2),
 * never through this process's memory; when the kernel cannot do that,
 * they are written in chunks whose pages are released after each one.
 * Either way the peak RSS does not grow with n.  Failures latch like
 * append()'s. */
void p2o_onnx_sink_payload(struct p2o_onnx_sink *s, const void *data, size_t n);
/* Tests: nonzero forces the chunked write (no copy_file_range). */
extern int p2o_onnx_no_copy_range;
/* A protobuf varint into out (10 bytes at most); returns its length. */
size_t p2o_onnx_varint(unsigned char *out, uint64_t v);

/* The GraphProto's body: nodes, name, initializers, inputs, outputs and
 * value_info, in field-number order. */
int p2o_onnx_emit_graph(struct p2o_onnx_writer *w);
/* The ModelProto's fields before the graph (tail == 0: ir_version,
 * producer, doc_string) or after it (tail == 1: opset_import, metadata). */
int p2o_onnx_emit_model(struct p2o_onnx_writer *w, int tail);

#endif
