/*
 * p2o.h — what every part of pth2onnx shares: the error type and the arena.
 *
 * Ownership rules (docs/design.md):
 *   - an arena owns every object built while reading a checkpoint or
 *     building a graph; one p2o_arena_free releases them all;
 *   - the mapping (struct p2o_map) owns the checkpoint's bytes; tensors
 *     point into it and nothing else frees it;
 *   - no function outside src/main.c exits or aborts: every failure fills a
 *     struct p2o_err and returns -1 (or NULL).
 */
#ifndef P2O_H
#define P2O_H

#include <stddef.h>
#include <stdint.h>

#define P2O_VERSION "0.1.0"

/* Error codes double as the process exit status (see src/main.c). */
enum p2o_code {
	P2O_OK = 0,
	P2O_EUSAGE = 2,   /* bad command line */
	P2O_EIO = 3,      /* cannot open, read, map or write a file */
	P2O_EFORMAT = 4,  /* not a checkpoint, or a corrupt one */
	P2O_EARCH = 5,    /* error in an architecture description */
	P2O_EBIND = 6,    /* weights do not fit the architecture */
	P2O_ECONVERT = 7, /* a layer or option that cannot be converted */
	P2O_ENOMEM = 8,   /* out of memory */
	P2O_EINTERNAL = 9 /* a bug: please report */
};

/* One error: what went wrong and where.  `where` is a file, a record and a
 * byte offset ("model.pth: archive/data.pkl @ 1234"), a key, or
 * file:line:col; `msg` says what was expected and what was found. */
struct p2o_err {
	enum p2o_code code;
	char where[512];
	char msg[1024];
	char detail[1024]; /* optional extra lines (source line + caret) */
};

/* Fill err (if it is still empty; the first error wins) and return -1. */
int p2o_errf(struct p2o_err *err, enum p2o_code code, const char *where,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Prefix err->where with more context ("file.pth: " ...). */
void p2o_err_context(struct p2o_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void p2o_err_clear(struct p2o_err *err);

/* ---- arena: chained blocks, freed all at once ---- */
struct p2o_arena_block;
struct p2o_arena {
	struct p2o_arena_block *head;
	size_t used_bytes;
};

void p2o_arena_init(struct p2o_arena *a);
void p2o_arena_free(struct p2o_arena *a);
/* Zeroed memory, 16-byte aligned; NULL only when out of memory. */
void *p2o_alloc(struct p2o_arena *a, size_t size);
/* n * size with overflow check. */
void *p2o_alloc_array(struct p2o_arena *a, size_t n, size_t size);
char *p2o_strndup(struct p2o_arena *a, const char *s, size_t n);
char *p2o_strdup(struct p2o_arena *a, const char *s);
char *p2o_sprintf(struct p2o_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Grow an arena array of *cap elements to at least need (doubling). */
int p2o_grow(struct p2o_arena *a, void **items, size_t *cap, size_t need,
	     size_t elem_size);

/* Overflow-checked arithmetic on sizes: return 0 on success, -1 on overflow. */
static inline int p2o_mul_size(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}
static inline int p2o_add_size(size_t a, size_t b, size_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

#define P2O_ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

#endif
