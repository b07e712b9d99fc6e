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
	/* External data (onnx_external.c): NULL ext_location keeps every
	 * tensor inline. */
	const char *ext_location;  /* the data file, relative to the model */
	struct p2o_onnx_sink *ext_out; /* write pass: the data file */
	uint64_t ext_size;         /* the data file's size so far (both passes) */
};

/* Initializers of at least this many bytes go to the data file, each at a
 * multiple of P2O_EXTERNAL_ALIGN. */
#define P2O_EXTERNAL_MIN_BYTES 1024
#define P2O_EXTERNAL_ALIGN 4096

/* Where one initializer's bytes are in the data file. */
struct p2o_external_ref {
	Onnx__StringStringEntryProto kv[3], *ptrs[3];
	char offset_text[24], length_text[24];
	uint64_t offset;
	size_t length;
};

/* Nonzero when a tensor of nbytes goes to the data file. */
int p2o_onnx_external(const struct p2o_onnx_writer *w, size_t nbytes);
/* Both passes: give t its external_data entries (kept in r) at the next
 * aligned offset of the data file. */
void p2o_onnx_external_place(struct p2o_onnx_writer *w, Onnx__TensorProto *t,
			     struct p2o_external_ref *r, size_t nbytes);
/* Write pass: the payload at r's offset of the data file. */
int p2o_onnx_external_write(struct p2o_onnx_writer *w, const struct p2o_external_ref *r,
			    const void *data);

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
