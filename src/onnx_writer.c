/*
 * onnx_writer.c — serialise a graph (graph.h) as an ONNX ModelProto.
 *
 * The model is streamed, never built in memory.  Protobuf lets a message
 * be written as the concatenation of its fields, so the writer cuts the
 * model into parts and packs each one as a message with a single field
 * set: a GraphProto holding one node, one initializer or one value_info
 * packs to exactly that repeated-field entry (tag, length, body).
 *
 *   ModelProto fields 1..6      a ModelProto without graph
 *   field 7 (graph)             tag 0x3a + varint length, framed by hand,
 *                               then the GraphProto parts one by one
 *   fields 8 and 14             a ModelProto with opset_import, metadata
 *
 * Two passes run the same code: the size pass adds up
 * protobuf_c_message_get_packed_size of every part (initializers carry
 * raw_data.len with no data, so nothing is read or produced), which gives
 * the graph's length prefix and the 2 GiB check before anything is
 * created (over it, a second size pass places the large initializers in
 * external data: src/onnx_external.c); the write pass packs the parts through a ProtobufCBuffer that
 * fwrite()s.  Parts come in field-number order, so the file is canonical
 * protobuf: packing the whole ModelProto at once would give the same bytes.
 *
 * An initializer's raw_data payload is spliced in by hand between the
 * TensorProto fields protobuf-c packs (onnx_proto.c: emit_tensor) and goes
 * through p2o_onnx_sink_payload: plain checkpoint tensors are copied from
 * the checkpoint file to the model file by copy_file_range(2), kernel to
 * kernel, or when that is not possible written from the mapping in 8 MiB
 * chunks whose pages are dropped (MADV_DONTNEED) after each one; so the
 * mapped checkpoint never becomes resident as a whole.  Other tensors and
 * lazy constants get one buffer each, freed at once (and the mapping's
 * pages their producer read are dropped), so the peak RSS is about the
 * largest such tensor.
 *
 * The parts are built in src/onnx_proto.c.  This file does the framing,
 * the size check and the file: the model is written as <path>.tmp-XXXXXX
 * next to path and renamed onto it at the end; on failure the temporary
 * is removed and path is left untouched.
 */
#include "onnx_proto.h"
#include "mapped_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* raw_data is little-endian; tensors are written as they lie in memory. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pth2onnx supports little-endian hosts only (ONNX raw_data is little-endian)"
#endif

#define ONNX_MAX_BYTES 0x7fffffffu /* protobuf's limit: 2 GiB - 1 */
#define MODEL_GRAPH_TAG 0x3a       /* ModelProto.graph: field 7, length-delimited */

static void sink_fail(struct p2o_onnx_sink *s, int errnum)
{
	s->failed = 1;
	s->errnum = errnum ? errnum : EIO;
}

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct p2o_onnx_sink *s = (struct p2o_onnx_sink *)b;

	if (s->failed || !len)
		return;
	errno = 0;
	if (fwrite(data, 1, len, s->f) != len) {
		sink_fail(s, errno);
		return;
	}
	s->written += len;
}

size_t p2o_onnx_varint(unsigned char *out, uint64_t v)
{
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		out[n++] = (unsigned char)(v | 0x80);
	out[n++] = (unsigned char)v;
	return n;
}

int p2o_onnx_no_copy_range;

/* Errors the kernel gives when it cannot copy between these two files
 * (another file system, a kernel without copy_file_range, a seccomp
 * filter, ...): the payload is then written the ordinary way.  Others
 * (no space, the file size limit, I/O) are the write's own failures. */
static int copy_unsupported(int e)
{
	return e != ENOSPC && e != EFBIG && e != EDQUOT && e != EIO;
}

/* Copy n bytes at offset off of file `in` to the end of the output, in
 * the kernel.  Returns the bytes copied: fewer than n when the kernel
 * cannot (the caller writes the rest) or on failure (s->failed). */
static size_t copy_range(struct p2o_onnx_sink *s, int in, uint64_t off, size_t n)
{
	loff_t in_off = (loff_t)off, out_off;
	size_t done = 0;
	int out = fileno(s->f);

	/* What stdio holds goes first; then the file is written at explicit
	 * offsets, which leave the descriptor's own offset alone. */
	errno = 0;
	if (fflush(s->f) != 0) {
		sink_fail(s, errno);
		return 0;
	}
	out_off = (loff_t)s->written;
	while (done < n) {
		ssize_t k = copy_file_range(in, &in_off, out, &out_off, n - done, 0);
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && !copy_unsupported(errno))
			sink_fail(s, errno);
		else
			s->no_copy_range = 1; /* k == 0: the file shrank; let the
						 ordinary write meet that */
		break;
	}
	s->written += done;
	/* stdio carries on after the copied bytes */
	if (done && !s->failed && fseeko(s->f, (off_t)s->written, SEEK_SET) != 0)
		sink_fail(s, errno);
	return done;
}

#define PAYLOAD_CHUNK ((size_t)8 << 20)

void p2o_onnx_sink_payload(struct p2o_onnx_sink *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t off;
	size_t done = 0;
	int in;

	if (s->failed || !n)
		return;
	if (p2o_map_locate(data, n, &in, &off)) {
		sink_append(&s->base, n, data); /* memory of our own */
		return;
	}
	if (!s->no_copy_range && !p2o_onnx_no_copy_range)
		done = copy_range(s, in, off, n);
	/* Pages an earlier reader faulted in, or the chunks written below. */
	p2o_map_release(p, done);
	while (done < n && !s->failed) {
		size_t k = n - done < PAYLOAD_CHUNK ? n - done : PAYLOAD_CHUNK;
		sink_append(&s->base, k, p + done);
		p2o_map_release(p + done, k);
		done += k;
	}
}

/* Refuse a directory and the input checkpoint itself. */
static int check_target(const char *path, const char *protect, struct p2o_err *err)
{
	struct stat out, in;

	if (stat(path, &out) != 0)
		return 0; /* not there yet; mkstemp reports an unusable directory */
	if (S_ISDIR(out.st_mode))
		return p2o_errf(err, P2O_EIO, path, "cannot write the model: %s is a directory",
				path);
	if (protect && stat(protect, &in) == 0 && in.st_dev == out.st_dev &&
	    in.st_ino == out.st_ino)
		return p2o_errf(err, P2O_EIO, path,
				"refusing to overwrite the input checkpoint %s: "
				"choose another output file", protect);
	return 0;
}

/* The size pass: the graph's length frame and the model's total size.
 * It also validates everything and, with external data, places every
 * external tensor (w->ext_size ends as the data file's size). */
static int measure(struct p2o_onnx_writer *w, unsigned char *frame, size_t *nframe,
		   uint64_t *total)
{
	uint64_t head, body;

	w->size = w->ext_size = 0;
	if (p2o_onnx_emit_model(w, 0))
		return -1;
	head = w->size;
	w->size = 0;
	if (p2o_onnx_emit_graph(w))
		return -1;
	body = w->size;
	if (p2o_onnx_emit_model(w, 1))
		return -1;
	frame[0] = MODEL_GRAPH_TAG;
	*nframe = 1 + p2o_onnx_varint(frame + 1, body);
	*total = head + *nframe + w->size; /* w->size: graph body + tail */
	return 0;
}

/* A new temporary file next to path (path.tmp-XXXXXX, named in *tmp),
 * with the permissions a new file would get. */
static FILE *open_temp(const char *path, char **tmp, struct p2o_err *err)
{
	FILE *f;
	mode_t mask;
	int fd;

	if (!(*tmp = malloc(strlen(path) + sizeof ".tmp-XXXXXX"))) {
		p2o_errf(err, P2O_ENOMEM, path, "out of memory");
		return NULL;
	}
	sprintf(*tmp, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(*tmp)) < 0) {
		p2o_errf(err, P2O_EIO, path, "cannot create %s: %s", *tmp, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	mask = umask(0); /* mkstemp makes 0600: give the usual 0666 & ~umask */
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		/* not fatal: the file stays readable by its owner */
	}
	if (!(f = fdopen(fd, "wb"))) {
		p2o_errf(err, P2O_EIO, path, "cannot open %s: %s", *tmp, strerror(errno));
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/* Check that exactly `expect` bytes went out, flush and close *f (NULL
 * after), and rename tmp onto path. */
static int finish_temp(FILE **f, const struct p2o_onnx_sink *s, uint64_t expect,
		       const char *tmp, const char *path, struct p2o_err *err)
{
	int closed;

	if (s->written != expect)
		return p2o_errf(err, P2O_EINTERNAL, path, "wrote %llu bytes, expected %llu",
				(unsigned long long)s->written, (unsigned long long)expect);
	errno = 0;
	if (fflush(*f) != 0 || ferror(*f))
		return p2o_errf(err, P2O_EIO, path, "cannot write %s: %s", path,
				strerror(errno ? errno : EIO));
	closed = fclose(*f);
	*f = NULL;
	if (closed != 0)
		return p2o_errf(err, P2O_EIO, path, "cannot write %s: %s", path, strerror(errno));
	if (rename(tmp, path) != 0)
		return p2o_errf(err, P2O_EIO, path, "cannot rename %s to %s: %s", tmp, path,
				strerror(errno));
	return 0;
}

static void sink_init(struct p2o_onnx_sink *s, FILE *f)
{
	memset(s, 0, sizeof *s);
	s->base.append = sink_append;
	s->f = f;
}

int p2o_write_onnx(const struct p2o_graph *g, const char *path, const char *protect,
		   enum p2o_external_mode mode, int *external_out, struct p2o_err *err)
{
	struct p2o_onnx_writer w = {.g = g, .path = path, .err = err};
	struct p2o_onnx_sink out, data;
	uint64_t total, data_size = 0;
	unsigned char frame[16];
	size_t nframe;
	char *tmp = NULL, *data_tmp = NULL, *data_path = NULL;
	const char *slash;
	FILE *f = NULL, *df = NULL;
	int data_renamed = 0, rc = -1;

	if (external_out)
		*external_out = 0;
	if (!path || !*path)
		return p2o_errf(err, P2O_EUSAGE, "", "no output file name");
	if (!g->opset)
		return p2o_errf(err, P2O_EINTERNAL, path, "the graph has no opset");
	if (check_target(path, protect, err) || measure(&w, frame, &nframe, &total))
		return -1;
	if (mode == P2O_EXTERNAL_ALWAYS || total > ONNX_MAX_BYTES) {
		if (!(data_path = malloc(strlen(path) + sizeof ".data")))
			return p2o_errf(err, P2O_ENOMEM, path, "out of memory");
		sprintf(data_path, "%s.data", path);
		slash = strrchr(data_path, '/');
		w.ext_location = slash ? slash + 1 : data_path;
		if (check_target(data_path, protect, err) || measure(&w, frame, &nframe, &total))
			goto done;
		data_size = w.ext_size;
	}
	if (total > ONNX_MAX_BYTES) {
		p2o_errf(err, P2O_ECONVERT, path, "the model is %llu bytes even with its "
			 "weights in external data: over protobuf's 2 GiB limit",
			 (unsigned long long)total);
		goto done;
	}

	/* Write pass, into temporary files next to path. */
	if (!(f = open_temp(path, &tmp, err)) ||
	    (data_path && !(df = open_temp(data_path, &data_tmp, err))))
		goto done;
	sink_init(&out, f);
	w.out = &out;
	if (df) {
		sink_init(&data, df);
		w.ext_out = &data;
		w.ext_size = 0;
	}
	if (p2o_onnx_emit_model(&w, 0))
		goto done;
	sink_append(&out.base, nframe, frame);
	if (p2o_onnx_emit_graph(&w) || p2o_onnx_emit_model(&w, 1))
		goto done;
	if (df) { /* the data first: the model then never names a missing file */
		if (finish_temp(&df, &data, data_size, data_tmp, data_path, err))
			goto done;
		data_renamed = 1;
	}
	if (finish_temp(&f, &out, total, tmp, path, err))
		goto done;
	if (external_out)
		*external_out = data_path != NULL;
	rc = 0;
done:
	if (f)
		fclose(f);
	if (df)
		fclose(df);
	if (rc && tmp)
		unlink(tmp);
	if (rc && data_tmp && !data_renamed)
		unlink(data_tmp);
	if (rc && data_renamed)
		unlink(data_path);
	free(tmp);
	free(data_tmp);
	free(data_path);
	return rc;
}
