/* numpy_pickle.c — see numpy_pickle.h.  An ndarray pickles as
 * _reconstruct(ndarray, (0,), b'b') then BUILD (1, shape, dtype,
 * is_fortran, raw bytes); a dtype as dtype('f8', False, True) then BUILD
 * (3, '<', ...); a scalar as scalar(dtype, raw bytes). */
#include "numpy_pickle.h"

#include <string.h>

static struct p2o_obj *nth(struct p2o_obj *t, size_t i)
{
	return t && (t->kind == PY_TUPLE || t->kind == PY_LIST) && i < t->u.seq.n ?
		       t->u.seq.items[i] : NULL;
}

static int bad(const struct p2o_pickle_env *env, const char *what,
	       struct p2o_err *err)
{
	return p2o_errf(err, P2O_EFORMAT, env->where, "numpy value: %s", what);
}

/* dtype and byte order of a pickled numpy.dtype object */
static enum p2o_dtype np_dtype(struct p2o_obj *d, int *big_endian)
{
	struct p2o_obj *code = d && d->kind == PY_OBJECT ? nth(d->u.object.args, 0) : NULL;
	struct p2o_obj *order = d && d->kind == PY_OBJECT ? nth(d->u.object.state, 1) : NULL;

	*big_endian = p2o_is_str(order, ">");
	if (!code || code->kind != PY_STR)
		return P2O_DT_INVALID;
	return p2o_dtype_from_numpy(code->u.str.s);
}

static struct p2o_tensor *np_tensor(const struct p2o_pickle_env *env,
				    struct p2o_obj *dtype, struct p2o_obj *raw,
				    struct p2o_err *err)
{
	struct p2o_tensor *t = p2o_alloc(env->arena, sizeof *t);
	struct p2o_storage *s = p2o_alloc(env->arena, sizeof *s);
	int big;

	if (!t || !s) {
		p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
		return NULL;
	}
	t->dtype = np_dtype(dtype, &big);
	if (!t->dtype || !raw || raw->kind != PY_BYTES) {
		bad(env, "unsupported dtype or data", err);
		return NULL;
	}
	s->key = "numpy";
	s->dtype = t->dtype;
	s->data = (const unsigned char *)raw->u.str.s;
	s->nbytes = raw->u.str.len;
	s->numel = s->nbytes / p2o_dtype_info(t->dtype)->size;
	s->big_endian = big;
	s->resolved = 1;
	t->storage = s;
	t->device = "cpu";
	return t;
}

int p2o_np_reconstruct(const struct p2o_pickle_env *env, struct p2o_obj *args,
		       struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_obj *o = p2o_obj_new(env->arena, PY_OBJECT);

	if (!o)
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	o->u.object.cls = nth(args, 0);
	o->u.object.args = args;
	o->flags |= P2O_OBJ_NUMPY;
	*out = o;
	return 0;
}

int p2o_np_is_pending(const struct p2o_obj *obj)
{
	return obj->kind == PY_OBJECT && (obj->flags & P2O_OBJ_NUMPY) &&
	       !obj->u.object.state;
}

int p2o_np_build(const struct p2o_pickle_env *env, struct p2o_obj *obj,
		 struct p2o_obj *state, struct p2o_err *err)
{
	struct p2o_obj *shape = nth(state, 1), *fortran = nth(state, 3);
	struct p2o_tensor *t;
	int64_t numel = 1;

	obj->u.object.state = state;
	if (!(t = np_tensor(env, nth(state, 2), nth(state, 4), err)))
		return -1;
	if (!shape || shape->kind != PY_TUPLE || shape->u.seq.n > P2O_MAX_RANK)
		return bad(env, "bad array shape", err);
	t->rank = (int)shape->u.seq.n;
	for (int d = 0; d < t->rank; d++)
		if (p2o_obj_as_int(shape->u.seq.items[d], &t->shape[d]))
			return bad(env, "bad array shape", err);
	/* C order, or Fortran order when the flag says so */
	int is_f = fortran && fortran->kind == PY_BOOL && fortran->u.boolean;
	for (int i = 0; i < t->rank; i++) {
		int d = is_f ? i : t->rank - 1 - i;
		t->stride[d] = numel;
		numel *= t->shape[d] > 0 ? t->shape[d] : 1;
	}
	if (p2o_tensor_check(t, "numpy array", err))
		return -1;
	obj->kind = PY_TENSOR;
	obj->u.tensor = t;
	return 0;
}

int p2o_np_scalar(const struct p2o_pickle_env *env, struct p2o_obj *args,
		  struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_tensor *t = np_tensor(env, nth(args, 0), nth(args, 1), err);
	struct p2o_obj *o;

	if (!t)
		return -1;
	if (t->storage->numel < 1)
		return bad(env, "scalar without data", err);
	if (t->dtype == P2O_DT_BOOL) {
		o = p2o_obj_new(env->arena, PY_BOOL);
		if (o) o->u.boolean = (int)p2o_tensor_get_i64(t, 0);
	} else if (t->dtype == P2O_DT_FLOAT64 || t->dtype == P2O_DT_FLOAT32 ||
		   t->dtype == P2O_DT_FLOAT16) {
		o = p2o_obj_new(env->arena, PY_FLOAT);
		if (o) o->u.f = p2o_tensor_get_f64(t, 0);
	} else if (t->dtype == P2O_DT_COMPLEX64 || t->dtype == P2O_DT_COMPLEX128) {
		o = p2o_obj_new(env->arena, PY_COMPLEX);
		if (o) {
			struct p2o_tensor half = *t;
			half.dtype = t->dtype == P2O_DT_COMPLEX64 ? P2O_DT_FLOAT32 : P2O_DT_FLOAT64;
			half.rank = 1;
			half.shape[0] = 2;
			half.stride[0] = 1;
			o->u.c[0] = p2o_tensor_get_f64(&half, 0);
			o->u.c[1] = p2o_tensor_get_f64(&half, 1);
		}
	} else {
		o = p2o_obj_int(env->arena, p2o_tensor_get_i64(t, 0));
	}
	if (!o)
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	o->flags |= P2O_OBJ_NUMPY;
	*out = o;
	return 0;
}

/* _rebuild_device_tensor_from_numpy(data, dtype, device, requires_grad) */
int p2o_np_device_tensor(const struct p2o_pickle_env *env, struct p2o_obj *args,
			 struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_obj *data = nth(args, 0);

	if (!data || data->kind != PY_TENSOR)
		return bad(env, "device tensor without array data", err);
	*out = data;
	return 0;
}
