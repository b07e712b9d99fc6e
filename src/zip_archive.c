/* zip_archive.c — see zip_archive.h. */
#include "zip_archive.h"

#include <minizip/unzip.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- minizip I/O over the memory map ---- */

struct mem_stream {
	const struct p2o_map *map;
	uint64_t pos;
};

static voidpf ZCALLBACK mem_open(voidpf opaque, const void *name, int mode)
{
	(void)name; (void)mode;
	return opaque;
}

static uLong ZCALLBACK mem_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
	struct mem_stream *s = stream;
	(void)opaque;
	if (s->pos >= s->map->size)
		return 0;
	if (size > s->map->size - s->pos)
		size = (uLong)(s->map->size - s->pos);
	memcpy(buf, s->map->data + s->pos, size);
	s->pos += size;
	return size;
}

static uLong ZCALLBACK mem_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
	(void)opaque; (void)stream; (void)buf; (void)size;
	return 0;
}

static ZPOS64_T ZCALLBACK mem_tell(voidpf opaque, voidpf stream)
{
	(void)opaque;
	return ((struct mem_stream *)stream)->pos;
}

static long ZCALLBACK mem_seek(voidpf opaque, voidpf stream, ZPOS64_T off, int origin)
{
	struct mem_stream *s = stream;
	uint64_t base = origin == ZLIB_FILEFUNC_SEEK_SET ? 0 :
			origin == ZLIB_FILEFUNC_SEEK_CUR ? s->pos : s->map->size;
	(void)opaque;
	if (off > UINT64_MAX - base || base + off > s->map->size)
		return -1;
	s->pos = base + off;
	return 0;
}

static int ZCALLBACK mem_close(voidpf opaque, voidpf stream)
{
	(void)opaque; (void)stream;
	return 0;
}

static int ZCALLBACK mem_error(voidpf opaque, voidpf stream)
{
	(void)opaque; (void)stream;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct p2o_zip_entry *)a)->name,
		      ((const struct p2o_zip_entry *)b)->name);
}

int p2o_zip_open(struct p2o_zip *z, const struct p2o_map *map,
		 struct p2o_arena *a, const char *path, struct p2o_err *err)
{
	struct mem_stream stream = {map, 0};
	zlib_filefunc64_def io = {mem_open, mem_read, mem_write, mem_tell,
				  mem_seek, mem_close, mem_error, &stream};
	unz_global_info64 gi;
	unzFile uf;
	size_t cap = 0;
	int rc = -1, st;

	memset(z, 0, sizeof *z);
	uf = unzOpen2_64(path, &io);
	if (!uf)
		return p2o_errf(err, P2O_EFORMAT, path,
				"not a readable zip archive (no valid central directory)");
	if (unzGetGlobalInfo64(uf, &gi) != UNZ_OK) {
		p2o_errf(err, P2O_EFORMAT, path, "bad zip central directory");
		goto out;
	}
	for (st = unzGoToFirstFile(uf); st == UNZ_OK; st = unzGoToNextFile(uf)) {
		unz_file_info64 fi;
		char name[4096];
		struct p2o_zip_entry *e;

		if (unzGetCurrentFileInfo64(uf, &fi, name, sizeof name, NULL, 0, NULL, 0) != UNZ_OK ||
		    fi.size_filename >= sizeof name) {
			p2o_errf(err, P2O_EFORMAT, path, "bad zip entry #%zu", z->n);
			goto out;
		}
		if (p2o_grow(a, (void **)&z->entries, &cap, z->n + 1, sizeof *z->entries))
			goto nomem;
		e = &z->entries[z->n];
		if (!(e->name = p2o_strdup(a, name)))
			goto nomem;
		if (!z->first_name)
			z->first_name = e->name;
		e->csize = fi.compressed_size;
		e->usize = fi.uncompressed_size;
		e->method = (int)fi.compression_method;
		/* opening reads the local header; the data follows it */
		if (unzOpenCurrentFile(uf) != UNZ_OK) {
			p2o_errf(err, P2O_EFORMAT, path,
				 "zip entry '%s': bad local header", name);
			goto out;
		}
		e->data_offset = unzGetCurrentFileZStreamPos64(uf);
		unzCloseCurrentFile(uf);
		if (e->data_offset > map->size || e->csize > map->size - e->data_offset) {
			p2o_errf(err, P2O_EFORMAT, path,
				 "zip entry '%s': data at %llu + %llu bytes lies past the "
				 "end of the file (%zu bytes): the file is truncated",
				 name, (unsigned long long)e->data_offset,
				 (unsigned long long)e->csize, map->size);
			goto out;
		}
		z->n++;
	}
	if (st != UNZ_END_OF_LIST_OF_FILE) {
		p2o_errf(err, P2O_EFORMAT, path, "bad zip central directory after entry #%zu", z->n);
		goto out;
	}
	qsort(z->entries, z->n, sizeof *z->entries, cmp_entry);
	rc = 0;
	goto out;
nomem:
	p2o_errf(err, P2O_ENOMEM, path, "out of memory");
out:
	unzClose(uf);
	return rc;
}

const struct p2o_zip_entry *p2o_zip_find(const struct p2o_zip *z, const char *name)
{
	struct p2o_zip_entry key = {.name = name};

	if (!z->n)
		return NULL;
	return bsearch(&key, z->entries, z->n, sizeof key, cmp_entry);
}

int p2o_zip_data(const struct p2o_map *map, const struct p2o_zip_entry *e,
		 struct p2o_arena *a, const unsigned char **data, size_t *len,
		 const char *path, struct p2o_err *err)
{
	const unsigned char *src = map->data + e->data_offset;
	z_stream zs;
	unsigned char *out;
	int zrc;

	if (e->method == 0) {
		if (e->usize != e->csize)
			return p2o_errf(err, P2O_EFORMAT, path,
					"zip entry '%s': stored but sizes differ", e->name);
		*data = src;
		*len = (size_t)e->usize;
		return 0;
	}
	if (e->method != Z_DEFLATED)
		return p2o_errf(err, P2O_EFORMAT, path,
				"zip entry '%s': compression method %d is not supported "
				"(only stored and deflated)", e->name, e->method);
	/* deflate cannot expand more than 1032:1; refuse claims beyond that */
	if (e->usize / 1032 > e->csize + 1 || e->usize > (uint64_t)SIZE_MAX / 2)
		return p2o_errf(err, P2O_EFORMAT, path,
				"zip entry '%s': claims %llu bytes from %llu compressed",
				e->name, (unsigned long long)e->usize,
				(unsigned long long)e->csize);
	if (!(out = p2o_alloc(a, (size_t)e->usize + 1)))
		return p2o_errf(err, P2O_ENOMEM, path, "out of memory inflating '%s'", e->name);
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
		return p2o_errf(err, P2O_ENOMEM, path, "cannot start inflating '%s'", e->name);
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)(e->csize > UINT32_MAX ? UINT32_MAX : e->csize);
	zs.next_out = out;
	zs.avail_out = (uInt)(e->usize > UINT32_MAX ? UINT32_MAX : e->usize);
	zrc = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zrc != Z_STREAM_END || zs.total_out != e->usize)
		return p2o_errf(err, P2O_EFORMAT, path,
				"zip entry '%s': deflated data is corrupt", e->name);
	*data = out;
	*len = (size_t)e->usize;
	return 0;
}
