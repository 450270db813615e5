/* npy.h: what the library and the fuzzer use of the .npy reader beyond the public
 * hetsched_npy_load(), hetsched_npy_load_ndim() and hetsched_npy_save() of hetsched.h. */
#ifndef HETSCHED_IO_NPY_H
#define HETSCHED_IO_NPY_H

#include <stddef.h>

/* As hetsched_npy_load(), from the \p len bytes at \p buf (the fuzzing entry point);
 * \p name_for_messages stands for the file in error messages. */
int hetsched__npy_load_mem(const void *buf, size_t len, const char *name_for_messages, float **data,
                           size_t *rows, size_t *cols);

#endif
