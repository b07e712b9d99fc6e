/* mapped_file.c — see mapped_file.h. */
#include "mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The live mappings, for p2o_map_locate and p2o_map_release.  Few files
 * are open at once; a mapping that cannot be registered (out of memory)
 * still works, it is only never located. */
struct live {
	const unsigned char *data;
	size_t size;
	int fd;
};
static struct live *lives;
static size_t nlives, lives_cap;

static void live_add(const struct p2o_map *m)
{
	if (nlives == lives_cap) {
		size_t cap = lives_cap ? 2 * lives_cap : 4;
		struct live *l = realloc(lives, cap * sizeof *l);
		if (!l)
			return;
		lives = l;
		lives_cap = cap;
	}
	lives[nlives].data = m->data;
	lives[nlives].size = m->size;
	lives[nlives].fd = m->fd;
	nlives++;
}

static void live_remove(const unsigned char *data)
{
	for (size_t i = 0; i < nlives; i++)
		if (lives[i].data == data) {
			lives[i] = lives[--nlives];
			break;
		}
	if (!nlives) {
		free(lives);
		lives = NULL;
		lives_cap = 0;
	}
}

static const struct live *live_find(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	for (size_t i = 0; i < nlives; i++) {
		uintptr_t base = (uintptr_t)lives[i].data;
		if (a >= base && a - base <= lives[i].size &&
		    n <= lives[i].size - (a - base))
			return &lives[i];
	}
	return NULL;
}

int p2o_map_open(struct p2o_map *m, const char *path, struct p2o_err *err)
{
	struct stat st;
	int fd, rc = -1;

	m->data = NULL;
	m->size = 0;
	m->fd = -1;
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
		m->fd = fd; /* kept for p2o_map_locate; closed by p2o_map_close */
		live_add(m);
		return 0;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

void p2o_map_close(struct p2o_map *m)
{
	if (m->data) {
		live_remove(m->data);
		munmap((void *)m->data, m->size);
		if (m->fd >= 0)
			close(m->fd);
	}
	m->data = NULL;
	m->size = 0;
	m->fd = -1;
}

int p2o_map_locate(const void *p, size_t n, int *fd, uint64_t *offset)
{
	const struct live *l = live_find(p, n);

	if (!l || l->fd < 0)
		return -1;
	*fd = l->fd;
	*offset = (uint64_t)((const unsigned char *)p - l->data);
	return 0;
}

/* [p, p + n) lies inside l; rounded out to pages it still does: the
 * mapping starts on a page and its last page is mapped whole. */
static void release(const struct live *l, const unsigned char *p, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + n + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)l->data + l->size + page - 1) & ~(page - 1);

	if (hi > end)
		hi = end;
	/* advice only: a failure changes nothing that matters */
	if (n && hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void p2o_map_release(const void *p, size_t n)
{
	const struct live *l = live_find(p, n);

	if (l)
		release(l, p, n);
}

void p2o_map_release_all(void)
{
	for (size_t i = 0; i < nlives; i++)
		release(&lives[i], lives[i].data, lives[i].size);
}
