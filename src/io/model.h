/* model.h: a multi-layer perceptron's weights, loaded from the files PyTorch users have: the
 * state_dict of an nn.Sequential of nn.Linear layers (and activations), saved as .safetensors or
 * as one .npy file per tensor. */
#ifndef HETSCHED_IO_MODEL_H
#define HETSCHED_IO_MODEL_H

#include <stddef.h>

/* One nn.Linear layer: y = x W^T + b. */
struct hetsched__layer_data {
	size_t in_features, out_features;
	float *weight; /* out_features x in_features, row-major, contiguous (malloc'd) */
	float *bias;   /* out_features (malloc'd), or NULL when the layer has none */
};

/* The layers in the order they run; layer l+1 takes layer l's outputs. */
struct hetsched__model {
	size_t nlayers;
	struct hetsched__layer_data *layers;
};

/* Load a model from \p path, either
 *  - a .safetensors file as safetensors.torch.save_file(nn.Sequential(...).state_dict()) writes
 *    it: layers from the tensors "<i>.weight" and "<i>.bias", in numeric order of i (which need
 *    not be contiguous: activations take indices too, e.g. 0, 2, 4). A prefix shared by every
 *    tensor is accepted ("model.0.weight", "model.layers.0.weight"), as is a lone nn.Linear's
 *    "weight" and "bias". Every tensor must be a layer's weight or bias;
 *  - or a folder of "<i>.weight.npy" and "<i>.bias.npy" files (same naming rules; other files
 *    are ignored).
 * Weights convert to float32 from F32, F64, F16, BF16 (.safetensors) or float32, float64 (.npy).
 * Checks: each weight is 2-D and non-empty, each bias 1-D of length out_features, and each
 * layer's in_features equals the previous layer's out_features.
 * On failure \p model is left empty. Returns 0; HETSCHED_ENOENT when \p path does not exist;
 * HETSCHED_EIO; HETSCHED_EFORMAT for a corrupt file, no layers, a tensor that is not a layer's
 * weight or bias, ambiguous or duplicate names, or a bias without weight; HETSCHED_EDTYPE naming
 * the tensor and its dtype; HETSCHED_ESHAPE naming the tensors and both sizes; HETSCHED_ENOMEM. */
int hetsched__model_load(const char *path, struct hetsched__model *model);

/* Free what hetsched__model_load() allocated and empty \p model (an empty one is accepted). */
void hetsched__model_free(struct hetsched__model *model);

/* What a hetsched_model_t of hetsched.h points to: the loaded layers. */
struct hetsched_model {
	struct hetsched__model m;
};

#endif
