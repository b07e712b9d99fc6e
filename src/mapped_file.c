/* mapped_file.c — see mapped_file.h. */
#include "mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int p2o_map_open(struct p2o_map *m, const char *path, struct p2o_err *err)
{
	struct stat st;
	int fd, rc = -1;

	m->data = NULL;
	m->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return p2o_errf(err, P2O_EIO, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st)) {
		p2o_errf(err, P2O_EIO, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		p2o_errf(err, P2O_EIO, path, "is a directory, not a checkpoint file");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		p2o_errf(err, P2O_EIO, path, "is not a regular file");
		goto out;
	}
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			p2o_errf(err, P2O_EIO, path, "cannot map: %s", strerror(errno));
			goto out;
		}
		m->data = p;
		m->size = (size_t)st.st_size;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

void p2o_map_close(struct p2o_map *m)
{
	if (m->data)
		munmap((void *)m->data, m->size);
	m->data = NULL;
	m->size = 0;
}
