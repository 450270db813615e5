/* npy.h: NumPy's .npy files (the inputs and outputs of `hetsched run`), and the small file
 * helpers the other format readers share. Every function returns 0 or a negative HETSCHED_E*
 * code and sets hetsched_last_error() to one line naming the file. */
#ifndef HETSCHED_NPY_H
#define HETSCHED_NPY_H

#include <stddef.h>

/* Load a .npy file (versions 1.0, 2.0 and 3.0) holding a 2-D array, or a 1-D one read as a
 * single row: float32 or float64, C order; byte order '<', '>', or '=' and '|' (taken as
 * little-endian). Values are converted to float32 into a malloc'd row-major array (*rows x
 * *cols, contiguous) that the caller frees.
 * Returns 0; HETSCHED_ENOENT when the file does not exist; HETSCHED_EIO when it cannot be read;
 * HETSCHED_EFORMAT for a corrupt or truncated file or fortran_order True; HETSCHED_EDTYPE for
 * another dtype; HETSCHED_ESHAPE for 0-D, 3-D or more, or an empty array; HETSCHED_ENOMEM. */
int hetsched__npy_load(const char *path, float **data, size_t *rows, size_t *cols);

/* As hetsched__npy_load(), also giving the number of dimensions in the file (1 or 2), so that
 * a caller can tell a vector from a one-row matrix. */
int hetsched__npy_load_ndim(const char *path, float **data, size_t *rows, size_t *cols,
                            size_t *ndim);

/* As hetsched__npy_load(), from the \p len bytes at \p buf (the fuzzing entry point);
 * \p name_for_messages stands for the file in error messages. */
int hetsched__npy_load_mem(const void *buf, size_t len, const char *name_for_messages, float **data,
                           size_t *rows, size_t *cols);

/* Save rows x cols float32 values (row-major, leading dimension ld >= cols) as a .npy version
 * 1.0 file, '<f4', C order, shape (rows, cols). The data go to a temporary file in the same
 * folder (path.tmpXXXXXX, created with the umask's permissions) that is renamed over \p path
 * once complete and synced, so a failure never leaves a partial file, nor any temporary one.
 * Returns 0; HETSCHED_EINVAL for a NULL or empty argument, a zero size or ld < cols;
 * HETSCHED_EIO when the file cannot be written; HETSCHED_ENOMEM. */
int hetsched__npy_save(const char *path, const float *data, size_t rows, size_t cols, size_t ld);

/* Check, before any work is done, that \p path could be written: its folder exists and is
 * writable, and path is not a folder. Creates nothing.
 * Returns 0; HETSCHED_EINVAL for a NULL or empty path; HETSCHED_EIO otherwise. */
int hetsched__check_writable(const char *path);

/* Read a whole regular file into a malloc'd buffer (*buf, *len bytes; *buf is non-NULL even
 * for an empty file). Returns 0; HETSCHED_ENOENT when it does not exist; HETSCHED_EIO when it
 * cannot be read or is not a regular file; HETSCHED_ENOMEM. */
int hetsched__read_file(const char *path, unsigned char **buf, size_t *len);

#endif
