/* test_onnx_writer.c — the ONNX writer (src/onnx_writer.c, onnx_proto.c).
 *
 * Small graphs are built with the graph.h API over in-memory "checkpoint"
 * tensors, written to a temporary directory, and read back with the
 * protobuf-c code generated from onnx.proto.  Expected values come from the
 * ONNX schema (TensorProto.DataType, AttributeProto.AttributeType) and from
 * the tensors' own bytes (row-major reads of strided views done by hand).
 *
 * P2O_TEST_ONNX_OUT=/some/file.onnx also writes the main model there, to
 * check it with onnx.checker or ONNX Runtime. */
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
#include "onnx.pb-c.h"
#include "opsets.h"

/* ---- fixture: a temporary directory and the tensors' bytes ---- */

struct fx {
	char dir[64];
	char path[128];
	struct p2o_graph g;
	struct p2o_storage ws, bs, ts;
	struct p2o_tensor wt, bt, tt;
	float w[4 * 3 * 3 * 3], b[8], t[64];
	int produced; /* calls of the lazy producer */
	int fail_produce;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	strcpy(f->dir, "/tmp/p2o-onnx-writer-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/model.onnx", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(f->dir);
	p2o_graph_free(&f->g);
	free(f);
	return 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void assert_file_is(const char *path, const char *text)
{
	size_t len;
	unsigned char *buf = slurp(path, &len);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
}

static void storage_over(struct p2o_storage *s, const float *data, size_t n)
{
	s->key = "0";
	s->dtype = P2O_DT_FLOAT32;
	s->numel = n;
	s->data = (const unsigned char *)data;
	s->nbytes = n * sizeof *data;
	s->resolved = 1;
}

static void tensor_view(struct p2o_tensor *t, struct p2o_storage *s, int rank,
			const int64_t *shape, const int64_t *stride)
{
	t->storage = s;
	t->dtype = P2O_DT_FLOAT32;
	t->rank = rank;
	for (int d = 0; d < rank; d++) {
		t->shape[d] = shape[d];
		t->stride[d] = stride[d];
	}
	t->device = "cpu";
}

static int produce_shift(const struct p2o_const *c, void *out, struct p2o_err *err)
{
	struct fx *f = (struct fx *)c->ctx;
	float *o = out;

	f->produced++;
	if (f->fail_produce)
		return p2o_errf(err, P2O_ECONVERT, "shift", "folding failed on purpose");
	for (int i = 0; i < 4; i++)
		o[i] = 1.0f + 0.25f * (float)i;
	return 0;
}

static void set_vshape(struct p2o_value *v, int rank, const struct p2o_dim *dims)
{
	v->dtype = P2O_DT_FLOAT32;
	v->rank = rank;
	for (int d = 0; d < rank; d++)
		v->dims[d] = dims[d];
}

/* x[batch_size,3,8,8] -> Conv(W plain, B strided) -> Relu -> MatMul(T
 * transposed) -> Add(lazy shift) -> Mul(scalar) -> Clip(, "", max) -> y;
 * plus a dead Identity and two unused initializers. */
static void build(struct fx *f, int opset)
{
	static const struct p2o_dim xdims[4] = {{-1, "batch_size"}, {3, NULL}, {8, NULL}, {8, NULL}};
	static const struct p2o_dim cdims[4] = {{-1, "batch_size"}, {4, NULL}, {8, NULL}, {8, NULL}};
	static const struct p2o_dim adims[4] = {{-1, NULL}, {4, NULL}, {8, NULL}, {8, NULL}};
	static const int64_t wshape[4] = {4, 3, 3, 3}, wstride[4] = {27, 9, 3, 1};
	static const int64_t bshape[1] = {4}, bstride[1] = {2};
	static const int64_t tshape[2] = {8, 8}, tstride[2] = {1, 8};
	static const int64_t lshape[3] = {4, 1, 1}, k33[2] = {3, 3}, pads[4] = {1, 1, 1, 1};
	static const int64_t ones[2] = {1, 1}, axes[1] = {1};
	struct p2o_graph *g = &f->g;
	struct p2o_value *in[3], *x;
	struct p2o_node *n;

	for (size_t i = 0; i < P2O_ARRAY_LEN(f->w); i++)
		f->w[i] = (float)i * 0.002f - 0.1f;
	for (size_t i = 0; i < P2O_ARRAY_LEN(f->b); i++)
		f->b[i] = 0.1f * (float)i - 0.3f;
	for (size_t i = 0; i < P2O_ARRAY_LEN(f->t); i++)
		f->t[i] = (float)i * 0.01f;
	storage_over(&f->ws, f->w, P2O_ARRAY_LEN(f->w));
	storage_over(&f->bs, f->b, P2O_ARRAY_LEN(f->b));
	storage_over(&f->ts, f->t, P2O_ARRAY_LEN(f->t));
	tensor_view(&f->wt, &f->ws, 4, wshape, wstride);
	tensor_view(&f->bt, &f->bs, 1, bshape, bstride);
	tensor_view(&f->tt, &f->ts, 2, tshape, tstride);
	assert_true(p2o_tensor_is_plain(&f->wt));
	assert_false(p2o_tensor_is_plain(&f->bt));
	assert_false(p2o_tensor_is_plain(&f->tt));

	assert_int_equal(p2o_graph_init(g, "tiny_net", p2o_opset_get(opset)), 0);
	assert_non_null(x = p2o_graph_input(g, "x", P2O_DT_FLOAT32, 4, xdims));
	in[0] = x;
	assert_non_null(in[1] = p2o_graph_weight(g, "conv.weight", &f->wt));
	assert_non_null(in[2] = p2o_graph_weight(g, "conv.bias", &f->bt));
	in[2]->doc = "a strided view";
	assert_non_null(n = p2o_graph_node(g, "Conv", "conv", in, 3, 1));
	assert_int_equal(p2o_attr_ints(g, n, "kernel_shape", k33, 2), 0);
	assert_int_equal(p2o_attr_ints(g, n, "pads", pads, 4), 0);
	assert_int_equal(p2o_attr_ints(g, n, "strides", ones, 2), 0);
	assert_int_equal(p2o_attr_int(g, n, "group", 1), 0);
	assert_int_equal(p2o_attr_string(g, n, "auto_pad", "NOTSET"), 0);
	set_vshape(n->outputs[0], 4, cdims);

	in[0] = n->outputs[0];
	assert_non_null(n = p2o_graph_node(g, "Relu", "relu", in, 1, 1));
	n->outputs[0]->dtype = P2O_DT_FLOAT32; /* rank unknown: no shape */

	in[0] = n->outputs[0];
	assert_non_null(in[1] = p2o_graph_weight(g, "proj.weight", &f->tt));
	assert_non_null(n = p2o_graph_node(g, "MatMul", "proj", in, 2, 1));
	/* dtype unknown: no value_info */

	in[0] = n->outputs[0];
	assert_non_null(in[1] = p2o_graph_lazy(g, "shift", P2O_DT_FLOAT32, 3, lshape,
					       produce_shift, f));
	assert_non_null(n = p2o_graph_node(g, "Add", "shift_add", in, 2, 1));
	set_vshape(n->outputs[0], 4, adims);

	in[0] = n->outputs[0];
	assert_non_null(in[1] = p2o_graph_scalar_f32(g, "scale", 2.0f));
	assert_non_null(n = p2o_graph_node(g, "Mul", "scale_mul", in, 2, 1));
	set_vshape(n->outputs[0], 4, cdims);

	in[0] = n->outputs[0];
	in[1] = NULL; /* Clip's optional min, omitted */
	assert_non_null(in[2] = p2o_graph_scalar_f32(g, "clip_max", 6.0f));
	assert_non_null(n = p2o_graph_node(g, "Clip", "clip", in, 3, 1));
	set_vshape(n->outputs[0], 4, cdims);
	assert_int_equal(p2o_graph_output(g, n->outputs[0], "y"), 0);

	assert_non_null(in[0] = p2o_graph_const_i64(g, "dead_axes", axes, 1));
	assert_non_null(n = p2o_graph_node(g, "Unsqueeze", "dead", in, 1, 1));
	n->dead = 1;
	assert_non_null(p2o_graph_scalar_f32(g, "orphan", 3.0f));
	p2o_graph_count_uses(g);

	assert_int_equal(p2o_graph_meta(g, "source", "tiny.pth"), 0);
	assert_int_equal(p2o_graph_meta(g, "arch", "tiny_net"), 0);
	g->doc = "converted by the unit test";
}

static Onnx__ModelProto *load(const char *path, unsigned char **bytes, size_t *len)
{
	Onnx__ModelProto *m;

	*bytes = slurp(path, len);
	m = onnx__model_proto__unpack(NULL, *len, *bytes);
	assert_non_null(m);
	return m;
}

static const Onnx__TensorProto *find_init(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (!strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	return NULL;
}

static void assert_floats(const Onnx__TensorProto *t, const float *want, size_t n)
{
	assert_non_null(t);
	assert_int_equal(t->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
	assert_true(t->has_raw_data);
	assert_int_equal(t->raw_data.len, n * sizeof(float));
	assert_memory_equal(t->raw_data.data, want, n * sizeof(float));
}

static void assert_dims(const Onnx__TensorShapeProto *s, const char *want)
{
	/* want: "batch_size,4,8,8" with "?" for an unknown dimension */
	char buf[128] = "";

	assert_non_null(s);
	for (size_t d = 0; d < s->n_dim; d++) {
		const Onnx__TensorShapeProto__Dimension *dim = s->dim[d];
		size_t k = strlen(buf);
		if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
			snprintf(buf + k, sizeof buf - k, "%s%lld", d ? "," : "",
				 (long long)dim->dim_value);
		else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
			snprintf(buf + k, sizeof buf - k, "%s%s", d ? "," : "", dim->dim_param);
		else
			snprintf(buf + k, sizeof buf - k, "%s?", d ? "," : "");
	}
	assert_string_equal(buf, want);
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t i = 0; i < n->n_attribute; i++)
		if (!strcmp(n->attribute[i]->name, name))
			return n->attribute[i];
	fail_msg("node %s has no attribute %s", n->name, name);
	return NULL;
}

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
		assert_int_equal(p2o_write_onnx(&f->g, getenv("P2O_TEST_ONNX_OUT"), NULL, &err), 0);
		f->produced = 0;
	}
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), 0);
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
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), 0);
	assert_int_equal(p2o_write_onnx(&f->g, other, NULL, &err), 0);
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

static void test_refuses_checkpoint(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	char ckpt[160], alias[160], dotted[160];

	build(f, 17);
	snprintf(ckpt, sizeof ckpt, "%s/model.pth", f->dir);
	snprintf(alias, sizeof alias, "%s/alias.pth", f->dir);
	snprintf(dotted, sizeof dotted, "%s/./model.pth", f->dir);
	put_file(ckpt, "checkpoint bytes");
	assert_int_equal(link(ckpt, alias), 0);

	assert_int_equal(p2o_write_onnx(&f->g, ckpt, ckpt, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "refusing to overwrite the input checkpoint"));
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, alias, dotted, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_file_is(ckpt, "checkpoint bytes");
	assert_int_equal(count_entries(f->dir), 2);
	assert_int_equal(f->produced, 0); /* refused before any work */

	/* another file next to it is fine */
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, ckpt, &err), 0);
	assert_file_is(ckpt, "checkpoint bytes");
}

static void test_missing_directory(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	char bad[160];

	build(f, 17);
	snprintf(bad, sizeof bad, "%s/no/such/dir/model.onnx", f->dir);
	assert_int_equal(p2o_write_onnx(&f->g, bad, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(count_entries(f->dir), 0);

	p2o_err_clear(&err); /* a directory is not a file to replace */
	assert_int_equal(p2o_write_onnx(&f->g, f->dir, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_int_equal(count_entries(f->dir), 0);
}

static void test_failing_producer(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	char fresh[160];

	build(f, 17);
	f->fail_produce = 1;
	snprintf(fresh, sizeof fresh, "%s/fresh.onnx", f->dir);
	assert_int_equal(p2o_write_onnx(&f->g, fresh, NULL, &err), -1);
	assert_int_equal(err.code, P2O_ECONVERT); /* the producer's own error */
	assert_string_equal(err.msg, "folding failed on purpose");
	assert_int_equal(count_entries(f->dir), 0);

	put_file(f->path, "the previous model");
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), -1);
	assert_file_is(f->path, "the previous model");
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(f->produced, 2);
}

static int never_called(const struct p2o_const *c, void *out, struct p2o_err *err)
{
	(void)c;
	(void)out;
	return p2o_errf(err, P2O_EINTERNAL, "", "the producer must not run");
}

static void test_too_large(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	const int64_t shape[1] = {(INT64_C(1) << 29) + 1}; /* 2 GiB + 4 bytes */
	struct p2o_value *big, *in[1];
	struct p2o_node *n;

	assert_int_equal(p2o_graph_init(&f->g, "big", p2o_opset_get(17)), 0);
	assert_non_null(big = p2o_graph_lazy(&f->g, "big", P2O_DT_FLOAT32, 1, shape,
					     never_called, NULL));
	in[0] = big;
	assert_non_null(n = p2o_graph_node(&f->g, "Identity", "id", in, 1, 1));
	set_vshape(n->outputs[0], 1, (const struct p2o_dim[]){{shape[0], NULL}});
	assert_int_equal(p2o_graph_output(&f->g, n->outputs[0], "y"), 0);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), -1);
	assert_int_equal(err.code, P2O_ECONVERT);
	assert_non_null(strstr(err.msg, "the model is 21474"));
	assert_non_null(strstr(err.msg, "bytes: ONNX files over 2 GB need external data"));
	assert_int_equal(count_entries(f->dir), 0);
}

static void test_quantized(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	const int64_t shape[1] = {2};
	const int8_t q[2] = {1, -1};
	struct p2o_value *in[1];
	struct p2o_node *n;

	assert_int_equal(p2o_graph_init(&f->g, "q", p2o_opset_get(17)), 0);
	assert_non_null(in[0] = p2o_graph_const(&f->g, "qw", P2O_DT_QINT8, 1, shape, q));
	assert_non_null(n = p2o_graph_node(&f->g, "Identity", "id", in, 1, 1));
	assert_int_equal(p2o_graph_output(&f->g, n->outputs[0], "y"), 0);
	n->outputs[0]->dtype = P2O_DT_FLOAT32;
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), -1);
	assert_int_equal(err.code, P2O_ECONVERT);
	assert_non_null(strstr(err.msg, "cannot write quantized tensor qw"));
	assert_int_equal(count_entries(f->dir), 0);
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
	node->outputs[0]->dtype = P2O_DT_BOOL;
	node->outputs[0]->rank = 0;
	node->outputs[1]->dtype = P2O_DT_INT64;
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[0], "flag"), 0);
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[1], NULL), 0);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), 0);

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
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), 0);
	after = vm_hwm_kb();
	print_message("# peak RSS %ld kB -> %ld kB writing a 32768 kB tensor\n",
		      before, after);
	assert_true(after - before < 8 * 1024);
	free(data);
}

/* A write error (the file size limit, EFBIG) in the middle of a tensor
 * (sink_append) or at the final flush: nothing is left behind. */
static void test_write_error(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	const size_t n = 1u << 19; /* floats: 2 MiB, more than the stdio buffer */
	const int64_t stride[1] = {1};
	float *data = calloc(n, sizeof *data);
	struct p2o_value *in[2];
	struct p2o_node *node;
	struct rlimit old, lim;
	void (*old_handler)(int);

	assert_non_null(data);
	storage_over(&f->ws, data, n);
	tensor_view(&f->wt, &f->ws, 1, (const int64_t[]){(int64_t)n}, stride);
	storage_over(&f->bs, data, 4096); /* 16 KiB: fails at the flush */
	tensor_view(&f->bt, &f->bs, 1, (const int64_t[]){4096}, stride);
	assert_int_equal(p2o_graph_init(&f->g, "big", p2o_opset_get(17)), 0);
	assert_non_null(in[0] = p2o_graph_weight(&f->g, "big", &f->wt));
	assert_non_null(in[1] = p2o_graph_weight(&f->g, "small", &f->bt));
	assert_non_null(node = p2o_graph_node(&f->g, "Concat", "cat", in, 2, 1));
	assert_int_equal(p2o_attr_int(&f->g, node, "axis", 0), 0);
	node->outputs[0]->dtype = P2O_DT_FLOAT32;
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[0], "y"), 0);
	put_file(f->path, "the previous model");

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 64 * 1024;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "File too large"));
	assert_file_is(f->path, "the previous model");
	assert_int_equal(count_entries(f->dir), 1);

	f->g.inits[0]->nuses = 0; /* only the 16 KiB tensor: fits the buffer */
	node->inputs[0] = in[1];
	lim.rlim_cur = 8 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, &err), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "File too large"));
	assert_file_is(f->path, "the previous model");
	assert_int_equal(count_entries(f->dir), 1);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opset13_and_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_producer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quantized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attrs_and_dtypes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_is_not_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
