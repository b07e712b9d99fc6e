/* zip_archive.h — the zip container of torch.save (1.6+) and torch.jit.save,
 * read through minizip over the memory map.  Stored entries are not copied:
 * their bytes are a pointer into the mapping. */
#ifndef P2O_ZIP_ARCHIVE_H
#define P2O_ZIP_ARCHIVE_H

#include "mapped_file.h"

struct p2o_zip_entry {
	const char *name;
	uint64_t data_offset; /* from the local header */
	uint64_t csize, usize;
	int method;           /* 0 stored, 8 deflated */
};

struct p2o_zip {
	struct p2o_zip_entry *entries; /* sorted by name */
	size_t n;
	const char *first_name;        /* the first central-directory entry */
};

int p2o_zip_open(struct p2o_zip *z, const struct p2o_map *map,
		 struct p2o_arena *a, const char *path, struct p2o_err *err);
const struct p2o_zip_entry *p2o_zip_find(const struct p2o_zip *z,
					 const char *name);
/* The entry's bytes: a pointer into the map when stored, inflated into the
 * arena when deflated.  CRCs are not checked (PyTorch does not either). */
int p2o_zip_data(const struct p2o_map *map, const struct p2o_zip_entry *e,
		 struct p2o_arena *a, const unsigned char **data, size_t *len,
		 const char *path, struct p2o_err *err);

#endif
