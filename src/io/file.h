/* file.h: the one file module of hetsched. Reading (a whole file, or a regular file opened for
 * positioned reads) for the format readers, and writing for everyone: the check that a path can
 * be written, made before any work, and the one atomic writer (an exclusive temporary next to
 * the target, written, synced, renamed over it; removed on failure), used by the .npy writer
 * and by every output of the tool (CSV, HTML, traces, JSON).
 * Every function returns 0 or a negative HETSCHED_E* code and sets hetsched_last_error() to one
 * line naming the file. */
#ifndef HETSCHED_IO_FILE_H
#define HETSCHED_IO_FILE_H

#include <stddef.h>

#include "tool.h"

/* Open \p path for reading (a FIFO given by mistake does not block), refusing anything but a
 * regular file; *size is its length. The caller closes *fd.
 * Returns 0; HETSCHED_ENOENT when it does not exist; HETSCHED_EIO when it cannot be opened or is
 * not a regular file (a folder is named as such); HETSCHED_ENOMEM when it is larger than the
 * address space. */
int hetsched__open_regular(const char *path, int *fd, size_t *size);

/* Read exactly \p n bytes at \p offset of \p fd (opened on \p path, named in messages). An early
 * end of file is an error: sizes come from hetsched__open_regular(), so the file changed.
 * Returns 0; HETSCHED_EIO. */
int hetsched__pread_exact(int fd, void *buf, size_t n, size_t offset, const char *path);

/* Read a whole regular file into a malloc'd buffer (*buf, *len bytes; *buf is non-NULL even
 * for an empty file). Returns 0; HETSCHED_EINVAL for a NULL argument; HETSCHED_ENOENT when it
 * does not exist; HETSCHED_EIO when it cannot be read or is not a regular file;
 * HETSCHED_ENOMEM. */
int hetsched__read_file(const char *path, unsigned char **buf, size_t *len);

/* Create path.tmpXXXXXX exclusively (the umask's permissions), for a writer that fills it in
 * place and renames it over \p path itself (the streamed .npy of stream.c). *tmp is malloc'd.
 * Returns 0; HETSCHED_ENOMEM; HETSCHED_EIO. */
int hetsched__create_temp(const char *path, char **tmp, int *fd);

/* The array a writer is given: not empty, ld >= cols. Returns 0; HETSCHED_EINVAL naming the
 * file. */
int hetsched__check_float_rows(const char *path, size_t rows, size_t cols, size_t ld);

/* Write \p path whole or not at all (hetsched__write_atomic): \p header_len bytes of \p header,
 * then the rows x cols elements at \p data (stored as \p data_dtype: float32, or the 16 bits of
 * bfloat16 / binary16 in host order; leading dimension \p ld elements), each written as
 * \p file_dtype in little-endian bytes whatever the host, row after row: the body of a .npy or a
 * .safetensors file. Same dtypes: the bits are copied; 16 bits to float32: widened exactly;
 * float32 (or the other 16-bit type) to 16 bits: rounded to nearest even (codelets/half.h).
 * Returns the codes of hetsched__write_atomic(); HETSCHED_EINVAL for an unknown dtype. */
int hetsched__write_array(const char *path, const void *header, size_t header_len, const void *data,
                          enum hetsched_dtype data_dtype, size_t rows, size_t cols, size_t ld,
                          enum hetsched_dtype file_dtype);
/* hetsched__write_array() of float32 data to float32. */
int hetsched__write_floats(const char *path, const void *header, size_t header_len,
                           const float *data, size_t rows, size_t cols, size_t ld);

/* hetsched__check_writable(), hetsched__write_atomic() and hetsched__write_atomic_buf(), which
 * the tool uses too, are declared and documented in tool.h. */

#endif
