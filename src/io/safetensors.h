/* safetensors.h: Hugging Face's .safetensors files, where PyTorch models' weights come from.
 * Every function returning int returns 0 or a negative HETSCHED_E* code and sets
 * hetsched_last_error() to one line naming the file. */
#ifndef HETSCHED_IO_SAFETENSORS_H
#define HETSCHED_IO_SAFETENSORS_H

#include <stddef.h>

/* The most dimensions a tensor may have (3-D convolutions have 5). */
#define HETSCHED__ST_MAX_NDIM 8

/* One tensor of the header. Its bytes are data[begin, end) of the file's data region; open()
 * checked that the range lies inside the data and, for every dtype the format defines, that it
 * holds exactly product(shape) elements. */
struct hetsched__st_tensor {
	char *name;     /* the key in the header (UTF-8, no control characters) */
	char dtype[16]; /* "F32", "F64", "F16", "BF16", "I32", ... as in the file */
	size_t ndim;
	size_t shape[HETSCHED__ST_MAX_NDIM];
	size_t begin, end;
};

/* An open file: owns the whole file's bytes and the parsed header. */
struct hetsched__safetensors {
	char *name;                /* the file, for messages */
	unsigned char *bytes;      /* the whole file */
	size_t size;               /* its length */
	const unsigned char *data; /* the data region, after the header */
	size_t data_size;          /* its length */
	size_t ntensors;           /* tensors, in the header's order */
	struct hetsched__st_tensor *tensors;
};

/* Read and check \p path: 8-byte little-endian header length (at most 100 MB and inside the
 * file), a JSON object header (no duplicate keys; "__metadata__" must map strings to strings),
 * every tensor's dtype, shape and data_offsets. On failure \p st is left empty and need not be
 * closed. Returns 0; HETSCHED_ENOENT; HETSCHED_EIO; HETSCHED_EFORMAT naming the first problem;
 * HETSCHED_ENOMEM. */
int hetsched__safetensors_open(const char *path, struct hetsched__safetensors *st);

/* As hetsched__safetensors_open(), from a copy of the \p len bytes at \p buf (the fuzzing entry
 * point); \p name_for_messages stands for the file in messages. */
int hetsched__safetensors_open_mem(const void *buf, size_t len, const char *name_for_messages,
                                   struct hetsched__safetensors *st);

/* The tensor called \p name, or NULL. */
const struct hetsched__st_tensor *hetsched__safetensors_find(const struct hetsched__safetensors *st,
                                                             const char *name);

/* Number of elements: the product of the shape (1 for a 0-D tensor). */
size_t hetsched__st_tensor_numel(const struct hetsched__st_tensor *tensor);

/* Convert \p tensor (F32, F64, F16 or BF16) to float32 in a malloc'd array of numel elements
 * (at least one float is allocated) that the caller frees. F16 and BF16 convert exactly;
 * F64 rounds to nearest. Returns 0; HETSCHED_EDTYPE naming the dtype and the tensor for other
 * dtypes; HETSCHED_ENOMEM. */
int hetsched__safetensors_to_float(const struct hetsched__safetensors *st,
                                   const struct hetsched__st_tensor *tensor, float **out);

/* Release everything \p st holds and empty it (an empty or closed one is accepted). */
void hetsched__safetensors_close(struct hetsched__safetensors *st);

#endif
