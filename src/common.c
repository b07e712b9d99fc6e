/* common.c — the error type and the arena declared in p2o.h. */
#include "p2o.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int p2o_errf(struct p2o_err *err, enum p2o_code code, const char *where,
	     const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != P2O_OK)
		return -1;
	err->code = code;
	snprintf(err->where, sizeof err->where, "%s", where ? where : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void p2o_err_context(struct p2o_err *err, const char *fmt, ...)
{
	char prefix[512], old[512];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->where, sizeof old);
	snprintf(err->where, sizeof err->where, "%s%s%s", prefix,
		 old[0] ? ": " : "", old);
}

void p2o_err_clear(struct p2o_err *err)
{
	memset(err, 0, sizeof *err);
}

/* ---- arena ---- */

struct p2o_arena_block {
	struct p2o_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

#define P2O_ARENA_BLOCK (64 * 1024)

void p2o_arena_init(struct p2o_arena *a)
{
	a->head = NULL;
	a->used_bytes = 0;
}

void p2o_arena_free(struct p2o_arena *a)
{
	struct p2o_arena_block *b = a->head;

	while (b) {
		struct p2o_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used_bytes = 0;
}

void *p2o_alloc(struct p2o_arena *a, size_t size)
{
	struct p2o_arena_block *b = a->head;
	size_t need = (size + 15) & ~(size_t)15;

	if (need < size)
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t bsize = need > P2O_ARENA_BLOCK ? need : P2O_ARENA_BLOCK;
		b = malloc(sizeof *b + bsize);
		if (!b)
			return NULL;
		b->size = bsize;
		b->used = 0;
		/* A big one-off block goes behind the current one so the
		 * current block's free space is not wasted. */
		if (a->head && need > P2O_ARENA_BLOCK) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used_bytes += need;
	memset(p, 0, size);
	return p;
}

void *p2o_alloc_array(struct p2o_arena *a, size_t n, size_t size)
{
	size_t total;

	if (p2o_mul_size(n, size, &total))
		return NULL;
	return p2o_alloc(a, total ? total : 1);
}

char *p2o_strndup(struct p2o_arena *a, const char *s, size_t n)
{
	char *p = p2o_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *p2o_strdup(struct p2o_arena *a, const char *s)
{
	return p2o_strndup(a, s, strlen(s));
}

char *p2o_sprintf(struct p2o_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = p2o_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int p2o_grow(struct p2o_arena *a, void **items, size_t *cap, size_t need,
	     size_t elem_size)
{
	size_t ncap = *cap ? *cap : 4;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	p = p2o_alloc_array(a, ncap, elem_size);
	if (!p)
		return -1;
	if (*items && *cap)
		memcpy(p, *items, *cap * elem_size);
	*items = p;
	*cap = ncap;
	return 0;
}
