/*
 * legacy_format.c — the stream torch.save wrote before 1.6 (and still
 * writes with _use_new_zipfile_serialization=False):
 *   pickle(magic) pickle(1001) pickle(sys_info) pickle(object)
 *   pickle([storage keys]) then, per key: int64 element count, raw bytes.
 * The raw area's position is known only after every pickle is parsed.
 */
#include "checkpoint.h"

#include <string.h>

static int next_pickle(struct p2o_checkpoint *ck, size_t *pos, const char *what,
		       int with_storages, struct p2o_obj **out, struct p2o_err *err)
{
	struct p2o_pickle_env env = {&ck->arena, with_storages ? p2o_storage_pid : NULL,
				     ck, &ck->warnings, NULL};
	size_t used = 0;

	env.where = p2o_sprintf(&ck->arena, "%s: legacy %s pickle at byte %zu",
				ck->path, what, *pos);
	if (p2o_unpickle(ck->map.data + *pos, ck->map.size - *pos, &env, out, &used, err))
		return -1;
	*pos += used;
	return 0;
}

static struct p2o_storage *find_storage(struct p2o_checkpoint *ck, const char *key)
{
	for (size_t i = 0; i < ck->nstorages; i++)
		if (!strcmp(ck->storages[i]->key + 1, key)) /* keys are "/<key>" */
			return ck->storages[i];
	return NULL;
}

int p2o_legacy_load(struct p2o_checkpoint *ck, struct p2o_err *err)
{
	struct p2o_obj *magic, *proto, *info, *keys, *le;
	size_t pos = 0;
	int64_t v;

	if (next_pickle(ck, &pos, "magic", 0, &magic, err) ||
	    next_pickle(ck, &pos, "protocol", 0, &proto, err) ||
	    next_pickle(ck, &pos, "sys_info", 0, &info, err))
		return -1;
	if (p2o_obj_as_int(proto, &v) || v != 1001)
		return p2o_errf(err, P2O_EFORMAT, ck->path,
				"legacy format protocol is not 1001");
	ck->version = "1001";
	le = p2o_dict_get(info, "little_endian");
	ck->big_endian = le && le->kind == PY_BOOL && !le->u.boolean;
	if (next_pickle(ck, &pos, "main", 1, &ck->root, err) ||
	    next_pickle(ck, &pos, "storage-key", 0, &keys, err))
		return -1;
	if (keys->kind != PY_LIST)
		return p2o_errf(err, P2O_EFORMAT, ck->path,
				"legacy storage-key pickle is not a list");
	for (size_t i = 0; i < keys->u.seq.n; i++) {
		struct p2o_obj *k = keys->u.seq.items[i];
		struct p2o_storage *s;
		uint64_t count = 0, nbytes;
		unsigned esize;

		if (k->kind != PY_STR)
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"legacy storage key #%zu is not a string", i);
		if (!(s = find_storage(ck, k->u.str.s)))
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"legacy storage '%s' is listed but no tensor uses it",
					k->u.str.s);
		if (ck->map.size - pos < 8)
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"truncated: storage '%s' header at byte %zu is past the "
					"end of the file (%zu bytes)", k->u.str.s, pos, ck->map.size);
		for (int b = 0; b < 8; b++) {
			unsigned char c = ck->map.data[pos + (ck->big_endian ? b : 7 - b)];
			count = (count << 8) | c;
		}
		pos += 8;
		esize = p2o_dtype_info(s->dtype)->size;
		if (__builtin_mul_overflow(count, esize, &nbytes) ||
		    nbytes > ck->map.size - pos)
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"truncated: storage '%s' at byte %zu declares %llu "
					"elements of %u bytes but the file has %zu bytes left",
					k->u.str.s, pos, (unsigned long long)count, esize,
					ck->map.size - pos);
		s->data = ck->map.data + pos;
		s->nbytes = nbytes;
		s->resolved = 1;
		pos += nbytes;
	}
	for (size_t i = 0; i < ck->nstorages; i++)
		if (!ck->storages[i]->resolved)
			return p2o_errf(err, P2O_EFORMAT, ck->path,
					"legacy storage '%s' is used but has no data",
					ck->storages[i]->key + 1);
	return 0;
}
