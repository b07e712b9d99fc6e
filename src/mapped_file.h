/* mapped_file.h — a read-only memory map of a whole file. */
#ifndef P2O_MAPPED_FILE_H
#define P2O_MAPPED_FILE_H

#include "p2o.h"

struct p2o_map {
	const unsigned char *data; /* NULL for an empty file */
	size_t size;
};

int p2o_map_open(struct p2o_map *m, const char *path, struct p2o_err *err);
void p2o_map_close(struct p2o_map *m);

#endif
