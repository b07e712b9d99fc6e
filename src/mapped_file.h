/* mapped_file.h — a read-only memory map of a whole file.
 *
 * The file stays open while it is mapped, and live mappings are known to
 * this module, so a writer holding a pointer into one can ask where the
 * bytes lie in the file (p2o_map_locate) and copy them file to file with
 * copy_file_range(2), and can drop pages it has read from its resident
 * set (p2o_map_release): the mapping is PROT_READ and MAP_PRIVATE, never
 * written, so MADV_DONTNEED only unmaps clean page-cache pages and a later
 * read faults them back in from the file. */
#ifndef P2O_MAPPED_FILE_H
#define P2O_MAPPED_FILE_H

#include "p2o.h"

struct p2o_map {
	const unsigned char *data; /* NULL for an empty file */
	size_t size;
	int fd;                    /* the file while mapped, else -1 */
};

int p2o_map_open(struct p2o_map *m, const char *path, struct p2o_err *err);
void p2o_map_close(struct p2o_map *m);

/* When [p, p + n) lies inside a live mapping: 0, with the file's
 * descriptor (owned by the mapping: do not close it) and the file offset
 * of p.  Otherwise -1 (memory that is not a mapped file). */
int p2o_map_locate(const void *p, size_t n, int *fd, uint64_t *offset);
/* Drop the pages of [p, p + n), rounded out to whole pages, from the
 * resident set when the range lies inside a live mapping (a neighbour's
 * bytes on a shared page are only read again from the file).  Memory that
 * is not a mapped file is left alone, so any pointer may be passed. */
void p2o_map_release(const void *p, size_t n);
/* The same for every live mapping. */
void p2o_map_release_all(void);

#endif
