/* test_onnx_external.c — initializers written as ONNX external data
 * (src/onnx_external.c, onnx_writer.c).
 *
 * A graph of three weights (1200, 2800 and 32 bytes) concatenated.  The
 * expected layout follows from the ONNX spec (external_data keys
 * "location", "offset", "length"; data_location EXTERNAL) and from the
 * writer's documented rules: tensors of at least 1024 bytes go out, each at
 * a multiple of 4096, zero padding between them; smaller ones stay
 * inline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "onnx.pb-c.h"
#include "opsets.h"
#include "onnx_fixture.h"

#define NA 300
#define NB 700
#define NC 8

struct three {
	float a[NA], b[NB], c[NC];
	struct p2o_storage s[3];
	struct p2o_tensor t[3];
};

static void build_three(struct fx *f, struct three *w)
{
	const int64_t stride[1] = {1};
	float *data[3] = {w->a, w->b, w->c};
	const size_t n[3] = {NA, NB, NC};
	static const char *names[3] = {"a", "b", "c"};
	struct p2o_value *in[3];
	struct p2o_node *node;

	for (size_t i = 0; i < NA; i++)
		w->a[i] = (float)i + 0.5f;
	for (size_t i = 0; i < NB; i++)
		w->b[i] = -(float)i;
	for (size_t i = 0; i < NC; i++)
		w->c[i] = (float)(i * i);
	assert_int_equal(p2o_graph_init(&f->g, "three", p2o_opset_get(17)), 0);
	for (int k = 0; k < 3; k++) {
		storage_over(&w->s[k], data[k], n[k]);
		tensor_view(&w->t[k], &w->s[k], 1, (const int64_t[]){(int64_t)n[k]}, stride);
		assert_non_null(in[k] = p2o_graph_weight(&f->g, names[k], &w->t[k]));
	}
	assert_non_null(node = p2o_graph_node(&f->g, "Concat", "cat", in, 3, 1));
	assert_int_equal(p2o_attr_int(&f->g, node, "axis", 0), 0);
	set_vshape(node->outputs[0], 1, (const struct p2o_dim[]){{NA + NB + NC, NULL}});
	assert_int_equal(p2o_graph_output(&f->g, node->outputs[0], "y"), 0);
}

static const char *entry(const Onnx__TensorProto *t, const char *key)
{
	for (size_t i = 0; i < t->n_external_data; i++)
		if (!strcmp(t->external_data[i]->key, key))
			return t->external_data[i]->value;
	return NULL;
}

static void assert_external(const Onnx__TensorProto *t, const char *offset, const char *length)
{
	assert_non_null(t);
	assert_false(t->has_raw_data && t->raw_data.len);
	assert_true(t->has_data_location);
	assert_int_equal(t->data_location, ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
	assert_int_equal(t->n_external_data, 3);
	assert_string_equal(entry(t, "location"), "model.onnx.data");
	assert_string_equal(entry(t, "offset"), offset);
	assert_string_equal(entry(t, "length"), length);
}

static void test_always(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	struct three *w = calloc(1, sizeof *w);
	char data_path[160];
	unsigned char *bytes, *data;
	size_t len, dlen;
	Onnx__ModelProto *m;
	const Onnx__TensorProto *c;
	int external = -1;

	assert_non_null(w);
	build_three(f, w);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_ALWAYS, &external,
					&err), 0);
	assert_int_equal(external, 1);
	assert_int_equal(count_entries(f->dir), 2); /* model and data, no temporary */

	m = load(f->path, &bytes, &len);
	assert_external(find_init(m->graph, "a"), "0", "1200");
	assert_external(find_init(m->graph, "b"), "4096", "2800");
	c = find_init(m->graph, "c"); /* 32 bytes: inline */
	assert_non_null(c);
	assert_false(c->has_data_location && c->data_location);
	assert_int_equal(c->n_external_data, 0);
	assert_int_equal(c->raw_data.len, sizeof w->c);
	assert_memory_equal(c->raw_data.data, w->c, sizeof w->c);

	snprintf(data_path, sizeof data_path, "%s.data", f->path);
	data = slurp(data_path, &dlen);
	assert_int_equal(dlen, 4096 + sizeof w->b);
	assert_memory_equal(data, w->a, sizeof w->a);
	for (size_t i = sizeof w->a; i < 4096; i++)
		assert_int_equal(data[i], 0);
	assert_memory_equal(data + 4096, w->b, sizeof w->b);

	free(data);
	onnx__model_proto__free_unpacked(m, NULL);
	free(bytes);
	free(w);
}

/* Under 2 GiB, AUTO keeps everything in one file. */
static void test_auto_small(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	struct three *w = calloc(1, sizeof *w);
	unsigned char *bytes;
	size_t len;
	Onnx__ModelProto *m;
	const Onnx__TensorProto *b;
	int external = -1;

	assert_non_null(w);
	build_three(f, w);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, &external,
					&err), 0);
	assert_int_equal(external, 0);
	assert_int_equal(count_entries(f->dir), 1);
	m = load(f->path, &bytes, &len);
	b = find_init(m->graph, "b");
	assert_non_null(b);
	assert_int_equal(b->n_external_data, 0);
	assert_int_equal(b->raw_data.len, sizeof w->b);
	assert_memory_equal(b->raw_data.data, w->b, sizeof w->b);
	onnx__model_proto__free_unpacked(m, NULL);
	free(bytes);
	free(w);
}

/* The data file would replace the input checkpoint: refused, nothing
 * written. */
static void test_data_file_is_the_input(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	struct three *w = calloc(1, sizeof *w);
	char ckpt[160];

	assert_non_null(w);
	build_three(f, w);
	snprintf(ckpt, sizeof ckpt, "%s.data", f->path);
	put_file(ckpt, "checkpoint bytes");
	assert_int_equal(p2o_write_onnx(&f->g, f->path, ckpt, P2O_EXTERNAL_ALWAYS, NULL, &err),
			 -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "refusing to overwrite the input checkpoint"));
	assert_file_is(ckpt, "checkpoint bytes");
	assert_int_equal(count_entries(f->dir), 1);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_always, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_file_is_the_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
