/* npy_stream.h: the mapped .npy reader and the pre-sized .npy writer of a stream (stream.c).
 * Every function returns 0 or a negative HETSCHED_E* code with a message naming the file. */
#ifndef HETSCHED_IO_NPY_STREAM_H
#define HETSCHED_IO_NPY_STREAM_H

#include <stddef.h>
#include <time.h>

#include "io/npy.h"

struct hetsched__npy_reader {
	const char *path;
	int fd;
	unsigned char *map; /* the whole file, read-only */
	size_t size;
	struct timespec mtime;
	struct hetsched__npy_layout layout;
};

/* Open and map \p path, its header checked (the codes of hetsched_npy_load()). */
int hetsched__npy_reader_open(struct hetsched__npy_reader *r, const char *path);
/* Copy rows [row0, row0 + rows) as float32 into \p dst (rows x cols, contiguous), after checking
 * that the file has not shrunk or changed. Safe from several threads for disjoint rows.
 * Returns 0; HETSCHED_EINVAL for rows outside the file; HETSCHED_EIO when it changed. */
int hetsched__npy_reader_rows(struct hetsched__npy_reader *r, size_t row0, size_t rows, float *dst);
/* Rows [row0, row0 + rows) in place in the mapping, when the file holds little-endian float32
 * at an aligned offset (NULL otherwise, or on error: hetsched_last_error() then says why, and
 * *rc is the code), after the same checks as hetsched__npy_reader_rows(); their pages are asked
 * from the disk ahead (MADV_WILLNEED). Read-only: the mapping is PROT_READ. */
const float *hetsched__npy_reader_view(struct hetsched__npy_reader *r, size_t row0, size_t rows,
                                       int *rc);
/* The pages wholly inside rows [row0, row0 + rows) leave the resident set (they stay in the page
 * cache): for rows read through a view, once nothing reads them any more. */
void hetsched__npy_reader_drop(struct hetsched__npy_reader *r, size_t row0, size_t rows);
/* HETSCHED_EIO when the file's size or modification time changed since it was opened. */
int hetsched__npy_reader_check(const struct hetsched__npy_reader *r);
void hetsched__npy_reader_close(struct hetsched__npy_reader *r);
/* (Declared in tool.h, for the tool's check of a stream.) */
int hetsched__npy_read_rows(const char *path, const size_t *ids, size_t n, size_t cols, float *dst);

struct hetsched__npy_writer {
	const char *path;
	char *tmp; /* the temporary file, renamed over path by commit */
	int fd;
	int direct_fd; /* the same file opened O_DIRECT, or -1 */
	size_t data_offset, rows, cols;
};

/* Create path.tmpXXXXXX holding a rows x cols '<f4' header, sized to its final length. Where
 * the file system takes direct writes, the header is padded to 4096 bytes (still a valid .npy),
 * so that whole pages of rows go from the caller's buffer to the disk without the page cache. */
int hetsched__npy_writer_open(struct hetsched__npy_writer *w, const char *path, size_t rows,
                              size_t cols);
/* Write rows [row0, row0 + rows) from \p src (contiguous). Safe from several threads for
 * disjoint rows. */
int hetsched__npy_writer_rows(struct hetsched__npy_writer *w, size_t row0, size_t rows,
                              const float *src);
/* Sync, close and rename over the output; on failure the temporary file is removed. */
int hetsched__npy_writer_commit(struct hetsched__npy_writer *w);
/* Close and remove the temporary file (nothing at the output's path is touched). */
void hetsched__npy_writer_abort(struct hetsched__npy_writer *w);

#endif
