/* pickle_machine.h — the pickle machine's private state and primitives,
 * shared by src/pickle.c (the opcode loop) and src/pickle_prims.c. */
#ifndef P2O_PICKLE_MACHINE_H
#define P2O_PICKLE_MACHINE_H

#include "pickle.h"

#define MAX_STACK (64u * 1024 * 1024) /* values on the stack or marks */

struct memo_slot {
	uint32_t key;
	int used;
	struct p2o_obj *val;
};

struct machine {
	const struct p2o_pickle_env *env;
	struct p2o_arena *a;
	const unsigned char *base, *p, *end;
	size_t op_at;                 /* offset of the current opcode */
	struct p2o_obj **stack;
	size_t sp, scap;
	size_t *marks;
	size_t nmarks, mcap;
	struct memo_slot *memo;      /* open addressing, malloc'd */
	size_t memo_n, memo_cap;
	struct p2o_err *err;
};

int pm_fail(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pm_oom(struct machine *m);
int pm_need(struct machine *m, size_t n, const char *what);
uint64_t pm_rd_le(const unsigned char *p, int n);
int pm_read_line(struct machine *m, const char **s, size_t *len);
int pm_push(struct machine *m, struct p2o_obj *o);
struct p2o_obj *pm_pop(struct machine *m);
struct p2o_obj *pm_top(struct machine *m);
int pm_push_mark(struct machine *m);
int pm_pop_mark(struct machine *m, struct p2o_obj ***items, size_t *n);
struct p2o_obj *pm_make_seq(struct machine *m, enum p2o_kind kind,
			    struct p2o_obj **items, size_t n);
int pm_memo_put(struct machine *m, uint64_t key, struct p2o_obj *v);
int pm_memo_get(struct machine *m, uint64_t key);
struct p2o_obj *pm_make_long(struct machine *m, const unsigned char *p, size_t n);
int pm_push_bytes(struct machine *m, enum p2o_kind kind, uint64_t n);
int pm_text_int(struct machine *m, int is_long);
int pm_text_float(struct machine *m);
int pm_text_string(struct machine *m, enum p2o_kind kind);
int pm_do_global(struct machine *m, const char *mod, size_t ml,
		 const char *name, size_t nl);

#endif
