/*
 * pyobj.h — the values a pickle produces, as plain data.
 *
 * Nothing here is ever executed.  A GLOBAL is a symbol (module + name); a
 * call of a symbol the reader knows (OrderedDict, torch's tensor rebuild
 * functions, numpy arrays, ...) is interpreted by src/rebuild.c; any other
 * call or instantiation becomes an opaque OBJECT that keeps its class, its
 * arguments and its state, so a whole pickled model still shows its module
 * tree and weights when the model's Python classes are not installed.
 */
#ifndef P2O_PYOBJ_H
#define P2O_PYOBJ_H

#include "p2o.h"
#include "tensor.h"

enum p2o_kind {
	PY_NONE,
	PY_BOOL,
	PY_INT,
	PY_FLOAT,
	PY_STR,    /* UTF-8 text */
	PY_BYTES,  /* bytes and bytearray */
	PY_TUPLE,  /* also torch.Size */
	PY_LIST,
	PY_DICT,   /* dict and OrderedDict: keys in insertion order */
	PY_SET,    /* set and frozenset */
	PY_GLOBAL, /* a module.name symbol, never resolved */
	PY_OBJECT, /* an opaque instance: class, args, state */
	PY_TENSOR,
	PY_STORAGE,
	PY_COMPLEX
};

struct p2o_obj;

struct p2o_seq {
	struct p2o_obj **items;
	size_t n, cap;
};

struct p2o_dict {
	struct p2o_obj **keys, **vals;
	size_t n, cap;
};

struct p2o_object {
	struct p2o_obj *cls;   /* a PY_GLOBAL (or whatever the pickle gave) */
	struct p2o_obj *args;  /* constructor arguments (tuple) or NULL */
	struct p2o_obj *state; /* BUILD argument or NULL */
	struct p2o_dict items; /* SETITEMS applied to the object */
	struct p2o_seq list;   /* APPENDS applied to the object */
};

struct p2o_obj {
	enum p2o_kind kind;
	unsigned flags; /* P2O_OBJ_* */
	union {
		int boolean;
		int64_t i;
		double f;
		double c[2];
		struct { const char *s; size_t len; } str; /* STR and BYTES */
		struct p2o_seq seq;                        /* TUPLE LIST SET */
		struct p2o_dict dict;
		struct { const char *module, *name; } global;
		struct p2o_object object;
		struct p2o_tensor *tensor;
		struct p2o_storage *storage;
	} u;
	struct p2o_obj *meta; /* DICT: a BUILD state (state_dict _metadata) */
};

enum {
	P2O_OBJ_ORDERED = 1,   /* OrderedDict */
	P2O_OBJ_SIZE = 2,      /* torch.Size */
	P2O_OBJ_PARAMETER = 4, /* nn.Parameter */
	P2O_OBJ_FROZEN = 8,    /* frozenset */
	P2O_OBJ_NUMPY = 16     /* numpy scalar or array */
};

struct p2o_obj *p2o_obj_new(struct p2o_arena *a, enum p2o_kind kind);
struct p2o_obj *p2o_obj_int(struct p2o_arena *a, int64_t v);
struct p2o_obj *p2o_obj_str(struct p2o_arena *a, const char *s, size_t len);
int p2o_seq_push(struct p2o_arena *a, struct p2o_seq *s, struct p2o_obj *v);
int p2o_dict_set(struct p2o_arena *a, struct p2o_dict *d, struct p2o_obj *k,
		 struct p2o_obj *v);

/* Look-ups on plain data; NULL when absent or of another kind. */
struct p2o_obj *p2o_dict_get(const struct p2o_obj *dict, const char *key);
struct p2o_obj *p2o_attr(const struct p2o_obj *obj, const char *key);
int p2o_is_str(const struct p2o_obj *o, const char *s);
int p2o_is_global(const struct p2o_obj *o, const char *module,
		  const char *name);
/* The class name of an OBJECT ("torch.nn.modules.conv.Conv2d"), or NULL. */
const char *p2o_class_name(struct p2o_arena *a, const struct p2o_obj *o);
int p2o_obj_as_int(const struct p2o_obj *o, int64_t *out);
int p2o_obj_as_double(const struct p2o_obj *o, double *out);

/* Python-like repr into buf (truncated with "..." past `cap`): used for
 * summaries and module hyper-parameters. */
void p2o_repr(const struct p2o_obj *o, char *buf, size_t cap);
/* Python's repr of a float ("0.1", "1e-05", "100000.0"). */
void p2o_float_repr(double f, char *out, size_t cap);

#endif
