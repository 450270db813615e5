/* onnx.h: an ONNX file as the loader sees it (onnx.c): the protobuf message, unpacked by the C
 * code that protobuf-c generates at build time from the onnx.proto of Debian's libonnx-dev, and
 * every value known before the run (initializers, Constant nodes, graph inputs given as files)
 * converted and checked. onnx_chain.c turns the graph into the steps of model.h. */
#ifndef HETSCHED_IO_ONNX_H
#define HETSCHED_IO_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "hetsched.h"
#include "onnx.pb-c.h"

#define HETSCHED__ONNX_MAX_NDIM 8

/* A value known at load time. Float tensors and given inputs have f; integer ones have i (and
 * f, converted, for elementwise use). */
struct hetsched__onnx_const {
	const char *name; /* owned by the message or by the options */
	size_t ndim;
	size_t dims[HETSCHED__ONNX_MAX_NDIM];
	size_t numel;
	float *f;      /* numel values (malloc'd) */
	int64_t *i;    /* numel values for integer tensors (malloc'd), else NULL */
	int elem_type; /* the ONNX data type it was stored as (FLOAT16, BFLOAT16: f is exact) */
};

struct hetsched__onnx {
	const char *path; /* for messages, and the folder of external data */
	int in_memory;    /* read from memory: no external data */
	Onnx__ModelProto *proto;
	int64_t opset; /* of the default domain */
	size_t nconsts;
	struct hetsched__onnx_const *consts;
	/* The first graph input that is not an initializer: the model's input. */
	const char *input;
	int input_elem_type;
	size_t input_ndim;
	int64_t input_dims[HETSCHED__ONNX_MAX_NDIM]; /* -1: symbolic */
};

/* Read \p path: the message (every length checked by protobuf-c against the file), the
 * initializers (inline or external data beside the model; sizes checked before allocating),
 * Constant nodes and the inputs of \p options. On failure \p g is left empty. Returns 0; the
 * codes of hetsched_model_load_options(). */
int hetsched__onnx_read(const char *path, const struct hetsched_model_options *options,
                        struct hetsched__onnx *g);

/* As hetsched__onnx_read(), from \p len bytes (the fuzzing entry point): no external data. */
int hetsched__onnx_read_mem(const void *buf, size_t len, const char *name,
                            const struct hetsched_model_options *options, struct hetsched__onnx *g);

/* Read the external data of \p t (\p bytes of them) into a malloc'd buffer, after checking its
 * location (relative, no "..", inside the model's folder once resolved) and its offset and
 * length against the data file (onnx_external.c). 0 or a negative code. */
int hetsched__onnx_external(const struct hetsched__onnx *g, const Onnx__TensorProto *t,
                            size_t bytes, unsigned char **out);

/* The known value called \p name, or NULL. */
const struct hetsched__onnx_const *hetsched__onnx_find(const struct hetsched__onnx *g,
                                                       const char *name);

void hetsched__onnx_free(struct hetsched__onnx *g);

#endif
