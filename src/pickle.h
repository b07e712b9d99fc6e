/*
 * pickle.h — a pickle machine (protocols 0 to 5) that never executes
 * anything.  GLOBAL/STACK_GLOBAL produce symbols; REDUCE, NEWOBJ, INST,
 * OBJ and BUILD go to src/rebuild.c, which interprets the few callables a
 * checkpoint needs and keeps everything else as opaque objects.
 */
#ifndef P2O_PICKLE_H
#define P2O_PICKLE_H

#include "pyobj.h"

struct p2o_strlist {
	const char **items;
	size_t n, cap;
};
/* Append s unless already present. */
int p2o_strlist_add_unique(struct p2o_arena *a, struct p2o_strlist *l,
			   const char *s);

struct p2o_unpickler;

/* Called for BINPERSID/PERSID: turn a persistent id (the tuple
 * ('storage', type, key, location, numel) in torch files) into an object. */
typedef int (*p2o_persistent_load_fn)(void *ctx, struct p2o_obj *pid,
				      struct p2o_obj **out, struct p2o_err *err);

struct p2o_pickle_env {
	struct p2o_arena *arena;
	p2o_persistent_load_fn persistent_load; /* NULL: refuse pids */
	void *ctx;
	struct p2o_strlist *warnings; /* globals outside the allow-list */
	const char *where;            /* "model.pth: archive/data.pkl" */
};

/* Run the pickle at data[0..len).  On success *out is the result and
 * *consumed the number of bytes up to and including STOP. */
int p2o_unpickle(const unsigned char *data, size_t len,
		 const struct p2o_pickle_env *env, struct p2o_obj **out,
		 size_t *consumed, struct p2o_err *err);

/* ---- src/rebuild.c: what calls and BUILD mean ---- */
/* Note a GLOBAL: warn when it is outside the allow-list. */
int p2o_note_global(const struct p2o_pickle_env *env, const char *module,
		    const char *name);
/* callable(*args) for REDUCE; NEWOBJ/INST/OBJ use the same path. */
int p2o_call(const struct p2o_pickle_env *env, struct p2o_obj *callable,
	     struct p2o_obj *args, struct p2o_obj **out, struct p2o_err *err);
/* obj.__setstate__(state) for BUILD. */
int p2o_build(const struct p2o_pickle_env *env, struct p2o_obj *obj,
	      struct p2o_obj *state, struct p2o_err *err);

#endif
