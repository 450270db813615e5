/* npy.h: what the library and the fuzzer use of the .npy reader beyond the public
 * hetsched_npy_load(), hetsched_npy_load_ndim() and hetsched_npy_save() of hetsched.h (the
 * writer of any dtype, hetsched__npy_write(), is in tool.h: the tool uses it). */
#ifndef HETSCHED_IO_NPY_H
#define HETSCHED_IO_NPY_H

#include <stddef.h>

#include "hetsched.h"

/* As hetsched_npy_load_ndim(), also giving the file's dtype: HETSCHED_DTYPE_F16 for float16,
 * HETSCHED_DTYPE_F32 for float32 and float64 (\p dtype may be NULL). */
int hetsched__npy_load_ndim_dtype(const char *path, float **data, size_t *rows, size_t *cols,
                                  size_t *ndim, enum hetsched_dtype *dtype);

/* As hetsched_npy_load(), from the \p len bytes at \p buf (the fuzzing entry point);
 * \p name_for_messages stands for the file in error messages. */
int hetsched__npy_load_mem(const void *buf, size_t len, const char *name_for_messages, float **data,
                           size_t *rows, size_t *cols);

/* Where the data of a .npy file are, from its header alone (the data are not read): the
 * checks of hetsched_npy_load() but the data's conversion. \p fd is open on \p path, of \p size
 * bytes (hetsched__open_regular). Returns 0 or the codes of hetsched_npy_load(). */
struct hetsched__npy_layout {
	size_t data_offset; /* bytes before the first element */
	size_t itemsize;    /* 2 (float16), 4 (float32) or 8 (float64) */
	int big_endian;
	size_t rows, cols; /* a 1-D array is one row */
	size_t file_size;
};
int hetsched__npy_layout(const char *path, int fd, size_t size, struct hetsched__npy_layout *out);

/* Convert \p count elements of the file's type at \p src to float32 at \p dst (a plain copy for
 * little-endian float32; float16 widened exactly). */
void hetsched__npy_convert(const void *src, size_t count, const struct hetsched__npy_layout *l,
                           float *dst);

/* The preamble and header numpy writes for a rows x cols '<f4' C-order array, padded to a
 * multiple of 64 bytes; returns its length. */
#define HETSCHED__NPY_HEADER_MAX 256
size_t hetsched__npy_header(char buf[HETSCHED__NPY_HEADER_MAX], size_t rows, size_t cols);

#endif
