/* model.h: a model loaded from the files PyTorch users have, as a chain of steps (chain.h):
 *  - an ONNX file (torch.onnx.export), which carries the whole graph, activations included
 *    (onnx.c reads it, onnx_chain.c turns its graph into steps);
 *  - the state_dict of an nn.Sequential of nn.Linear layers (and activations), saved as
 *    .safetensors or as one .npy file per tensor (state_dict.c), whose activations are not in
 *    the file: they come from the caller's list or the file's metadata, or the load is refused
 *    when the file leaves room for a module it does not name (model.c). */
#ifndef HETSCHED_IO_MODEL_H
#define HETSCHED_IO_MODEL_H

#include <stddef.h>

#include "chain.h"
#include "hetsched.h"

#define HETSCHED__MODEL_MAX_NDIM 8

/* The steps in the order they run, on rows of the input. */
struct hetsched__model {
	size_t nsteps;
	struct hetsched__step *steps;
	size_t nlayers; /* linear steps */
	/* ONNX (onnx != 0): the shape the input must have and the output's, the input then running
	 * as rows x in_features, rows = the product of all but the dimensions of one row. Other
	 * models take any rows x in_features input (in_ndim 0). */
	int onnx;
	size_t in_ndim, in_shape[HETSCHED__MODEL_MAX_NDIM];
	size_t out_ndim, out_shape[HETSCHED__MODEL_MAX_NDIM];
	size_t rows;         /* ONNX: the rows the chain runs on */
	int transpose_input; /* ONNX: the 2-D input is read transposed (Gemm's transA) */
	char *summary;       /* one line: the steps, for messages and reports (malloc'd) */
	/* Bit d set when a linear step's weight was stored in the file as enum hetsched_dtype d
	 * (float64 counts as f32): hetsched_model_dtype() reads it. */
	unsigned weight_dtypes;
};

/* The dtype of the weights of \p m as stored in its file: bf16 or f16 when every layer's weight
 * was stored so, else f32 (model.c). */
enum hetsched_dtype hetsched__model_weight_dtype(const struct hetsched__model *m);

/* One nn.Linear layer of a state_dict: y = x W^T + b. */
struct hetsched__layer_data {
	size_t in_features, out_features;
	float *weight; /* out_features x in_features, row-major, contiguous (malloc'd) */
	float *bias;   /* out_features (malloc'd), or NULL when the layer has none */
	char *name;    /* the weight's name, for messages (malloc'd) */
	long index;    /* its module's position in an nn.Sequential, or -1 for a named module */
	enum hetsched_dtype dtype; /* how the file stored the weight (float64: f32) */
};

/* The layers of a state_dict, in order, with what the file says about its activations. */
struct hetsched__state_dict {
	size_t nlayers;
	struct hetsched__layer_data *layers;
	char *activations; /* the .safetensors metadata's "activations", or NULL */
};

/* Load the layers of a .safetensors file or of a folder of .npy files (state_dict.c).
 * \p layer_names: the layers' module names in order ("fc1,fc2,head"), or NULL for numeric
 * order of "<i>.weight". Checks each weight 2-D and non-empty, each bias 1-D of out_features,
 * and that the layers chain; names other kinds of modules (LayerNorm, Conv, Embedding) in its
 * refusals. Returns 0 or a negative code with hetsched_last_error() set. */
int hetsched__state_dict_load(const char *path, const char *layer_names,
                              struct hetsched__state_dict *sd);
void hetsched__state_dict_free(struct hetsched__state_dict *sd);

/* Load an ONNX model (onnx.c, onnx_chain.c) for \p options (the input's shape, other graph
 * inputs); same returns. */
int hetsched__onnx_load(const char *path, const struct hetsched_model_options *options,
                        struct hetsched__model *model);

/* Free what a loader allocated and empty \p model (an empty one is accepted). */
void hetsched__model_free(struct hetsched__model *model);

/* What a hetsched_model_t of hetsched.h points to. */
struct hetsched_model {
	struct hetsched__model m;
};

#endif
