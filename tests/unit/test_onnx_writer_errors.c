/* test_onnx_writer_errors.c — the ONNX writer (src/onnx_writer.c,
 * onnx_proto.c) when it must not or cannot write: the input checkpoint as
 * the output, a missing directory, a failing producer, a model over 2 GB,
 * quantized tensors, write errors.  Nothing is left behind, and a previous
 * file stays as it was.  The fixture is in onnx_fixture.h. */
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
#include "onnx_fixture.h"

/* ---- tests ---- */

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

	assert_int_equal(p2o_write_onnx(&f->g, ckpt, ckpt, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "refusing to overwrite the input checkpoint"));
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, alias, dotted, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_file_is(ckpt, "checkpoint bytes");
	assert_int_equal(count_entries(f->dir), 2);
	assert_int_equal(f->produced, 0); /* refused before any work */

	/* another file next to it is fine */
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, ckpt, P2O_EXTERNAL_AUTO, NULL, &err), 0);
	assert_file_is(ckpt, "checkpoint bytes");
}

static void test_missing_directory(void **state)
{
	struct fx *f = *state;
	struct p2o_err err = {0};
	char bad[160];

	build(f, 17);
	snprintf(bad, sizeof bad, "%s/no/such/dir/model.onnx", f->dir);
	assert_int_equal(p2o_write_onnx(&f->g, bad, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(count_entries(f->dir), 0);

	p2o_err_clear(&err); /* a directory is not a file to replace */
	assert_int_equal(p2o_write_onnx(&f->g, f->dir, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
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
	assert_int_equal(p2o_write_onnx(&f->g, fresh, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_ECONVERT); /* the producer's own error */
	assert_string_equal(err.msg, "folding failed on purpose");
	assert_int_equal(count_entries(f->dir), 0);

	put_file(f->path, "the previous model");
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_file_is(f->path, "the previous model");
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(f->produced, 2);
}

static int failing_producer(const struct p2o_const *c, void *out, struct p2o_err *err)
{
	(void)c;
	(void)out;
	return p2o_errf(err, P2O_EINTERNAL, "", "no bytes for this tensor");
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
					     failing_producer, NULL));
	in[0] = big;
	assert_non_null(n = p2o_graph_node(&f->g, "Identity", "id", in, 1, 1));
	set_vshape(n->outputs[0], 1, (const struct p2o_dim[]){{shape[0], NULL}});
	assert_int_equal(p2o_graph_output(&f->g, n->outputs[0], "y"), 0);
	/* Over 2 GiB: the tensor goes to external data, so the write pass asks
	 * for its bytes (inline, the size check would have refused first);
	 * the producer fails, and neither file nor temporary is left. */
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EINTERNAL);
	assert_non_null(strstr(err.msg, "no bytes for this tensor"));
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
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_ECONVERT);
	assert_non_null(strstr(err.msg, "cannot write quantized tensor qw"));
	assert_int_equal(count_entries(f->dir), 0);
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
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
	assert_int_equal(err.code, P2O_EIO);
	assert_non_null(strstr(err.msg, "File too large"));
	assert_file_is(f->path, "the previous model");
	assert_int_equal(count_entries(f->dir), 1);

	f->g.inits[0]->nuses = 0; /* only the 16 KiB tensor: fits the buffer */
	node->inputs[0] = in[1];
	lim.rlim_cur = 8 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	p2o_err_clear(&err);
	assert_int_equal(p2o_write_onnx(&f->g, f->path, NULL, P2O_EXTERNAL_AUTO, NULL, &err), -1);
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
		cmocka_unit_test_setup_teardown(test_refuses_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_producer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quantized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
