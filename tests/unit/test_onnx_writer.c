/* test_onnx_writer.c — the ONNX writer (src/onnx_writer.c, onnx_proto.c).
 *
 * Small graphs are built with the graph.h API over in-memory "checkpoint"
 * tensors, written to a temporary directory, and read back with the
 * protobuf-c code generated from onnx.proto.  Expected values come from the
 * ONNX schema (TensorProto.DataType, AttributeProto.AttributeType) and from
 * the tensors' own bytes (row-major reads of strided views done by hand).
 *
 * P2O_TEST_ONNX_OUT=/some/file.onnx also writes the main model there, to
 * check it with onnx.checker or ONNX Runtime.  The fixture is in
 * onnx_fixture.h; refusals and write errors in test_onnx_writer_errors.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "mapped_file.h"
#include "onnx.pb-c.h"
#include "onnx_proto.h"
#include "opsets.h"
#include "onnx_fixture.h"

/* ---- tests ---- */

static void test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	Onnx__ModelProto *m;
	const Onnx__GraphProto *g;
	const Onnx__NodeProto *n;
	const Onnx__AttributeProto *a;
	unsigned char *bytes, *repacked;
	size_t len;
	struct stat st;
	mode_t mask;
	float want[64];
	static const char *ops[] = {"Conv", "Relu", "MatMul", "Add", "Mul", "Clip"};
	static const char *inits[] = {"conv.weight", "conv.bias", "proj.weight",
				      "shift", "scale", "clip_max"};

	build(f, 17);
	if (getenv("P2O_TEST_ONNX_OUT")) {
		assert_int_equal(p2o_write_onnx(&f->g, getenv("P2O_TEST_ONNX_OUT"), NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);
		f->produced = 0;
	}
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);
	assert_int_equal(err.code, P2O_OK);
	assert_int_equal(f->produced, 1);
	assert_int_equal(count_entries(f->dir), 1); /* no temporary left */
	mask = umask(0);
	umask(mask);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0666 & ~mask);

	m = load(f->path, &bytes, &len);
	/* canonical protobuf: packing the parsed model gives the same bytes */
	assert_int_equal(protobuf_c_message_get_packed_size(&m->base), len);
	repacked = malloc(len);
	assert_non_null(repacked);
	assert_int_equal(protobuf_c_message_pack(&m->base, repacked), len);
	assert_memory_equal(repacked, bytes, len);
	free(repacked);

	assert_true(m->has_ir_version);
	assert_int_equal(m->ir_version, 8);
	assert_int_equal(m->n_opset_import, 1);
	assert_string_equal(m->opset_import[0]->domain, "");
	assert_int_equal(m->opset_import[0]->version, 17);
	assert_string_equal(m->producer_name, "pth2onnx");
	assert_string_equal(m->producer_version, P2O_VERSION);
	assert_string_equal(m->doc_string, "converted by the unit test");
	assert_int_equal(m->n_metadata_props, 2);
	assert_string_equal(m->metadata_props[0]->key, "source");
	assert_string_equal(m->metadata_props[0]->value, "tiny.pth");
	assert_string_equal(m->metadata_props[1]->key, "arch");
	assert_string_equal(m->metadata_props[1]->value, "tiny_net");

	g = m->graph;
	assert_non_null(g);
	assert_string_equal(g->name, "tiny_net");
	assert_int_equal(g->n_node, 6); /* the dead Unsqueeze is gone */
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(g->node[i]->op_type, ops[i]);
		assert_null(g->node[i]->domain);
		assert_int_equal(g->node[i]->n_output, 1);
	}
	n = g->node[0];
	assert_string_equal(n->name, "conv");
	assert_int_equal(n->n_input, 3);
	assert_string_equal(n->input[0], "x");
	assert_string_equal(n->input[1], "conv.weight");
	assert_string_equal(n->input[2], "conv.bias");
	assert_string_equal(n->output[0], "conv");
	assert_int_equal(n->n_attribute, 5);
	a = attr(n, "kernel_shape");
	assert_int_equal(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	assert_int_equal(a->n_ints, 2);
	assert_int_equal(a->ints[0], 3);
	assert_int_equal(a->ints[1], 3);
	a = attr(n, "pads");
	assert_int_equal(a->n_ints, 4);
	a = attr(n, "group");
	assert_int_equal(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	assert_true(a->has_i);
	assert_int_equal(a->i, 1);
	a = attr(n, "auto_pad");
	assert_int_equal(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	assert_int_equal(a->s.len, 6);
	assert_memory_equal(a->s.data, "NOTSET", 6);
	assert_string_equal(g->node[1]->input[0], "conv");
	assert_string_equal(g->node[2]->input[1], "proj.weight");
	assert_string_equal(g->node[3]->input[1], "shift");
	n = g->node[5];
	assert_int_equal(n->n_input, 3);
	assert_string_equal(n->input[0], "scale_mul");
	assert_string_equal(n->input[1], ""); /* omitted optional input */
	assert_string_equal(n->input[2], "clip_max");
	assert_string_equal(n->output[0], "y");

	/* initializers: the used ones, in creation order */
	assert_int_equal(g->n_initializer, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(g->initializer[i]->name, inits[i]);
	assert_null(find_init(g, "dead_axes"));
	assert_null(find_init(g, "orphan"));
	assert_int_equal(find_init(g, "conv.weight")->n_dims, 4);
	assert_int_equal(find_init(g, "conv.weight")->dims[0], 4);
	assert_int_equal(find_init(g, "conv.weight")->dims[3], 3);
	assert_null(find_init(g, "conv.weight")->doc_string);
	assert_floats(find_init(g, "conv.weight"), f->w, 108);
	for (int i = 0; i < 4; i++)
		want[i] = f->b[2 * i];
	assert_floats(find_init(g, "conv.bias"), want, 4);
	assert_string_equal(find_init(g, "conv.bias")->doc_string, "a strided view");
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			want[i * 8 + j] = f->t[j * 8 + i]; /* T[i][j], stride (1, 8) */
	assert_floats(find_init(g, "proj.weight"), want, 64);
	assert_int_equal(find_init(g, "proj.weight")->n_dims, 2);
	for (int i = 0; i < 4; i++)
		want[i] = 1.0f + 0.25f * (float)i;
	assert_floats(find_init(g, "shift"), want, 4);
	assert_int_equal(find_init(g, "shift")->n_dims, 3);
	assert_int_equal(find_init(g, "scale")->n_dims, 0);
	want[0] = 2.0f;
	assert_floats(find_init(g, "scale"), want, 1);

	/* inputs, outputs and value_info */
	assert_int_equal(g->n_input, 1);
	assert_string_equal(g->input[0]->name, "x");
	assert_int_equal(g->input[0]->type->value_case, ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE);
	assert_int_equal(g->input[0]->type->tensor_type->elem_type, 1);
	assert_dims(g->input[0]->type->tensor_type->shape, "batch_size,3,8,8");
	assert_int_equal(g->n_output, 1);
	assert_string_equal(g->output[0]->name, "y");
	assert_dims(g->output[0]->type->tensor_type->shape, "batch_size,4,8,8");
	assert_int_equal(g->n_value_info, 4); /* conv, relu, shift_add, scale_mul */
	assert_string_equal(g->value_info[0]->name, "conv");
	assert_int_equal(g->value_info[0]->type->tensor_type->elem_type, 1);
	assert_dims(g->value_info[0]->type->tensor_type->shape, "batch_size,4,8,8");
	assert_string_equal(g->value_info[1]->name, "relu");
	assert_null(g->value_info[1]->type->tensor_type->shape);
	assert_string_equal(g->value_info[2]->name, "shift_add");
	assert_dims(g->value_info[2]->type->tensor_type->shape, "?,4,8,8");
	assert_string_equal(g->value_info[3]->name, "scale_mul");

	onnx__model_proto__free_unpacked(m, NULL);
	free(bytes);
}

static void test_opset13_and_deterministic(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	char other[160];
	unsigned char *a, *b;
	size_t alen, blen;
	Onnx__ModelProto *m;

	build(f, 13);
	snprintf(other, sizeof other, "%s/again.onnx", f->dir);
	put_file(f->path, "an older model"); /* replaced */
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);
	assert_int_equal(p2o_write_onnx(&f->g, other, NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);
	assert_int_equal(count_entries(f->dir), 2);
	a = slurp(f->path, &alen);
	b = slurp(other, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	m = onnx__model_proto__unpack(NULL, alen, a);
	assert_non_null(m);
	assert_int_equal(m->ir_version, 7);
	assert_int_equal(m->opset_import[0]->version, 13);
	onnx__model_proto__free_unpacked(m, NULL);
	free(a);
	free(b);
}

/* Every attribute kind, a custom domain, every dtype's code. */
static void test_attrs_and_dtypes(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	static const struct { enum p2o_dtype dt; int onnx; } map[] = {
		{P2O_DT_FLOAT32, 1}, {P2O_DT_UINT8, 2}, {P2O_DT_INT8, 3},
		{P2O_DT_INT16, 5}, {P2O_DT_INT32, 6}, {P2O_DT_INT64, 7},
		{P2O_DT_BOOL, 9}, {P2O_DT_FLOAT16, 10}, {P2O_DT_FLOAT64, 11},
		{P2O_DT_COMPLEX64, 14}, {P2O_DT_COMPLEX128, 15}, {P2O_DT_BFLOAT16, 16},
	};
	const int64_t ints[3] = {-1, 0, INT64_C(1) << 40}, one = 1;
	const float floats[2] = {0.5f, -2.25f};
	const unsigned char zeros[16] = {0};
	struct p2o_value *in[P2O_ARRAY_LEN(map) + 1];
	const Onnx__NodeProto *n;
	struct p2o_node *node;
	Onnx__ModelProto *m;
	unsigned char *bytes;
	size_t len, k = 0;

	assert_int_equal(p2o_graph_init(&f->g, "attrs", p2o_opset_get(17)), 0);
	for (size_t i = 0; i < P2O_ARRAY_LEN(map); i++) {
		assert_non_null(in[k] = p2o_graph_const(&f->g, p2o_dtype_info(map[i].dt)->name,
							map[i].dt, 1, &one, zeros));
		k++;
		if (i == 2)
			in[k++] = NULL;
	}
	assert_non_null(node = p2o_graph_node(&f->g, "Custom", "custom", in, k, 2));
	node->domain = "test.domain";
	assert_int_equal(p2o_attr_int(&f->g, node, "i", -7), 0);
	assert_int_equal(p2o_attr_float(&f->g, node, "f", 1.5f), 0);
	assert_int_equal(p2o_attr_string(&f->g, node, "s", "hello"), 0);
	assert_int_equal(p2o_attr_ints(&f->g, node, "ints", ints, 3), 0);
	assert_int_equal(p2o_attr_floats(&f->g, node, "floats", floats, 2), 0);
	assert_int_equal(p2o_attr_strings(&f->g, node, "strings",
					  (const char *[]){"Relu", "Tanh"}, 2), 0);
	node->outputs[0]->dtype = P2O_DT_BOOL;
	node->outputs[0]->rank = 0;
	node->outputs[1]->dtype = P2O_DT_INT64;
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[0], "flag"), 0);
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[1], NULL), 0);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);

	m = load(f->path, &bytes, &len);
	n = m->graph->node[0];
	assert_string_equal(n->domain, "test.domain");
	assert_int_equal(n->n_input, k);
	assert_string_equal(n->input[3], "");
	assert_int_equal(attr(n, "i")->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	assert_int_equal(attr(n, "i")->i, -7);
	assert_int_equal(attr(n, "f")->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	assert_true(attr(n, "f")->has_f);
	assert_true(attr(n, "f")->f == 1.5f);
	assert_int_equal(attr(n, "s")->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	assert_memory_equal(attr(n, "s")->s.data, "hello", 5);
	assert_int_equal(attr(n, "ints")->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	assert_int_equal(attr(n, "ints")->n_ints, 3);
	assert_int_equal(attr(n, "ints")->ints[2], INT64_C(1) << 40);
	assert_int_equal(attr(n, "floats")->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
	assert_int_equal(attr(n, "floats")->n_floats, 2);
	assert_true(attr(n, "floats")->floats[1] == -2.25f);
	assert_int_equal(attr(n, "strings")->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
	assert_int_equal(attr(n, "strings")->n_strings, 2);
	assert_int_equal(attr(n, "strings")->strings[1].len, 4);
	assert_memory_equal(attr(n, "strings")->strings[1].data, "Tanh", 4);
	assert_int_equal(m->graph->n_initializer, P2O_ARRAY_LEN(map));
	for (size_t i = 0; i < P2O_ARRAY_LEN(map); i++) {
		const Onnx__TensorProto *t = m->graph->initializer[i];
		assert_int_equal(t->data_type, map[i].onnx);
		assert_int_equal(t->raw_data.len, p2o_dtype_info(map[i].dt)->size);
	}
	/* a rank-0 output has an empty shape; an unknown rank has none */
	assert_int_equal(m->graph->output[0]->type->tensor_type->elem_type, 9);
	assert_non_null(m->graph->output[0]->type->tensor_type->shape);
	assert_int_equal(m->graph->output[0]->type->tensor_type->shape->n_dim, 0);
	assert_int_equal(m->graph->output[1]->type->tensor_type->elem_type, 7);
	assert_null(m->graph->output[1]->type->tensor_type->shape);
	assert_int_equal(m->graph->n_value_info, 0);
	onnx__model_proto__free_unpacked(m, NULL);
	free(bytes);
}

static long vm_hwm_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (fp && fgets(line, sizeof line, fp))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (fp)
		fclose(fp);
	return kb;
}

/* A plain 32 MiB weight is written from its own memory: the peak RSS
 * (reset through /proc/self/clear_refs) does not grow by a copy. */
static void test_plain_is_not_copied(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	const size_t n = 8u << 20; /* floats: 32 MiB */
	const int64_t shape[1] = {(int64_t)n}, stride[1] = {1};
	float *data = malloc(n * sizeof *data);
	struct p2o_value *in[1];
	struct p2o_node *node;
	FILE *clear;
	long before = -1, after;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (float)i;
	storage_over(&f->ws, data, n);
	tensor_view(&f->wt, &f->ws, 1, shape, stride);
	assert_int_equal(p2o_graph_init(&f->g, "big", p2o_opset_get(17)), 0);
	assert_non_null(in[0] = p2o_graph_weight(&f->g, "w", &f->wt));
	assert_non_null(node = p2o_graph_node(&f->g, "Identity", "id", in, 1, 1));
	set_vshape(node->outputs[0], 1, (const struct p2o_dim[]){{shape[0], NULL}});
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[0], "y"), 0);

	if (!(clear = fopen("/proc/self/clear_refs", "w")) || fputs("5", clear) < 0 ||
	    fclose(clear) != 0 || (before = vm_hwm_kb()) < 0) {
		free(data);
		skip();
	}
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);
	after = vm_hwm_kb();
	print_message("# peak RSS %ld kB -> %ld kB writing a 32768 kB tensor\n",
		      before, after);
	assert_true(after - before < 8 * 1024);
	free(data);
}

/* Plain tensors inside a real mapped file (as a checkpoint's are): their
 * payload goes file to file with copy_file_range, or, forced, through the
 * chunked write that drops the mapping's pages; both give the bytes
 * protobuf-c packs, the same as for the same tensors in malloc'd memory,
 * and the peak RSS grows by neither the 24 MiB tensor nor the file. */
static void test_mapped_tensor(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	const size_t n = 6u << 20, hdr = 100; /* floats: 24 MiB, 3 chunks */
	const int64_t stride[1] = {1};
	char ckpt[160], out[3][160];
	unsigned char *bytes[3], *repacked, *copy = NULL;
	size_t len[3];
	float *data = malloc(n * sizeof *data), b[3] = {1.5f, -2.0f, 0.25f};
	struct p2o_map map;
	struct p2o_value *in[2];
	struct p2o_node *node;
	Onnx__ModelProto *m;
	const Onnx__TensorProto *t;
	FILE *fp;
	int fd;
	uint64_t off;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (float)i * 0.5f - 7.0f;
	snprintf(ckpt, sizeof ckpt, "%s/weights.bin", f->dir);
	assert_non_null(fp = fopen(ckpt, "wb"));
	for (size_t i = 0; i < hdr; i++) /* the tensors start off a page */
		fputc('h', fp);
	assert_int_equal(fwrite(data, sizeof *data, n, fp), n);
	assert_int_equal(fwrite(b, sizeof *b, 3, fp), 3);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(p2o_map_open(&map, ckpt, &err), 0);
	assert_int_equal(map.size, hdr + (n + 3) * sizeof(float));

	/* where a pointer lies in the file */
	assert_int_equal(p2o_map_locate(map.data + hdr, n * sizeof(float), &fd, &off), 0);
	assert_int_equal(fd, map.fd);
	assert_int_equal(off, hdr);
	assert_int_equal(p2o_map_locate(map.data + map.size, 0, &fd, &off), 0);
	assert_int_equal(off, map.size);
	assert_int_equal(p2o_map_locate(map.data + 1, map.size, &fd, &off), -1);
	assert_int_equal(p2o_map_locate(data, 16, &fd, &off), -1);
	p2o_map_release(data, 16); /* not a mapping: left alone */
	assert_true(data[3] == 3 * 0.5f - 7.0f);

	storage_over(&f->ws, (const float *)(const void *)(map.data + hdr), n);
	tensor_view(&f->wt, &f->ws, 1, (const int64_t[]){(int64_t)n}, stride);
	storage_over(&f->bs, (const float *)(const void *)(map.data + hdr + n * 4), 3);
	tensor_view(&f->bt, &f->bs, 1, (const int64_t[]){3}, stride);
	assert_true(p2o_tensor_is_plain(&f->wt));
	assert_int_equal(p2o_graph_init(&f->g, "mapped", p2o_opset_get(17)), 0);
	assert_non_null(in[0] = p2o_graph_weight(&f->g, "w", &f->wt));
	assert_non_null(in[1] = p2o_graph_weight(&f->g, "b", &f->bt));
	in[0]->doc = "from the mapping"; /* field 12: packed after raw_data */
	assert_non_null(node = p2o_graph_node(&f->g, "Concat", "cat", in, 2, 1));
	assert_int_equal(p2o_attr_int(&f->g, node, "axis", 0), 0);
	set_vshape(node->outputs[0], 1, (const struct p2o_dim[]){{(int64_t)n + 3, NULL}});
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[0], "y"), 0);

	for (int k = 0; k < 3; k++) {
		FILE *clear;
		long before = -1, after;

		snprintf(out[k], sizeof out[k], "%s/out%d.onnx", f->dir, k);
		p2o_onnx_no_copy_range = k == 1; /* 0: copy_file_range, 1: chunks */
		if (k == 2) { /* 2: the same bytes in memory of our own */
			assert_non_null(copy = malloc(map.size));
			memcpy(copy, map.data, map.size);
			f->ws.data = copy + hdr;
			f->bs.data = copy + hdr + n * 4;
		}
		if ((clear = fopen("/proc/self/clear_refs", "w"))) {
			if (fputs("5", clear) >= 0 && fclose(clear) == 0)
				before = vm_hwm_kb();
			else
				fclose(clear);
		}
		assert_int_equal(p2o_write_onnx(&f->g, out[k], NULL, P2O_EXTERNAL_AUTO, NULL, &err), 0);
		after = vm_hwm_kb();
		if (k < 2 && before >= 0) {
			print_message("# %s: peak RSS %ld kB -> %ld kB writing a %zu kB "
				      "mapped tensor\n", k ? "chunked write" : "copy_file_range",
				      before, after, n * sizeof(float) / 1024);
			assert_true(after - before < 16 * 1024);
		}
		bytes[k] = slurp(out[k], &len[k]);
	}
	p2o_onnx_no_copy_range = 0;
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(bytes[0], bytes[1], len[0]);
	assert_int_equal(len[0], len[2]);
	assert_memory_equal(bytes[0], bytes[2], len[0]);

	/* canonical protobuf-c bytes, and the tensors' own */
	m = onnx__model_proto__unpack(NULL, len[0], bytes[0]);
	assert_non_null(m);
	assert_int_equal(protobuf_c_message_get_packed_size(&m->base), len[0]);
	assert_non_null(repacked = malloc(len[0]));
	assert_int_equal(protobuf_c_message_pack(&m->base, repacked), len[0]);
	assert_memory_equal(repacked, bytes[0], len[0]);
	free(repacked);
	assert_int_equal(m->graph->n_initializer, 2);
	t = find_init(m->graph, "w");
	assert_floats(t, data, n);
	assert_string_equal(t->doc_string, "from the mapping");
	assert_int_equal(t->n_dims, 1);
	assert_int_equal(t->dims[0], (int64_t)n);
	assert_floats(find_init(m->graph, "b"), b, 3);
	assert_null(find_init(m->graph, "b")->doc_string);
	onnx__model_proto__free_unpacked(m, NULL);

	/* the mapping still reads right after its pages were dropped */
	assert_memory_equal(map.data + hdr, data, n * sizeof(float));

	/* the file size limit in the middle of the payload, either way */
	f->ws.data = map.data + hdr;
	f->bs.data = map.data + hdr + n * 4;
	for (int k = 0; k < 2; k++) {
		struct rlimit old, lim;
		void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);

		assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
		lim = old;
		lim.rlim_cur = 3u << 20;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		p2o_onnx_no_copy_range = k;
		p2o_err_clear(&err);
		assert_int_equal(p2o_write_onnx(&f->g, out[0], NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
		p2o_onnx_no_copy_range = 0;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
		signal(SIGXFSZ, old_handler);
		assert_int_equal(err.code, P2O_EIO);
		assert_non_null(strstr(err.msg, "File too large"));
		assert_int_equal(count_entries(f->dir), 4); /* no temporary left */
	}
	free(bytes[0]);
	bytes[0] = slurp(out[0], &len[0]); /* the previous model, untouched */
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(bytes[0], bytes[1], len[0]);
	p2o_map_close(&map);
	assert_int_equal(map.fd, -1);
	assert_int_equal(p2o_map_locate(copy + hdr, 16, &fd, &off), -1);
	for (int k = 0; k < 3; k++)
		free(bytes[k]);
	free(copy);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opset13_and_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attrs_and_dtypes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_is_not_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapped_tensor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
