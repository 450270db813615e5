/* npy_stream.c: the two ends of a stream through .npy files (stream.c runs the batches between
 * them).
 *
 * The reader maps the input read-only, so that a file larger than memory is fine: rows are
 * copied (converted to float32 if need be) from the mapping into the caller's pinned buffer, and
 * the pages just copied are unmapped again (MADV_DONTNEED: they stay in the page cache but leave
 * this process's resident set, which so stays bounded whatever the input's size). A file that
 * shrinks while mapped would kill the process with SIGBUS on the next read of a lost page, so the
 * size is checked before each batch, and the size and modification time at the end: a file
 * truncated or rewritten while streamed is reported, never half-read in silence. (A truncation
 * between the check and the copy still raises SIGBUS: the tool catches it, see run.c.)
 *
 * The writer creates the output under a temporary name next to it (the one atomic writer's
 * naming, io/file.c), pre-sized to its final length, writes each batch of rows in place as it
 * completes, and at the end syncs it and renames it over the output; on failure it removes it.
 * hetsched_stream_remove_partial() removes it from a signal handler.
 *
 * The output's rows go to the disk by direct writes (O_DIRECT) where the file system takes them:
 * written through the page cache, each new page of the file is allocated, and on a 2-core VM
 * that cost 0.4-0.8 s of CPU per GB, taken from the workers (perf: copy_folio_from_iter_atomic,
 * 6.6 % of a stream's samples); a direct write is the disk's DMA from the batch's buffer. Only
 * whole, aligned pages go direct: the header is padded to a page, and the ends of a batch that
 * share a page with the next batch go through the page cache. */
#define _GNU_SOURCE /* O_DIRECT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/npy_stream.h"

/* ------------------------------------------------------------------------------------------ */
/* Reading */

int hetsched__npy_reader_open(struct hetsched__npy_reader *r, const char *path)
{
	struct stat sb;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->path = path;
	HETSCHED_CALL(hetsched__open_regular(path, &r->fd, &r->size));
	HETSCHED_TRY(rc, hetsched__npy_layout(path, r->fd, r->size, &r->layout), fail);
	if (fstat(r->fd, &sb) != 0) {
		rc = hetsched__error(HETSCHED_EIO, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	r->mtime = sb.st_mtim;
	r->map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		rc = hetsched__error(HETSCHED_EIO, "cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	madvise(r->map, r->size, MADV_SEQUENTIAL);
	return 0;

fail:
	close(r->fd);
	r->fd = -1;
	return rc;
}

static int changed(const struct hetsched__npy_reader *r, const char *when)
{
	struct stat sb;

	if (fstat(r->fd, &sb) != 0)
		return hetsched__error(HETSCHED_EIO, "cannot read %s: %s", r->path,
		                       strerror(errno));
	if ((size_t)sb.st_size < r->size)
		return hetsched__error(HETSCHED_EIO,
		                       "%s was truncated %s: %zu bytes, it had %zu when the stream "
		                       "began",
		                       r->path, when, (size_t)sb.st_size, r->size);
	if ((size_t)sb.st_size != r->size || sb.st_mtim.tv_sec != r->mtime.tv_sec ||
	    sb.st_mtim.tv_nsec != r->mtime.tv_nsec)
		return hetsched__error(HETSCHED_EIO,
		                       "%s changed %s (size or modification time): the output "
		                       "would mix old and new rows",
		                       r->path, when);
	return 0;
}

static int rows_in_file(const struct hetsched__npy_reader *r, size_t row0, size_t rows)
{
	const struct hetsched__npy_layout *l = &r->layout;

	if (row0 > l->rows || rows > l->rows - row0)
		return hetsched__error(HETSCHED_EINVAL, "%s: rows %zu..%zu asked, it has %zu",
		                       r->path, row0, row0 + rows, l->rows);
	return changed(r, "while it was streamed");
}

void hetsched__npy_reader_drop(struct hetsched__npy_reader *r, size_t row0, size_t rows)
{
	const struct hetsched__npy_layout *l = &r->layout;
	size_t row_bytes = l->cols * l->itemsize, page = (size_t)sysconf(_SC_PAGESIZE);
	size_t begin = l->data_offset + row0 * row_bytes, end = begin + rows * row_bytes;
	uintptr_t drop0 = ((uintptr_t)r->map + begin + page - 1) / page * page;
	uintptr_t drop1 = ((uintptr_t)r->map + end) / page * page;

	if (drop1 > drop0)
		madvise((void *)drop0, drop1 - drop0, MADV_DONTNEED);
}

int hetsched__npy_reader_rows(struct hetsched__npy_reader *r, size_t row0, size_t rows, float *dst)
{
	const struct hetsched__npy_layout *l = &r->layout;

	HETSCHED_CALL(rows_in_file(r, row0, rows));
	hetsched__npy_convert(r->map + l->data_offset + row0 * l->cols * l->itemsize,
	                      rows * l->cols, l, dst);
	hetsched__npy_reader_drop(r, row0, rows);
	return 0;
}

const float *hetsched__npy_reader_view(struct hetsched__npy_reader *r, size_t row0, size_t rows,
                                       int *rc)
{
	const struct hetsched__npy_layout *l = &r->layout;
	const uint16_t one = 1;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), begin, end;
	uintptr_t a;

	*rc = 0;
	if (l->itemsize != sizeof(float) || l->big_endian || *(const unsigned char *)&one != 1 ||
	    l->data_offset % sizeof(float))
		return NULL;
	*rc = rows_in_file(r, row0, rows);
	if (*rc < 0)
		return NULL;
	begin = l->data_offset + row0 * l->cols * sizeof(float);
	end = begin + rows * l->cols * sizeof(float);
	/* A cold page cache: the disk starts reading the batch now, not at the first task's
	 * first fault. */
	a = (uintptr_t)r->map + begin;
	madvise((void *)(a / page * page), end - begin + a % page, MADV_WILLNEED);
	return (const float *)(r->map + begin);
}

int hetsched__npy_reader_check(const struct hetsched__npy_reader *r)
{
	return changed(r, "while it was streamed");
}

void hetsched__npy_reader_close(struct hetsched__npy_reader *r)
{
	if (r->map)
		munmap(r->map, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

int hetsched__npy_read_rows(const char *path, const size_t *ids, size_t n, size_t cols, float *dst)
{
	struct hetsched__npy_reader r;
	int rc = 0;

	HETSCHED_CALL(hetsched__npy_reader_open(&r, path));
	if (r.layout.cols != cols)
		rc = hetsched__error(HETSCHED_ESHAPE, "%s has %zu columns, %zu expected", path,
		                     r.layout.cols, cols);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = hetsched__npy_reader_rows(&r, ids[i], 1, dst + i * cols);
	hetsched__npy_reader_close(&r);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing */

/* The temporary file of the stream in progress, for hetsched_stream_remove_partial(): written
 * before the flag is raised, and the flag lowered before the file is renamed or removed. */
static char partial_path[4096];
static volatile sig_atomic_t partial_on;

void hetsched_stream_remove_partial(void)
{
	if (partial_on) {
		partial_on = 0;
		unlink(partial_path);
	}
}

#define DIRECT_ALIGN ((size_t)4096)
#define DIRECT_MIN ((size_t)64 << 20)

static int pwrite_all(int fd, const void *buf, size_t n, size_t offset, const char *path)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t put = pwrite(fd, p, n, (off_t)offset);

		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", path,
			                       strerror(errno));
		p += put;
		n -= (size_t)put;
		offset += (size_t)put;
	}
	return 0;
}

int hetsched__npy_writer_open(struct hetsched__npy_writer *w, const char *path, size_t rows,
                              size_t cols)
{
	char header[HETSCHED__NPY_HEADER_MAX], big[DIRECT_ALIGN];
	size_t total;
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->direct_fd = -1;
	w->path = path;
	w->rows = rows;
	w->cols = cols;
	HETSCHED_CALL(hetsched__check_writable(path));
	HETSCHED_CALL(hetsched__create_temp(path, &w->tmp, &w->fd));
	if (strlen(w->tmp) < sizeof(partial_path)) {
		memcpy(partial_path, w->tmp, strlen(w->tmp) + 1);
		partial_on = 1;
	}
	w->data_offset = hetsched__npy_header(header, rows, cols);
	/* Direct writes for outputs large enough to matter (tmpfs, for one, refuses them). */
	if (rows * cols * sizeof(float) >= DIRECT_MIN)
		w->direct_fd = open(w->tmp, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (w->direct_fd >= 0) {
		/* The same header padded with spaces to a page: the dict, the spaces, '\n'. */
		memmove(big, header, w->data_offset - 1);
		memset(big + w->data_offset - 1, ' ', DIRECT_ALIGN - w->data_offset);
		big[DIRECT_ALIGN - 1] = '\n';
		big[8] = (char)((DIRECT_ALIGN - 10) & 0xff);
		big[9] = (char)((DIRECT_ALIGN - 10) >> 8);
		w->data_offset = DIRECT_ALIGN;
	} else {
		memcpy(big, header, w->data_offset);
	}
	total = w->data_offset + rows * cols * sizeof(float);
	HETSCHED_TRY(rc, pwrite_all(w->fd, big, w->data_offset, 0, path), fail);
	/* Pre-sized: every batch lands in place, in whatever order the batches end. */
	if (ftruncate(w->fd, (off_t)total) != 0) {
		rc = hetsched__error(HETSCHED_EIO, "cannot write %s (%.2f GiB): %s", path,
		                     total / (double)(1 << 30), strerror(errno));
		goto fail;
	}
	return 0;

fail:
	hetsched__npy_writer_abort(w);
	return rc;
}

int hetsched__npy_writer_rows(struct hetsched__npy_writer *w, size_t row0, size_t rows,
                              const float *src)
{
	const uint16_t one = 1;
	size_t offset = w->data_offset + row0 * w->cols * sizeof(float);

	if (row0 > w->rows || rows > w->rows - row0)
		return hetsched__error(HETSCHED_EINVAL, "%s: rows %zu..%zu written, it has %zu",
		                       w->path, row0, row0 + rows, w->rows);
	if (*(const unsigned char *)&one == 1) {
		size_t len = rows * w->cols * sizeof(float);
		size_t a0 = (offset + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN;
		size_t a1 = (offset + len) / DIRECT_ALIGN * DIRECT_ALIGN;
		const char *p = (const char *)src;

		/* The whole pages direct, when the buffer is aligned as the file is. */
		if (w->direct_fd >= 0 && a1 > a0 &&
		    ((uintptr_t)p + (a0 - offset)) % DIRECT_ALIGN == 0) {
			HETSCHED_CALL(pwrite_all(w->fd, p, a0 - offset, offset, w->path));
			if (pwrite_all(w->direct_fd, p + (a0 - offset), a1 - a0, a0, w->path) < 0)
				HETSCHED_CALL(
				    pwrite_all(w->fd, p + (a0 - offset), a1 - a0, a0, w->path));
			return pwrite_all(w->fd, p + (a1 - offset), offset + len - a1, a1, w->path);
		}
		return pwrite_all(w->fd, src, len, offset, w->path);
	}
	/* A big-endian host: '<f4' bytes, a bounded buffer at a time. */
	for (size_t i = 0, n = rows * w->cols; i < n;) {
		unsigned char buf[4096];
		size_t k = 0;

		for (; i < n && k < sizeof(buf); i++, k += 4) {
			uint32_t u;

			memcpy(&u, &src[i], 4);
			buf[k] = (unsigned char)u;
			buf[k + 1] = (unsigned char)(u >> 8);
			buf[k + 2] = (unsigned char)(u >> 16);
			buf[k + 3] = (unsigned char)(u >> 24);
		}
		HETSCHED_CALL(pwrite_all(w->fd, buf, k, offset, w->path));
		offset += k;
	}
	return 0;
}

int hetsched__npy_writer_commit(struct hetsched__npy_writer *w)
{
	int err;

	if (w->direct_fd >= 0)
		close(w->direct_fd);
	w->direct_fd = -1;
	/* EINVAL: a file system that cannot sync (nothing to wait for). */
	if ((fsync(w->fd) != 0 && errno != EINVAL) || close(w->fd) != 0) {
		err = errno;
		w->fd = -1;
		hetsched__npy_writer_abort(w);
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", w->path, strerror(err));
	}
	w->fd = -1;
	partial_on = 0;
	if (rename(w->tmp, w->path) != 0) {
		err = errno;
		hetsched__npy_writer_abort(w);
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", w->path, strerror(err));
	}
	free(w->tmp);
	w->tmp = NULL;
	return 0;
}

void hetsched__npy_writer_abort(struct hetsched__npy_writer *w)
{
	partial_on = 0;
	if (w->direct_fd >= 0)
		close(w->direct_fd);
	w->direct_fd = -1;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
}
