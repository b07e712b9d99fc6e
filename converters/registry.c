/* registry.c — the one table of converters, built from converters.def and
 * searched by name. */
#include "converter.h"

#include <stdlib.h>
#include <string.h>

#define X(name, sym) extern const struct p2o_converter p2o_cv_##sym;
#include "converters.def"
#undef X

static const struct p2o_converter *const TABLE[] = {
#define X(name, sym) &p2o_cv_##sym,
#include "converters.def"
#undef X
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct p2o_converter *const *)elem)->name);
}

const struct p2o_converter *p2o_converter_find(const char *name)
{
	const struct p2o_converter *const *c =
		bsearch(name, TABLE, P2O_ARRAY_LEN(TABLE), sizeof TABLE[0], cmp);
	return c ? *c : NULL;
}

const char *p2o_converter_name(const struct p2o_converter *c)
{
	return c ? c->name : "?";
}

const struct p2o_converter *const *p2o_converters(size_t *n)
{
	*n = P2O_ARRAY_LEN(TABLE);
	return TABLE;
}
