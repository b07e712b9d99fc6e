/*
 * onnx_fixture.h — helpers shared by the ONNX writer tests
 * (test_onnx_writer*.c): the fixture (a temporary directory and the
 * tensors' bytes), file helpers, the small graph build() makes, and
 * readers of the written model.  Every test file is its own program, so
 * the helpers are static and marked unused (not every program calls all
 * of them).
 */
#ifndef P2O_TEST_ONNX_FIXTURE_H
#define P2O_TEST_ONNX_FIXTURE_H

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

static __attribute__((unused)) int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	strcpy(f->dir, "/tmp/p2o-onnx-writer-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/model.onnx", f->dir);
	*state = f;
	return 0;
}

static __attribute__((unused)) int teardown(void **state)
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

static __attribute__((unused)) int count_entries(const char *dir)
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

static __attribute__((unused)) unsigned char *slurp(const char *path, size_t *len)
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

static __attribute__((unused)) void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static __attribute__((unused)) void assert_file_is(const char *path, const char *text)
{
	size_t len;
	unsigned char *buf = slurp(path, &len);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
}

static __attribute__((unused)) void storage_over(struct p2o_storage *s, const float *data, size_t n)
{
	s->key = "0";
	s->dtype = P2O_DT_FLOAT32;
	s->numel = n;
	s->data = (const unsigned char *)data;
	s->nbytes = n * sizeof *data;
	s->resolved = 1;
}

static __attribute__((unused)) void tensor_view(struct p2o_tensor *t, struct p2o_storage *s, int rank,
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

static __attribute__((unused)) int produce_shift(const struct p2o_const *c, void *out, struct p2o_err *err)
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

static __attribute__((unused)) void set_vshape(struct p2o_value *v, int rank, const struct p2o_dim *dims)
{
	v->dtype = P2O_DT_FLOAT32;
	v->rank = rank;
	for (int d = 0; d < rank; d++)
		v->dims[d] = dims[d];
}

/* x[batch_size,3,8,8] -> Conv(W plain, B strided) -> Relu -> MatMul(T
 * transposed) -> Add(lazy shift) -> Mul(scalar) -> Clip(, "", max) -> y;
 * plus a dead Identity and two unused initializers. */
static __attribute__((unused)) void build(struct fx *f, int opset)
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

static __attribute__((unused)) Onnx__ModelProto *load(const char *path, unsigned char **bytes, size_t *len)
{
	Onnx__ModelProto *m;

	*bytes = slurp(path, len);
	m = onnx__model_proto__unpack(NULL, *len, *bytes);
	assert_non_null(m);
	return m;
}

static __attribute__((unused)) const Onnx__TensorProto *find_init(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (!strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	return NULL;
}

static __attribute__((unused)) void assert_floats(const Onnx__TensorProto *t, const float *want, size_t n)
{
	assert_non_null(t);
	assert_int_equal(t->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
	assert_true(t->has_raw_data);
	assert_int_equal(t->raw_data.len, n * sizeof(float));
	assert_memory_equal(t->raw_data.data, want, n * sizeof(float));
}

static __attribute__((unused)) void assert_dims(const Onnx__TensorShapeProto *s, const char *want)
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

static __attribute__((unused)) const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t i = 0; i < n->n_attribute; i++)
		if (!strcmp(n->attribute[i]->name, name))
			return n->attribute[i];
	fail_msg("node %s has no attribute %s", n->name, name);
	return NULL;
}

#endif
