/*
 * rebuild.c — what the pickle's calls mean, without calling anything.
 *
 * A table maps the symbols a checkpoint needs (torch's tensor rebuild
 * functions, OrderedDict, set, bytes, numpy arrays and scalars, torch.Size)
 * to C functions that build plain data.  Every other call or instantiation
 * becomes an opaque OBJECT(class, args), and BUILD stores its state there.
 */
#include "pickle.h"
#include "numpy_pickle.h"

#include <stdio.h>
#include <string.h>

int p2o_strlist_add_unique(struct p2o_arena *a, struct p2o_strlist *l,
			   const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return 0;
	if (p2o_grow(a, (void **)&l->items, &l->cap, l->n + 1, sizeof *l->items))
		return -1;
	if (!(l->items[l->n] = p2o_strdup(a, s)))
		return -1;
	l->n++;
	return 0;
}

/* ---- the allow-list ---- */

static int has_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(s, prefix, n) && (s[n] == 0 || s[n] == '.');
}

/* Modules and names that can run code when a real unpickler loads them. */
static const char *const DANGEROUS_MODULES[] = {
	"os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy",
	"pty", "pickle", "_pickle", "importlib", "ctypes", "webbrowser",
	"asyncio", "code", "commands", "multiprocessing", "platform", "marshal",
};
static const char *const DANGEROUS_NAMES[] = {
	"builtins.eval", "builtins.exec", "builtins.compile", "builtins.open",
	"builtins.getattr", "builtins.setattr", "builtins.__import__",
	"builtins.globals", "builtins.breakpoint", "builtins.input",
	"functools.partial", "operator.attrgetter", "operator.methodcaller",
	"operator.itemgetter", "torch.serialization.load", "torch.load",
	"torch.hub.load", "torch.jit.load", "numpy.load", "numpy.testing._private.utils.runstring",
};
static const char *const SAFE_BUILTINS[] = {
	"set", "frozenset", "bytes", "bytearray", "complex", "slice", "int",
	"float", "str", "list", "dict", "tuple", "object", "range", "bool",
};

static int is_dangerous(const char *module, const char *name)
{
	char full[512], *part, *save = NULL;

	for (size_t i = 0; i < P2O_ARRAY_LEN(DANGEROUS_MODULES); i++)
		if (has_prefix(module, DANGEROUS_MODULES[i]))
			return 1;
	/* protocol 4 resolves dotted names by getattr: torch + "os.system"
	 * is os.system.  Any component naming a dangerous module counts. */
	snprintf(full, sizeof full, "%s", name);
	for (part = strtok_r(full, ".", &save); part; part = strtok_r(NULL, ".", &save))
		for (size_t i = 0; i < P2O_ARRAY_LEN(DANGEROUS_MODULES); i++)
			if (!strcmp(part, DANGEROUS_MODULES[i]) && save && *save)
				return 1;
	snprintf(full, sizeof full, "%s.%s", module, name);
	for (size_t i = 0; i < P2O_ARRAY_LEN(DANGEROUS_NAMES); i++)
		if (!strcmp(full, DANGEROUS_NAMES[i]))
			return 1;
	return 0;
}

static int is_allowed(const char *module, const char *name)
{
	if (is_dangerous(module, name) || strchr(name, '.'))
		return 0; /* a dotted name reaches through attributes: not allowed */
	if (has_prefix(module, "torch") || has_prefix(module, "__torch__") ||
	    has_prefix(module, "numpy") || has_prefix(module, "collections"))
		return 1;
	if (!strcmp(module, "_codecs") && !strcmp(name, "encode"))
		return 1;
	if (!strcmp(module, "copyreg") && !strcmp(name, "_reconstructor"))
		return 1;
	if (!strcmp(module, "builtins"))
		for (size_t i = 0; i < P2O_ARRAY_LEN(SAFE_BUILTINS); i++)
			if (!strcmp(name, SAFE_BUILTINS[i]))
				return 1;
	return 0;
}

int p2o_note_global(const struct p2o_pickle_env *env, const char *module,
		    const char *name)
{
	char msg[600];

	if (!env->warnings || is_allowed(module, name))
		return 0;
	if (is_dangerous(module, name))
		snprintf(msg, sizeof msg,
			 "global %s.%s can run code when PyTorch loads this file; "
			 "it is outside the allow-list and was not executed",
			 module, name);
	else
		snprintf(msg, sizeof msg,
			 "global %s.%s is outside the allow-list (kept as an opaque "
			 "object; nothing was executed)", module, name);
	return p2o_strlist_add_unique(env->arena, env->warnings, msg);
}

/* ---- interpreted callables ---- */

typedef int (*call_fn)(const struct p2o_pickle_env *env, struct p2o_obj *args,
		       struct p2o_obj **out, struct p2o_err *err);

static struct p2o_obj *arg(struct p2o_obj *args, size_t i)
{
	return args && args->kind == PY_TUPLE && i < args->u.seq.n ?
		       args->u.seq.items[i] : NULL;
}

static int bad_args(const struct p2o_pickle_env *env, const char *fn,
		    const char *what, struct p2o_err *err)
{
	return p2o_errf(err, P2O_EFORMAT, env->where, "%s: %s", fn, what);
}

/* Read a tuple of ints (torch.Size or plain tuple) into dims. */
static int int_tuple(const struct p2o_obj *o, int64_t *dims, int *rank)
{
	if (!o || (o->kind != PY_TUPLE && o->kind != PY_LIST) ||
	    o->u.seq.n > P2O_MAX_RANK)
		return -1;
	for (size_t i = 0; i < o->u.seq.n; i++)
		if (p2o_obj_as_int(o->u.seq.items[i], &dims[i]))
			return -1;
	*rank = (int)o->u.seq.n;
	return 0;
}

static enum p2o_dtype dtype_of_global(const struct p2o_obj *g)
{
	if (!g || g->kind != PY_GLOBAL || strcmp(g->u.global.module, "torch"))
		return P2O_DT_INVALID;
	return p2o_dtype_from_name(g->u.global.name);
}

/* storage, offset, size, stride: the common head of every rebuild. */
static int make_tensor(const struct p2o_pickle_env *env, struct p2o_obj *args,
		       const char *fn, enum p2o_dtype dtype, struct p2o_obj **out,
		       struct p2o_err *err)
{
	struct p2o_obj *st = arg(args, 0), *o;
	struct p2o_tensor *t;
	int srank;

	if (!st || st->kind != PY_STORAGE)
		return bad_args(env, fn, "first argument is not a storage", err);
	o = p2o_obj_new(env->arena, PY_TENSOR);
	t = p2o_alloc(env->arena, sizeof *t);
	if (!o || !t)
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	o->u.tensor = t;
	t->storage = st->u.storage;
	t->dtype = dtype ? dtype : st->u.storage->dtype;
	if (p2o_obj_as_int(arg(args, 1), &t->offset) ||
	    int_tuple(arg(args, 2), t->shape, &t->rank) ||
	    int_tuple(arg(args, 3), t->stride, &srank) || srank != t->rank)
		return bad_args(env, fn, "bad offset, size or stride", err);
	if (p2o_dtype_info(t->dtype)->size != p2o_dtype_info(st->u.storage->dtype)->size &&
	    st->u.storage->dtype != P2O_DT_UINT8)
		return bad_args(env, fn, "dtype does not match the storage type", err);
	t->device = "cpu";
	*out = o;
	return 0;
}

static int rebuild_tensor_v2(const struct p2o_pickle_env *env,
			     struct p2o_obj *args, struct p2o_obj **out,
			     struct p2o_err *err)
{
	return make_tensor(env, args, "_rebuild_tensor_v2", P2O_DT_INVALID, out, err);
}

static int rebuild_tensor_v3(const struct p2o_pickle_env *env,
			     struct p2o_obj *args, struct p2o_obj **out,
			     struct p2o_err *err)
{
	enum p2o_dtype dt = dtype_of_global(arg(args, 6));

	if (!dt)
		return bad_args(env, "_rebuild_tensor_v3", "unsupported dtype", err);
	return make_tensor(env, args, "_rebuild_tensor_v3", dt, out, err);
}

static int rebuild_qtensor(const struct p2o_pickle_env *env,
			   struct p2o_obj *args, struct p2o_obj **out,
			   struct p2o_err *err)
{
	struct p2o_obj *q = arg(args, 4);

	if (make_tensor(env, args, "_rebuild_qtensor", P2O_DT_INVALID, out, err))
		return -1;
	/* (qscheme, scale, zero_point) for per-tensor affine */
	if (q && q->kind == PY_TUPLE && q->u.seq.n == 3) {
		p2o_obj_as_double(q->u.seq.items[1], &(*out)->u.tensor->q_scale);
		p2o_obj_as_int(q->u.seq.items[2], &(*out)->u.tensor->q_zero_point);
	}
	return 0;
}

static int rebuild_parameter(const struct p2o_pickle_env *env,
			     struct p2o_obj *args, struct p2o_obj **out,
			     struct p2o_err *err)
{
	struct p2o_obj *t = arg(args, 0), *o;

	if (!t)
		return bad_args(env, "_rebuild_parameter", "no tensor", err);
	if (!(o = p2o_obj_new(env->arena, t->kind)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	*o = *t;
	o->flags |= P2O_OBJ_PARAMETER;
	*out = o;
	return 0;
}

/* _rebuild_from_type_v2(func, type, args, state): func(*args) */
static int rebuild_from_type(const struct p2o_pickle_env *env,
			     struct p2o_obj *args, struct p2o_obj **out,
			     struct p2o_err *err)
{
	struct p2o_obj *fn = arg(args, 0), *fargs = arg(args, 2);

	if (!fn || !fargs || fargs->kind != PY_TUPLE)
		return bad_args(env, "_rebuild_from_type_v2", "bad arguments", err);
	if (p2o_call(env, fn, fargs, out, err))
		return -1;
	if (p2o_is_global(arg(args, 1), "torch.nn.parameter", "Parameter"))
		(*out)->flags |= P2O_OBJ_PARAMETER;
	return 0;
}

static int meta_tensor(const struct p2o_pickle_env *env, struct p2o_obj *args,
		       struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_obj *o = p2o_obj_new(env->arena, PY_TENSOR);
	struct p2o_tensor *t = p2o_alloc(env->arena, sizeof *t);
	int srank;

	if (!o || !t)
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	o->u.tensor = t;
	t->dtype = dtype_of_global(arg(args, 0));
	t->device = "meta";
	if (!t->dtype || int_tuple(arg(args, 1), t->shape, &t->rank) ||
	    int_tuple(arg(args, 2), t->stride, &srank))
		return bad_args(env, "_rebuild_meta_tensor_no_storage", "bad arguments", err);
	*out = o;
	return 0;
}

static int identity(const struct p2o_pickle_env *env, struct p2o_obj *args,
		    struct p2o_obj **out, struct p2o_err *err)
{
	if (!(*out = arg(args, 0)))
		return bad_args(env, "call", "missing argument", err);
	return 0;
}

static int make_dict(const struct p2o_pickle_env *env, struct p2o_obj *args,
		     struct p2o_obj **out, struct p2o_err *err)
{
	(void)args;
	if (!(*out = p2o_obj_new(env->arena, PY_DICT)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	(*out)->flags |= P2O_OBJ_ORDERED;
	return 0;
}

static int copy_seq(const struct p2o_pickle_env *env, struct p2o_obj *src,
		    enum p2o_kind kind, struct p2o_obj **out, struct p2o_err *err)
{
	if (!(*out = p2o_obj_new(env->arena, kind)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	if (src && (src->kind == PY_LIST || src->kind == PY_TUPLE || src->kind == PY_SET))
		(*out)->u.seq = src->u.seq;
	return 0;
}

static int make_set(const struct p2o_pickle_env *env, struct p2o_obj *args,
		    struct p2o_obj **out, struct p2o_err *err)
{
	return copy_seq(env, arg(args, 0), PY_SET, out, err);
}

static int make_size(const struct p2o_pickle_env *env, struct p2o_obj *args,
		     struct p2o_obj **out, struct p2o_err *err)
{
	if (copy_seq(env, arg(args, 0), PY_TUPLE, out, err))
		return -1;
	(*out)->flags |= P2O_OBJ_SIZE;
	return 0;
}

/* bytes(...) / bytearray(b) */
static int make_bytes(const struct p2o_pickle_env *env, struct p2o_obj *args,
		      struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_obj *a0 = arg(args, 0);

	if (a0 && (a0->kind == PY_BYTES)) {
		*out = a0;
		return 0;
	}
	if (!(*out = p2o_obj_new(env->arena, PY_BYTES)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	(*out)->u.str.s = "";
	return 0;
}

/* _codecs.encode(text, 'latin1'): protocol-2 bytes.  Each code point of
 * the UTF-8 text is one byte. */
static int codecs_encode(const struct p2o_pickle_env *env, struct p2o_obj *args,
			 struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_obj *s = arg(args, 0);
	unsigned char *buf;
	size_t n = 0;

	if (!s || s->kind != PY_STR)
		return bad_args(env, "_codecs.encode", "argument is not text", err);
	if (!(buf = p2o_alloc(env->arena, s->u.str.len + 1)) ||
	    !(*out = p2o_obj_new(env->arena, PY_BYTES)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	for (size_t i = 0; i < s->u.str.len; i++) {
		unsigned char c = (unsigned char)s->u.str.s[i];
		if (c >= 0xc0 && c < 0xc4 && i + 1 < s->u.str.len) {
			buf[n++] = (unsigned char)(((c & 0x03) << 6) |
						   ((unsigned char)s->u.str.s[++i] & 0x3f));
		} else if (c < 0x80) {
			buf[n++] = c;
		} else {
			return bad_args(env, "_codecs.encode", "text is not latin-1", err);
		}
	}
	(*out)->u.str.s = (const char *)buf;
	(*out)->u.str.len = n;
	return 0;
}

static int make_complex(const struct p2o_pickle_env *env, struct p2o_obj *args,
			struct p2o_obj **out, struct p2o_err *err)
{
	if (!(*out = p2o_obj_new(env->arena, PY_COMPLEX)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	p2o_obj_as_double(arg(args, 0), &(*out)->u.c[0]);
	p2o_obj_as_double(arg(args, 1), &(*out)->u.c[1]);
	return 0;
}

static const struct {
	const char *module, *name;
	call_fn fn;
} CALLS[] = {
	{"torch._utils", "_rebuild_tensor_v2", rebuild_tensor_v2},
	{"torch._utils", "_rebuild_tensor", rebuild_tensor_v2},
	{"torch._utils", "_rebuild_tensor_v3", rebuild_tensor_v3},
	{"torch._utils", "_rebuild_qtensor", rebuild_qtensor},
	{"torch._utils", "_rebuild_parameter", rebuild_parameter},
	{"torch._utils", "_rebuild_parameter_with_state", rebuild_parameter},
	{"torch._utils", "_rebuild_meta_tensor_no_storage", meta_tensor},
	{"torch._utils", "_rebuild_device_tensor_from_numpy", p2o_np_device_tensor},
	{"torch._utils", "_rebuild_xla_tensor", p2o_np_device_tensor},
	{"torch._tensor", "_rebuild_from_type_v2", rebuild_from_type},
	{"torch._tensor", "_rebuild_from_type", rebuild_from_type},
	{"torch", "Size", make_size},
	{"torch.jit._pickle", "build_intlist", identity},
	{"torch.jit._pickle", "build_doublelist", identity},
	{"torch.jit._pickle", "build_boollist", identity},
	{"torch.jit._pickle", "build_tensorlist", identity},
	{"torch.jit._pickle", "build_tensor_from_id", identity},
	{"torch.jit._pickle", "restore_type_tag", identity},
	{"torch.serialization", "_get_layout", identity},
	{"collections", "OrderedDict", make_dict},
	{"collections", "defaultdict", make_dict},
	{"builtins", "dict", make_dict},
	{"builtins", "set", make_set},
	{"builtins", "frozenset", make_set},
	{"builtins", "bytes", make_bytes},
	{"builtins", "bytearray", make_bytes},
	{"builtins", "complex", make_complex},
	{"_codecs", "encode", codecs_encode},
	{"numpy.core.multiarray", "_reconstruct", p2o_np_reconstruct},
	{"numpy._core.multiarray", "_reconstruct", p2o_np_reconstruct},
	{"numpy.core.multiarray", "scalar", p2o_np_scalar},
	{"numpy._core.multiarray", "scalar", p2o_np_scalar},
};

int p2o_call(const struct p2o_pickle_env *env, struct p2o_obj *callable,
	     struct p2o_obj *args, struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_obj *o;

	if (callable->kind == PY_GLOBAL)
		for (size_t i = 0; i < P2O_ARRAY_LEN(CALLS); i++)
			if (p2o_is_global(callable, CALLS[i].module, CALLS[i].name))
				return CALLS[i].fn(env, args, out, err);
	/* copyreg._reconstructor(cls, base, state): an instance of cls */
	if (p2o_is_global(callable, "copyreg", "_reconstructor") && arg(args, 0)) {
		callable = arg(args, 0);
		args = NULL;
	}
	if (!(o = p2o_obj_new(env->arena, PY_OBJECT)))
		return p2o_errf(err, P2O_ENOMEM, env->where, "out of memory");
	o->u.object.cls = callable;
	o->u.object.args = args;
	*out = o;
	return 0;
}

int p2o_build(const struct p2o_pickle_env *env, struct p2o_obj *obj,
	      struct p2o_obj *state, struct p2o_err *err)
{
	switch (obj->kind) {
	case PY_DICT:
		obj->meta = state; /* state_dict()._metadata: kept apart */
		return 0;
	case PY_OBJECT:
		if (p2o_np_is_pending(obj))
			return p2o_np_build(env, obj, state, err);
		obj->u.object.state = state;
		return 0;
	default:
		return 0; /* tensor attributes and the like: not needed */
	}
}
