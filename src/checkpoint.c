/* checkpoint.c — format detection and the zip/TorchScript loader. */
#include "checkpoint.h"

#include <stdio.h>
#include <string.h>

/* The legacy stream opens with pickle(0x1950a86a20f9469cfc6c): LONG1 of 10
 * bytes, after PROTO and, from protocol 4, a FRAME. */
static const unsigned char LEGACY_MAGIC[] = {
	0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static int is_legacy(const unsigned char *d, size_t n)
{
	size_t at = 2;

	if (n < 2 || d[0] != 0x80)
		return 0;
	if (n > at && d[at] == 0x95) /* FRAME + 8-byte length */
		at += 9;
	return n >= at + sizeof LEGACY_MAGIC &&
	       !memcmp(d + at, LEGACY_MAGIC, sizeof LEGACY_MAGIC);
}

const char *p2o_format_name(enum p2o_format f)
{
	switch (f) {
	case P2O_FMT_ZIP: return "zip";
	case P2O_FMT_LEGACY: return "legacy";
	case P2O_FMT_TORCHSCRIPT: return "torchscript";
	default: return "pickle";
	}
}

static struct p2o_obj *tuple_item(struct p2o_obj *t, size_t i)
{
	return t && t->kind == PY_TUPLE && i < t->u.seq.n ? t->u.seq.items[i] : NULL;
}

/* Find or make the storage for a persistent id; zip storages are resolved
 * at once, legacy ones once the raw area after the pickles is reached. */
int p2o_storage_pid(void *ctx, struct p2o_obj *pid, struct p2o_obj **out,
		    struct p2o_err *err)
{
	struct p2o_checkpoint *ck = ctx;
	struct p2o_obj *kind = tuple_item(pid, 0), *type = tuple_item(pid, 1);
	struct p2o_obj *key = tuple_item(pid, 2), *loc = tuple_item(pid, 3);
	struct p2o_obj *numel = tuple_item(pid, 4);
	struct p2o_storage *s = NULL;
	const char *dir = ck->storage_dir ? ck->storage_dir : "";
	char *id;
	int64_t n;

	if (p2o_is_str(kind, "module") && type) { /* legacy: a module class */
		*out = type;
		return 0;
	}
	if (!p2o_is_str(kind, "storage") || !type || type->kind != PY_GLOBAL ||
	    !key || key->kind != PY_STR || p2o_obj_as_int(numel, &n) || n < 0)
		return p2o_errf(err, P2O_EFORMAT, ck->path,
				"persistent id is not ('storage', type, key, location, numel)");
	if (!(id = p2o_sprintf(&ck->arena, "%s/%s", dir, key->u.str.s)))
		return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
	for (size_t i = 0; i < ck->nstorages; i++)
		if (!strcmp(ck->storages[i]->key, id))
			s = ck->storages[i];
	if (!s) {
		if (!(s = p2o_alloc(&ck->arena, sizeof *s)) ||
		    p2o_grow(&ck->arena, (void **)&ck->storages, &ck->storages_cap,
			     ck->nstorages + 1, sizeof *ck->storages))
			return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
		ck->storages[ck->nstorages++] = s;
		s->key = id;
		s->numel = (uint64_t)n;
		s->big_endian = ck->big_endian;
		/* torch.UntypedStorage counts bytes (dtype comes with v3) */
		s->dtype = !strcmp(type->u.global.name, "UntypedStorage") ?
				   P2O_DT_UINT8 : p2o_dtype_from_storage(type->u.global.name);
		if (!s->dtype)
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"storage '%s' has unknown type %s.%s", key->u.str.s,
					type->u.global.module, type->u.global.name);
		if (ck->format != P2O_FMT_LEGACY) {
			char *rec = p2o_sprintf(&ck->arena, "%s/%s/%s", ck->archive_name,
						dir, key->u.str.s);
			const struct p2o_zip_entry *e = rec ? p2o_zip_find(&ck->zip, rec) : NULL;
			size_t len;
			uint64_t need;
			if (!e)
				return p2o_errf(err, P2O_EFORMAT, ck->path,
						"record '%s' for storage '%s' is missing",
						rec ? rec : "?", key->u.str.s);
			if (p2o_zip_data(&ck->map, e, &ck->arena, &s->data, &len, ck->path, err))
				return -1;
			s->nbytes = len;
			if (__builtin_mul_overflow(s->numel, p2o_dtype_info(s->dtype)->size, &need) ||
			    need > len)
				return p2o_errf(err, P2O_EFORMAT, ck->path,
						"record '%s' has %zu bytes but the storage declares "
						"%llu elements of %u bytes", rec, len,
						(unsigned long long)s->numel,
						p2o_dtype_info(s->dtype)->size);
			s->resolved = 1;
		}
	}
	(void)loc;
	if (!(*out = p2o_obj_new(&ck->arena, PY_STORAGE)))
		return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
	(*out)->u.storage = s;
	return 0;
}

/* Records are under one folder, named after the first entry. */
static int zip_record(struct p2o_checkpoint *ck, const char *name,
		      const unsigned char **data, size_t *len, struct p2o_err *err)
{
	char *rec = p2o_sprintf(&ck->arena, "%s/%s", ck->archive_name, name);
	const struct p2o_zip_entry *e = rec ? p2o_zip_find(&ck->zip, rec) : NULL;

	if (!e)
		return 1;
	return p2o_zip_data(&ck->map, e, &ck->arena, data, len, ck->path, err) ? -1 : 0;
}

static int zip_pickle(struct p2o_checkpoint *ck, const char *name,
		      const char *dir, struct p2o_obj **out, struct p2o_err *err)
{
	const unsigned char *data;
	size_t len;
	struct p2o_pickle_env env = {&ck->arena, p2o_storage_pid, ck, &ck->warnings, NULL};
	int rc = zip_record(ck, name, &data, &len, err);

	if (rc)
		return rc;
	env.where = p2o_sprintf(&ck->arena, "%s: %s/%s", ck->path, ck->archive_name, name);
	ck->storage_dir = dir;
	return p2o_unpickle(data, len, &env, out, NULL, err);
}

static int zip_load(struct p2o_checkpoint *ck, struct p2o_err *err)
{
	const unsigned char *data;
	size_t len;
	const char *slash;
	int rc;

	if (p2o_zip_open(&ck->zip, &ck->map, &ck->arena, ck->path, err))
		return -1;
	if (!ck->zip.first_name || !(slash = strchr(ck->zip.first_name, '/')))
		return p2o_errf(err, P2O_EFORMAT, ck->path,
				"a zip file, but not a PyTorch checkpoint: its first entry "
				"'%s' is not inside a folder", ck->zip.first_name ? ck->zip.first_name : "");
	ck->archive_name = p2o_strndup(&ck->arena, ck->zip.first_name,
				       (size_t)(slash - ck->zip.first_name));
	if (!ck->archive_name)
		return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
	if ((rc = zip_record(ck, "version", &data, &len, err)) == 1)
		rc = zip_record(ck, ".data/version", &data, &len, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
			len--;
		ck->version = p2o_strndup(&ck->arena, (const char *)data, len < 32 ? len : 32);
	}
	if ((rc = zip_record(ck, "byteorder", &data, &len, err)) < 0)
		return -1;
	if (rc == 0) {
		if (len >= 3 && !memcmp(data, "big", 3))
			ck->big_endian = 1;
		else if (len < 6 || memcmp(data, "little", 6))
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"record 'byteorder' says '%.*s', expected 'little' or 'big'",
					(int)(len < 16 ? len : 16), data);
	}
	if (p2o_zip_find(&ck->zip, p2o_sprintf(&ck->arena, "%s/constants.pkl", ck->archive_name))) {
		ck->format = P2O_FMT_TORCHSCRIPT;
		if (zip_pickle(ck, "constants.pkl", "constants", &ck->constants, err))
			return -1;
	}
	rc = zip_pickle(ck, "data.pkl", "data", &ck->root, err);
	if (rc == 1)
		return p2o_errf(err, P2O_EFORMAT, ck->path,
				"a zip file, but record '%s/data.pkl' is missing: not a "
				"PyTorch checkpoint", ck->archive_name);
	return rc;
}

int p2o_checkpoint_open(struct p2o_checkpoint *ck, const char *path,
			struct p2o_err *err)
{
	const unsigned char *d;
	size_t n;

	memset(ck, 0, sizeof *ck);
	p2o_arena_init(&ck->arena);
	ck->path = path;
	if (p2o_map_open(&ck->map, path, err))
		return -1;
	d = ck->map.data;
	n = ck->map.size;
	if (n == 0)
		return p2o_errf(err, P2O_EFORMAT, path, "the file is empty");
	if (n >= 4 && !memcmp(d, "PK\x03\x04", 4)) {
		ck->format = P2O_FMT_ZIP;
		return zip_load(ck, err);
	}
	if (is_legacy(d, n)) {
		ck->format = P2O_FMT_LEGACY;
		return p2o_legacy_load(ck, err);
	}
	if (n >= 262 && !memcmp(d + 257, "ustar", 5))
		return p2o_errf(err, P2O_EFORMAT, path,
				"a tar file: the PyTorch 0.1.x tar format is not supported; "
				"load and re-save it with a newer PyTorch");
	if (n >= 8 && !memcmp(d, "PYTORCH1", 8))
		return p2o_errf(err, P2O_EFORMAT, path,
				"the PyTorch 1.0-preview 'PYTORCH1' format is not supported "
				"(PyTorch itself no longer reads it)");
	if (n >= 2 && d[0] == 0x80 && d[1] <= 5) {
		struct p2o_pickle_env env = {&ck->arena, NULL, ck, &ck->warnings, path};
		ck->format = P2O_FMT_PICKLE;
		return p2o_unpickle(d, n, &env, &ck->root, NULL, err);
	}
	return p2o_errf(err, P2O_EFORMAT, path,
			"not a PyTorch checkpoint: starts with bytes %02x %02x %02x %02x, "
			"expected a zip archive ('PK'), a legacy torch.save stream "
			"(80 02 8a 0a ...) or a pickle (80 0N)",
			d[0], n > 1 ? d[1] : 0, n > 2 ? d[2] : 0, n > 3 ? d[3] : 0);
}

void p2o_checkpoint_close(struct p2o_checkpoint *ck)
{
	p2o_map_close(&ck->map);
	p2o_arena_free(&ck->arena);
}
