/*
 * onnx_external.c — initializers stored as ONNX external data.
 *
 * A protobuf message cannot exceed 2 GiB, so a bigger model keeps its
 * weights in a second file next to it (OUT.onnx.data) and each large
 * initializer says where its bytes are: data_location = EXTERNAL and
 * external_data = {location: the data file's name relative to the model,
 * offset, length}.  Tensors smaller than P2O_EXTERNAL_MIN_BYTES stay
 * inline (as onnx.save_as_external_data does by default), so the model
 * file still shows the small constants.
 *
 * Every tensor starts at a multiple of P2O_EXTERNAL_ALIGN in the data
 * file (zero padding between them), so a runtime can map it in place.
 * Offsets are assigned in the order the initializers are emitted, which is
 * the same in the size pass and the write pass: the size pass fixes them,
 * the write pass writes each payload at its offset through the same sink
 * as inline payloads (copy_file_range from the checkpoint when possible).
 */
#include "onnx_proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int p2o_onnx_external(const struct p2o_onnx_writer *w, size_t nbytes)
{
	return w->ext_location && nbytes >= P2O_EXTERNAL_MIN_BYTES;
}

void p2o_onnx_external_place(struct p2o_onnx_writer *w, Onnx__TensorProto *t,
			     struct p2o_external_ref *r, size_t nbytes)
{
	static const char *keys[3] = {"location", "offset", "length"};
	uint64_t off = (w->ext_size + P2O_EXTERNAL_ALIGN - 1) / P2O_EXTERNAL_ALIGN *
		       P2O_EXTERNAL_ALIGN;

	r->offset = off;
	r->length = nbytes;
	snprintf(r->offset_text, sizeof r->offset_text, "%" PRIu64, off);
	snprintf(r->length_text, sizeof r->length_text, "%zu", nbytes);
	for (int i = 0; i < 3; i++) {
		onnx__string_string_entry_proto__init(&r->kv[i]);
		r->kv[i].key = (char *)keys[i];
		r->ptrs[i] = &r->kv[i];
	}
	r->kv[0].value = (char *)w->ext_location;
	r->kv[1].value = r->offset_text;
	r->kv[2].value = r->length_text;
	t->has_raw_data = 0;
	t->raw_data.len = 0;
	t->n_external_data = 3;
	t->external_data = r->ptrs;
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	w->ext_size = off + nbytes;
}

int p2o_onnx_external_write(struct p2o_onnx_writer *w, const struct p2o_external_ref *r,
			    const void *data)
{
	static const unsigned char zeros[P2O_EXTERNAL_ALIGN];
	struct p2o_onnx_sink *s = w->ext_out;

	if (s->written > r->offset)
		return p2o_errf(w->err, P2O_EINTERNAL, w->path,
				"external data: offset %" PRIu64 " already passed (%" PRIu64 ")",
				r->offset, s->written);
	s->base.append(&s->base, (size_t)(r->offset - s->written), zeros);
	p2o_onnx_sink_payload(s, data, r->length);
	if (s->failed)
		return p2o_errf(w->err, P2O_EIO, w->path, "cannot write the external data: %s",
				strerror(s->errnum));
	return 0;
}
