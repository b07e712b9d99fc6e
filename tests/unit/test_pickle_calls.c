/* test_pickle_calls.c — p2o_unpickle on hand-written pickles that call
 * or build things: _codecs.encode bytes, OrderedDict + _metadata, opaque
 * classes (NEWOBJ + BUILD), torch.Size, _rebuild_tensor_v2 with a fake
 * persistent_load, _rebuild_parameter.  Layouts follow Lib/pickle.py
 * (save_reduce: obj, memo, SETITEMS, then BUILD state).  Hex escapes are
 * split from the following literal ("\x05" "abc"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pickle.h"

static struct p2o_arena A;
static struct p2o_strlist W;
static struct p2o_err E;
static size_t CONSUMED;
static struct p2o_storage *FAKE_STORAGE;
static const float FDATA[7] = {0, 1, 2, 3, 4, 5, 6};

static int setup(void **state)
{
	(void)state;
	p2o_arena_init(&A);
	memset(&W, 0, sizeof W);
	p2o_err_clear(&E);
	FAKE_STORAGE = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	p2o_arena_free(&A);
	return 0;
}

/* ('storage', torch.FloatStorage, '0', 'cpu', 7) -> a 7-float storage */
static int fake_pl(void *ctx, struct p2o_obj *pid, struct p2o_obj **out,
		   struct p2o_err *err)
{
	struct p2o_obj *o;
	(void)ctx;
	if (pid->kind != PY_TUPLE || pid->u.seq.n != 5 ||
	    !p2o_is_str(pid->u.seq.items[0], "storage") ||
	    !p2o_is_global(pid->u.seq.items[1], "torch", "FloatStorage") ||
	    !p2o_is_str(pid->u.seq.items[2], "0") ||
	    !p2o_is_str(pid->u.seq.items[3], "cpu") ||
	    pid->u.seq.items[4]->kind != PY_INT || pid->u.seq.items[4]->u.i != 7)
		return p2o_errf(err, P2O_EFORMAT, "fake", "unexpected persistent id");
	FAKE_STORAGE = p2o_alloc(&A, sizeof *FAKE_STORAGE);
	o = p2o_obj_new(&A, PY_STORAGE);
	FAKE_STORAGE->key = "0";
	FAKE_STORAGE->dtype = P2O_DT_FLOAT32;
	FAKE_STORAGE->numel = 7;
	FAKE_STORAGE->data = (const unsigned char *)FDATA;
	FAKE_STORAGE->nbytes = sizeof FDATA;
	FAKE_STORAGE->resolved = 1;
	o->u.storage = FAKE_STORAGE;
	*out = o;
	return 0;
}

static struct p2o_obj *load(const char *data, size_t len, p2o_persistent_load_fn pl)
{
	struct p2o_pickle_env env = {&A, pl, NULL, &W, "test.pkl"};
	struct p2o_obj *out = NULL;

	CONSUMED = (size_t)-1;
	if (p2o_unpickle((const unsigned char *)data, len, &env, &out, &CONSUMED, &E))
		fail_msg("unpickle failed: %s: %s", E.where, E.msg);
	assert_int_equal(E.code, P2O_OK);
	assert_non_null(out);
	return out;
}
#define LOAD(lit) load(lit, sizeof(lit) - 1, NULL)
#define LOADP(lit) load(lit, sizeof(lit) - 1, fake_pl)

static void check_int(const struct p2o_obj *o, int64_t v)
{
	assert_non_null(o);
	assert_int_equal(o->kind, PY_INT);
	if (o->u.i != v)
		fail_msg("int %lld, expected %lld", (long long)o->u.i, (long long)v);
}

static void check_str(const struct p2o_obj *o, enum p2o_kind kind,
		      const char *s, size_t n)
{
	assert_non_null(o);
	assert_int_equal(o->kind, kind);
	assert_int_equal(o->u.str.len, n);
	assert_memory_equal(o->u.str.s, s, n);
}
#define CHECK_STR(o, lit) check_str(o, PY_STR, lit, sizeof(lit) - 1)
#define CHECK_BYTES(o, lit) check_str(o, PY_BYTES, lit, sizeof(lit) - 1)

static void check_seq(const struct p2o_obj *o, enum p2o_kind kind, size_t n)
{
	assert_non_null(o);
	assert_int_equal(o->kind, kind);
	assert_int_equal(o->u.seq.n, n);
}

static int has_warning(const char *needle)
{
	for (size_t i = 0; i < W.n; i++)
		if (strstr(W.items[i], needle))
			return 1;
	return 0;
}

static void test_codecs_encode_bytes(void **state)
{
	(void)state;
	/* protocol 2 writes b'\x00\xe9A\x80\xff' as
	 * _codecs.encode('\x00\xe9A\x80\xff', 'latin1'), the text in UTF-8 */
	CHECK_BYTES(LOAD("\x80\x02" "c_codecs\nencode\n" "q\x00"
			 "X\x08\x00\x00\x00" "\x00\xc3\xa9" "A" "\xc2\x80\xc3\xbf"
			 "X\x06\x00\x00\x00" "latin1" "\x86" "R" "."),
		    "\x00\xe9" "A" "\x80\xff");
	/* b'' is written as __builtin__.bytes() */
	CHECK_BYTES(LOAD("\x80\x02" "c__builtin__\nbytes\n" ")R" "."), "");
	assert_int_equal(W.n, 0);
}

static void test_ordered_dict_metadata(void **state)
{
	struct p2o_obj *o, *md, *v;
	(void)state;
	/* state_dict: OrderedDict() + SETITEMS + BUILD {'_metadata': OD({'': {'version': 1}})} */
	o = LOAD("\x80\x02" "ccollections\nOrderedDict\n" "q\x00)Rq\x01"
		 "(X\x06\x00\x00\x00" "weightK\x01" "X\x04\x00\x00\x00" "biasK\x02" "u"
		 "}q\x02" "X\x09\x00\x00\x00" "_metadata" "h\x00)R"
		 "X\x00\x00\x00\x00" "}X\x07\x00\x00\x00" "versionK\x01" "sss" "b.");
	assert_int_equal(o->kind, PY_DICT);
	assert_true(o->flags & P2O_OBJ_ORDERED);
	assert_int_equal(o->u.dict.n, 2);
	assert_true(p2o_is_str(o->u.dict.keys[0], "weight"));
	assert_true(p2o_is_str(o->u.dict.keys[1], "bias"));
	check_int(o->u.dict.vals[0], 1);
	check_int(o->u.dict.vals[1], 2);
	assert_null(p2o_dict_get(o, "_metadata"));
	assert_non_null(o->meta);
	md = p2o_dict_get(o->meta, "_metadata");
	assert_non_null(md);
	assert_true(md->flags & P2O_OBJ_ORDERED);
	v = p2o_dict_get(md, "");
	assert_non_null(v);
	check_int(p2o_dict_get(v, "version"), 1);
	assert_int_equal(W.n, 0);
}

static void test_opaque_object(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("\x80\x02" "c__main__\nNet\n" "q\x00)\x81q\x01}q\x02"
		 "(X\x08\x00\x00\x00" "training\x88" "X\x06\x00\x00\x00" "hiddenK\x10" "ub.");
	assert_int_equal(o->kind, PY_OBJECT);
	assert_string_equal(p2o_class_name(&A, o), "__main__.Net");
	check_seq(o->u.object.args, PY_TUPLE, 0);
	assert_int_equal(p2o_attr(o, "training")->kind, PY_BOOL);
	assert_int_equal(p2o_attr(o, "training")->u.boolean, 1);
	check_int(p2o_attr(o, "hidden"), 16);
	assert_null(p2o_attr(o, "nope"));
	assert_true(has_warning("__main__.Net"));
	/* BUILD with (state, slotstate): attributes come from the state dict */
	o = LOAD("c__main__\nNet\n)\x81}X\x01\x00\x00\x00" "aK\x03" "sN\x86" "b.");
	check_int(p2o_attr(o, "a"), 3);
}

static void test_torch_size(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOAD("\x80\x02" "ctorch\nSize\n" "q\x00K\x02K\x03\x86q\x01\x85q\x02" "Rq\x03" ".");
	check_seq(o, PY_TUPLE, 2);
	assert_true(o->flags & P2O_OBJ_SIZE);
	check_int(o->u.seq.items[0], 2);
	check_int(o->u.seq.items[1], 3);
	assert_int_equal(W.n, 0);
}

/* _rebuild_tensor_v2((pid), offset 1, size (2, 3), stride (1, 2), False, OrderedDict()) */
#define TENSOR_EXPR "ctorch._utils\n_rebuild_tensor_v2\n" \
	"((X\x07\x00\x00\x00" "storage" "ctorch\nFloatStorage\n" \
	"X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K\x07" "tQ" \
	"K\x01" "K\x02K\x03\x86" "K\x01K\x02\x86" "\x89" \
	"ccollections\nOrderedDict\n)R" "tR"

static void check_tensor(const struct p2o_obj *o)
{
	const struct p2o_tensor *t;
	assert_int_equal(o->kind, PY_TENSOR);
	t = o->u.tensor;
	assert_non_null(t);
	assert_non_null(FAKE_STORAGE);
	assert_ptr_equal(t->storage, FAKE_STORAGE);
	assert_int_equal(t->dtype, P2O_DT_FLOAT32);
	assert_int_equal(t->rank, 2);
	assert_int_equal(t->shape[0], 2);
	assert_int_equal(t->shape[1], 3);
	assert_int_equal(t->stride[0], 1);
	assert_int_equal(t->stride[1], 2);
	assert_int_equal(t->offset, 1);
}

static void test_rebuild_tensor(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOADP("\x80\x02" TENSOR_EXPR ".");
	check_tensor(o);
	assert_false(o->flags & P2O_OBJ_PARAMETER);
	/* element (1, 2) is storage[1 + 1*1 + 2*2] = 6.0 */
	assert_true(p2o_tensor_get_f64(o->u.tensor, 5) == 6.0);
	assert_int_equal(W.n, 0);
}

static void test_rebuild_parameter(void **state)
{
	struct p2o_obj *o;
	(void)state;
	o = LOADP("\x80\x02" "ctorch._utils\n_rebuild_parameter\n("
		  TENSOR_EXPR "\x88" "ccollections\nOrderedDict\n)R" "tR.");
	check_tensor(o);
	assert_true(o->flags & P2O_OBJ_PARAMETER);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_codecs_encode_bytes), T(test_ordered_dict_metadata),
		T(test_opaque_object), T(test_torch_size),
		T(test_rebuild_tensor), T(test_rebuild_parameter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
