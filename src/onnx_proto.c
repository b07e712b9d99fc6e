/*
 * onnx_proto.c — the parts of an ONNX model, for src/onnx_writer.c.
 *
 * Each part is a message with one field set: a GraphProto holding one node
 * packs to exactly the bytes of that repeated-field entry.  emit() counts
 * a part (size pass: protobuf_c_message_get_packed_size) or packs it
 * through the writer's ProtobufCBuffer (write pass).  Initializers carry
 * raw_data.len with no data in the size pass; in the write pass their
 * bytes come from the mapped checkpoint (plain tensors: no copy, and
 * copy_file_range when the kernel can: see emit_tensor), or from one
 * malloc'd buffer per tensor, freed as soon as it is written.
 */
#include "onnx_proto.h"
#include "mapped_file.h"
#include "opsets.h"

#include <stdlib.h>
#include <string.h>

/* Count (size pass) or write (write pass) one part. */
static int emit(struct p2o_onnx_writer *w, const ProtobufCMessage *part)
{
	if (!w->out) {
		w->size += protobuf_c_message_get_packed_size(part);
		return 0;
	}
	protobuf_c_message_pack_to_buffer(part, &w->out->base);
	if (w->out->failed)
		return p2o_errf(w->err, P2O_EIO, w->path, "cannot write the model: %s",
				strerror(w->out->errnum));
	return 0;
}

static int32_t onnx_dtype(enum p2o_dtype dt)
{
	switch (dt) {
	case P2O_DT_FLOAT32: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	case P2O_DT_UINT8: return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
	case P2O_DT_INT8: return ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
	case P2O_DT_INT16: return ONNX__TENSOR_PROTO__DATA_TYPE__INT16;
	case P2O_DT_INT32: return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
	case P2O_DT_INT64: return ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	case P2O_DT_BOOL: return ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
	case P2O_DT_FLOAT16: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
	case P2O_DT_FLOAT64: return ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	case P2O_DT_COMPLEX64: return ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64;
	case P2O_DT_COMPLEX128: return ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128;
	case P2O_DT_BFLOAT16: return ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
	default: return 0;
	}
}

static int elem_type(struct p2o_onnx_writer *w, const struct p2o_value *v, int32_t *out)
{
	if (v->dtype == P2O_DT_QINT8 || v->dtype == P2O_DT_QUINT8 ||
	    v->dtype == P2O_DT_QINT32)
		return p2o_errf(w->err, P2O_ECONVERT, v->name,
				"cannot write quantized tensor %s (%s): ONNX has no "
				"quantized element type; dequantize the model first",
				v->name, p2o_dtype_info(v->dtype)->name);
	if (!(*out = onnx_dtype(v->dtype)))
		return p2o_errf(w->err, P2O_EINTERNAL, v->name,
				"value %s has no known element type", v->name);
	return 0;
}

/* ---- nodes ---- */

/* Returns -1 when the arena runs out (lists of strings need memory). */
static int set_attr(struct p2o_arena *arena, Onnx__AttributeProto *a, const struct p2o_attr *s)
{
	onnx__attribute_proto__init(a);
	a->name = (char *)s->name;
	a->has_type = 1;
	switch (s->kind) {
	case P2O_ATTR_INT:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		a->has_i = 1;
		a->i = s->i;
		break;
	case P2O_ATTR_FLOAT:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		a->has_f = 1;
		a->f = s->f;
		break;
	case P2O_ATTR_STRING:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
		a->has_s = 1;
		a->s.len = s->s ? strlen(s->s) : 0;
		a->s.data = (uint8_t *)s->s;
		break;
	case P2O_ATTR_INTS:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		a->n_ints = s->n;
		a->ints = s->ints;
		break;
	case P2O_ATTR_FLOATS:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
		a->n_floats = s->n;
		a->floats = s->floats;
		break;
	case P2O_ATTR_STRINGS:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
		if (!(a->strings = p2o_alloc_array(arena, s->n + 1, sizeof *a->strings)))
			return -1;
		a->n_strings = s->n;
		for (size_t i = 0; i < s->n; i++) {
			a->strings[i].len = strlen(s->strs[i]);
			a->strings[i].data = (uint8_t *)s->strs[i];
		}
		break;
	}
	return 0;
}

static int emit_node(struct p2o_onnx_writer *w, const struct p2o_node *n)
{
	Onnx__NodeProto node = ONNX__NODE_PROTO__INIT, *nodep = &node;
	Onnx__GraphProto part = ONNX__GRAPH_PROTO__INIT;
	Onnx__AttributeProto *attrs, **attrp;
	struct p2o_arena a;
	char **in, **out;
	int rc = -1;

	p2o_arena_init(&a);
	in = p2o_alloc_array(&a, n->nin + 1, sizeof *in);
	out = p2o_alloc_array(&a, n->nout + 1, sizeof *out);
	attrs = p2o_alloc_array(&a, n->nattrs + 1, sizeof *attrs);
	attrp = p2o_alloc_array(&a, n->nattrs + 1, sizeof *attrp);
	if (!in || !out || !attrs || !attrp) {
		p2o_errf(w->err, P2O_ENOMEM, w->path, "out of memory writing node %s",
			 n->name);
		goto done;
	}
	for (size_t i = 0; i < n->nin; i++) /* omitted optional input: "" */
		in[i] = n->inputs[i] ? (char *)n->inputs[i]->name : "";
	for (size_t i = 0; i < n->nout; i++)
		out[i] = n->outputs[i] ? (char *)n->outputs[i]->name : "";
	for (size_t i = 0; i < n->nattrs; i++) {
		if (set_attr(&a, &attrs[i], &n->attrs[i])) {
			p2o_errf(w->err, P2O_ENOMEM, w->path, "out of memory writing node %s",
				 n->name);
			goto done;
		}
		attrp[i] = &attrs[i];
	}
	node.n_input = n->nin;
	node.input = in;
	node.n_output = n->nout;
	node.output = out;
	node.name = (char *)n->name;
	node.op_type = (char *)n->op;
	node.domain = n->domain && *n->domain ? (char *)n->domain : NULL;
	node.n_attribute = n->nattrs;
	node.attribute = attrp;
	part.n_node = 1;
	part.node = &nodep;
	rc = emit(w, &part.base);
done:
	p2o_arena_free(&a);
	return rc;
}

/* ---- initializers ---- */

/* Check initializer v can be written; its data size in *nbytes. */
static int init_nbytes(struct p2o_onnx_writer *w, const struct p2o_value *v, size_t *nbytes)
{
	const struct p2o_const *c = v->konst;
	size_t numel = 1;

	if (v->rank < 0 || v->rank > P2O_MAX_RANK)
		return p2o_errf(w->err, P2O_EINTERNAL, v->name,
				"initializer %s has an unknown shape", v->name);
	for (int d = 0; d < v->rank; d++) {
		if (v->dims[d].v < 0)
			return p2o_errf(w->err, P2O_EINTERNAL, v->name,
					"initializer %s has an unknown dimension %d",
					v->name, d);
		if (p2o_mul_size(numel, (size_t)v->dims[d].v, &numel))
			return p2o_errf(w->err, P2O_ECONVERT, v->name,
					"initializer %s is too large", v->name);
	}
	if (p2o_mul_size(numel, p2o_dtype_info(v->dtype)->size, nbytes))
		return p2o_errf(w->err, P2O_ECONVERT, v->name,
				"initializer %s is too large", v->name);
	switch (c->kind) {
	case P2O_CONST_TENSOR:
		if (!c->tensor || !c->tensor->storage)
			return p2o_errf(w->err, P2O_ECONVERT, v->name,
					"tensor %s has no data (a meta tensor)", v->name);
		if (p2o_tensor_check(c->tensor, v->name, w->err))
			return -1;
		if (c->tensor->dtype != v->dtype ||
		    (uint64_t)p2o_tensor_numel(c->tensor) != numel)
			return p2o_errf(w->err, P2O_EINTERNAL, v->name,
					"initializer %s: the graph expects %zu %s "
					"elements but the tensor has %lld %s", v->name,
					numel, p2o_dtype_info(v->dtype)->name,
					(long long)p2o_tensor_numel(c->tensor),
					p2o_dtype_info(c->tensor->dtype)->name);
		return 0;
	case P2O_CONST_BYTES:
		return c->bytes || !*nbytes ? 0 :
			p2o_errf(w->err, P2O_EINTERNAL, v->name,
				 "constant %s has no data", v->name);
	case P2O_CONST_LAZY:
		return c->produce ? 0 :
			p2o_errf(w->err, P2O_EINTERNAL, v->name,
				 "lazy constant %s has no producer", v->name);
	}
	return p2o_errf(w->err, P2O_EINTERNAL, v->name, "bad constant kind");
}

#define GRAPH_INITIALIZER_TAG 0x2a /* GraphProto.initializer: 5, length-delimited */
#define TENSOR_RAW_DATA_TAG 0x4a   /* TensorProto.raw_data: 9, length-delimited */
#define TENSOR_RAW_DATA_FIELD 9

/* Unset field fd of message m, so protobuf-c packs nothing for it. */
static int clear_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd)
{
	char *base = (char *)m;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		*(size_t *)(void *)(base + fd->quantifier_offset) = 0;
	else if (fd->type == PROTOBUF_C_TYPE_STRING || fd->type == PROTOBUF_C_TYPE_MESSAGE)
		*(void **)(void *)(base + fd->offset) = NULL;
	else if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(void *)(base + fd->quantifier_offset) = 0;
	else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL)
		*(protobuf_c_boolean *)(void *)(base + fd->quantifier_offset) = 0;
	else
		return -1; /* required, or a proto3 scalar: not in TensorProto */
	return 0;
}

/* Write pass: one initializer, t with raw_data.len set and its bytes at
 * data, as the GraphProto part protobuf-c would pack (see emit), except
 * that the payload does not go through protobuf-c (which would need it
 * all in memory) but through p2o_onnx_sink_payload.  protobuf-c packs a
 * message's fields in the order of its descriptor, which is field-number
 * order, so the part is
 *
 *   0x2a varint(packed size of t)   GraphProto.initializer (field 5)
 *   head: t's fields before 9       dims 1, data_type 2, name 8
 *   0x4a varint(n) payload          raw_data (field 9), written by hand
 *   tail: t's fields after 9        doc_string 12
 *
 * head and tail are copies of t with the other fields unset, packed by
 * protobuf-c; the pieces must add up to the packed size of t. */
static int emit_tensor(struct p2o_onnx_writer *w, const Onnx__TensorProto *t,
		       const void *data)
{
	const ProtobufCMessageDescriptor *desc = t->base.descriptor;
	Onnx__TensorProto head = *t, tail = *t;
	unsigned char frame[24];
	size_t nframe, nraw, total, hsize, tsize, n = t->raw_data.len;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &desc->fields[i];
		if ((fd->id >= TENSOR_RAW_DATA_FIELD && clear_field(&head.base, fd)) ||
		    (fd->id <= TENSOR_RAW_DATA_FIELD && clear_field(&tail.base, fd)))
			return p2o_errf(w->err, P2O_EINTERNAL, t->name,
					"TensorProto field %s cannot be unset", fd->name);
	}
	total = protobuf_c_message_get_packed_size(&t->base);
	hsize = protobuf_c_message_get_packed_size(&head.base);
	tsize = protobuf_c_message_get_packed_size(&tail.base);
	frame[0] = TENSOR_RAW_DATA_TAG;
	nraw = 1 + p2o_onnx_varint(frame + 1, n);
	if (!t->has_raw_data || hsize + nraw + n + tsize != total)
		return p2o_errf(w->err, P2O_EINTERNAL, t->name,
				"initializer %s: its parts pack to %zu bytes, "
				"the whole tensor to %zu", t->name,
				hsize + nraw + n + tsize, total);
	frame[nraw] = GRAPH_INITIALIZER_TAG;
	nframe = 1 + p2o_onnx_varint(frame + nraw + 1, total);
	/* frame: [raw_data tag, length][initializer tag, length] */
	w->out->base.append(&w->out->base, nframe, frame + nraw);
	protobuf_c_message_pack_to_buffer(&head.base, &w->out->base);
	w->out->base.append(&w->out->base, nraw, frame);
	p2o_onnx_sink_payload(w->out, data, n);
	protobuf_c_message_pack_to_buffer(&tail.base, &w->out->base);
	if (w->out->failed)
		return p2o_errf(w->err, P2O_EIO, w->path, "cannot write the model: %s",
				strerror(w->out->errnum));
	return 0;
}

static int emit_init(struct p2o_onnx_writer *w, const struct p2o_value *v)
{
	Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT, *tp = &t;
	Onnx__GraphProto part = ONNX__GRAPH_PROTO__INIT;
	const struct p2o_const *c = v->konst;
	int64_t dims[P2O_MAX_RANK];
	const void *data = NULL;
	void *buf = NULL;
	size_t nbytes = 0;
	struct p2o_external_ref ext;
	int external, rc = -1;

	if (elem_type(w, v, &t.data_type) || init_nbytes(w, v, &nbytes))
		return -1;
	t.has_data_type = 1;
	t.name = (char *)v->name;
	t.doc_string = (char *)v->doc;
	for (int d = 0; d < v->rank; d++)
		dims[d] = v->dims[d].v;
	t.n_dims = (size_t)v->rank;
	t.dims = dims;
	t.has_raw_data = 1;
	t.raw_data.len = nbytes; /* all get_packed_size needs */
	if ((external = p2o_onnx_external(w, nbytes)))
		p2o_onnx_external_place(w, &t, &ext, nbytes);
	part.n_initializer = 1;
	part.initializer = &tp;
	if (!w->out)
		return emit(w, &part.base);
	if (c->kind == P2O_CONST_BYTES)
		data = c->bytes;
	else if (c->kind == P2O_CONST_TENSOR)
		data = p2o_tensor_plain_data(c->tensor); /* zero copy */
	if (!data && nbytes) {
		if (!(buf = malloc(nbytes))) {
			p2o_errf(w->err, P2O_ENOMEM, v->name,
				 "out of memory: %zu bytes for initializer %s",
				 nbytes, v->name);
			goto done;
		}
		if (c->kind == P2O_CONST_TENSOR) {
			p2o_tensor_read(c->tensor, buf);
		} else if (c->produce(c, buf, w->err)) {
			p2o_errf(w->err, P2O_EINTERNAL, v->name,
				 "cannot compute constant %s", v->name);
			goto done;
		}
		/* the checkpoint pages the reader or producer went through */
		p2o_map_release_all();
		data = buf;
	}
	if (external)
		rc = p2o_onnx_external_write(w, &ext, data) ? -1 : emit(w, &part.base);
	else
		rc = emit_tensor(w, &t, data);
done:
	free(buf);
	return rc;
}

/* ---- inputs, outputs, value_info ---- */

enum vi_field { VI_INPUT, VI_OUTPUT, VI_VALUE };

static int emit_value_info(struct p2o_onnx_writer *w, const struct p2o_value *v,
			   enum vi_field field)
{
	Onnx__ValueInfoProto vi = ONNX__VALUE_INFO_PROTO__INIT, *vip = &vi;
	Onnx__TypeProto type = ONNX__TYPE_PROTO__INIT;
	Onnx__TypeProto__Tensor tensor = ONNX__TYPE_PROTO__TENSOR__INIT;
	Onnx__TensorShapeProto shape = ONNX__TENSOR_SHAPE_PROTO__INIT;
	Onnx__TensorShapeProto__Dimension dims[P2O_MAX_RANK], *dimp[P2O_MAX_RANK];
	Onnx__GraphProto part = ONNX__GRAPH_PROTO__INIT;

	if (elem_type(w, v, &tensor.elem_type))
		return -1;
	if (v->rank > P2O_MAX_RANK)
		return p2o_errf(w->err, P2O_EINTERNAL, v->name, "bad rank %d", v->rank);
	tensor.has_elem_type = 1;
	for (int d = 0; d < v->rank; d++) {
		onnx__tensor_shape_proto__dimension__init(&dims[d]);
		if (v->dims[d].v >= 0) {
			dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			dims[d].dim_value = v->dims[d].v;
		} else if (v->dims[d].sym) {
			dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			dims[d].dim_param = (char *)v->dims[d].sym;
		}
		dimp[d] = &dims[d];
	}
	if (v->rank >= 0) { /* unknown rank: no shape at all */
		shape.n_dim = (size_t)v->rank;
		shape.dim = dimp;
		tensor.shape = &shape;
	}
	type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	type.tensor_type = &tensor;
	vi.name = (char *)v->name;
	vi.type = &type;
	if (field == VI_INPUT) {
		part.n_input = 1;
		part.input = &vip;
	} else if (field == VI_OUTPUT) {
		part.n_output = 1;
		part.output = &vip;
	} else {
		part.n_value_info = 1;
		part.value_info = &vip;
	}
	return emit(w, &part.base);
}

/* The GraphProto's fields in field-number order: node 1, name 2,
 * initializer 5, input 11, output 12, value_info 13. */
int p2o_onnx_emit_graph(struct p2o_onnx_writer *w)
{
	const struct p2o_graph *g = w->g;
	Onnx__GraphProto part = ONNX__GRAPH_PROTO__INIT;

	for (size_t i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && emit_node(w, g->nodes[i]))
			return -1;
	part.name = (char *)g->name;
	if (emit(w, &part.base))
		return -1;
	for (size_t i = 0; i < g->ninits; i++)
		if (g->inits[i]->nuses > 0 && g->inits[i]->konst &&
		    emit_init(w, g->inits[i]))
			return -1;
	for (size_t i = 0; i < g->ninputs; i++)
		if (emit_value_info(w, g->inputs[i], VI_INPUT))
			return -1;
	for (size_t i = 0; i < g->noutputs; i++)
		if (emit_value_info(w, g->outputs[i], VI_OUTPUT))
			return -1;
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct p2o_node *n = g->nodes[i];
		for (size_t k = 0; !n->dead && k < n->nout; k++) {
			const struct p2o_value *v = n->outputs[k];
			if (v && !(v->flags & P2O_VAL_OUTPUT) &&
			    v->dtype != P2O_DT_INVALID &&
			    emit_value_info(w, v, VI_VALUE))
				return -1;
		}
	}
	return 0;
}

/* ---- the model around the graph ---- */

/* tail == 0: fields 1-6 (before the graph); tail == 1: fields 8 and 14. */
int p2o_onnx_emit_model(struct p2o_onnx_writer *w, int tail)
{
	const struct p2o_graph *g = w->g;
	Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
	Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
	Onnx__OperatorSetIdProto *opsetp = &opset;
	Onnx__StringStringEntryProto *props = NULL, **propp = NULL;
	int rc = -1;

	if (!tail) {
		m.has_ir_version = 1;
		m.ir_version = g->opset->ir_version;
		m.producer_name = "pth2onnx";
		m.producer_version = P2O_VERSION;
		m.doc_string = (char *)g->doc;
		return emit(w, &m.base);
	}
	opset.domain = "";
	opset.has_version = 1;
	opset.version = g->opset->version;
	m.n_opset_import = 1;
	m.opset_import = &opsetp;
	props = calloc(g->nmeta + 1, sizeof *props);
	propp = calloc(g->nmeta + 1, sizeof *propp);
	if (!props || !propp) {
		p2o_errf(w->err, P2O_ENOMEM, w->path, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < g->nmeta; i++) {
		onnx__string_string_entry_proto__init(&props[i]);
		props[i].key = (char *)g->meta[i].key;
		props[i].value = (char *)g->meta[i].value;
		propp[i] = &props[i];
	}
	m.n_metadata_props = g->nmeta;
	m.metadata_props = propp;
	rc = emit(w, &m.base);
done:
	free(props);
	free(propp);
	return rc;
}

