/* tensor_io.c: where the file formats meet the runtime: tensors to and from .npy files, and a
 * loaded model's layers as linear layers. Everything here goes through the public calls of
 * tensor.c and linear.c; the formats themselves (npy.c, model.c) need no runtime, so that the
 * tool can refuse a bad file before StarPU starts, and the fuzzers can link them alone. */
#include "config.h"

#include <stdlib.h>

#include "internal.h"
#include "io/model.h"

int hetsched_tensor_load(hetsched_tensor_t *tensor, const char *path, size_t tile_rows,
                         size_t tile_cols)
{
	float *data;
	size_t rows, cols;
	int rc;

	if (!tensor)
		return hetsched__error(HETSCHED_EINVAL, "tensor_load: NULL argument");
	*tensor = NULL;
	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "tensor_load: hetsched_init() first");
	HETSCHED_CALL(hetsched_npy_load(path, &data, &rows, &cols));
	rc = hetsched_tensor_from_host(tensor, data, rows, cols, cols, tile_rows, tile_cols);
	free(data);
	return rc;
}

int hetsched_tensor_save(hetsched_tensor_t tensor, const char *path)
{
	const float *data;
	size_t rows, cols, ld;

	if (!tensor || !path || !*path)
		return hetsched__error(HETSCHED_EINVAL, "tensor_save: NULL or empty argument");
	HETSCHED_CALL(hetsched_tensor_to_host(tensor));
	/* With several ranks the tensor was gathered on rank 0 only. */
	if (hetsched_rank() != 0)
		return 0;
	HETSCHED_CALL(hetsched_tensor_data(tensor, &data, &ld));
	hetsched_tensor_shape(tensor, &rows, &cols, NULL, NULL);
	return hetsched_npy_save(path, data, rows, cols, ld);
}

int hetsched_model_create_layers(const struct hetsched_model *model,
                                 enum hetsched_activation between, size_t tile_rows,
                                 size_t tile_cols, hetsched_linear_t *layers)
{
	const struct hetsched__model *m;
	size_t l;
	int rc;

	if (!model || !layers)
		return hetsched__error(HETSCHED_EINVAL, "model_create_layers: NULL argument");
	m = &model->m;
	for (l = 0; l < m->nlayers; l++)
		layers[l] = NULL;
	if (between != HETSCHED_ACT_NONE && between != HETSCHED_ACT_RELU)
		return hetsched__error(HETSCHED_EINVAL, "unknown activation %d", (int)between);
	if (tile_rows == 0 || tile_cols == 0)
		return hetsched__error(HETSCHED_EINVAL, "tile must be > 0, got %zux%zu", tile_rows,
		                       tile_cols);
	/* Layer l + 1 reads layer l's output, whose tiles are tile_rows (layer l's tile_out) wide,
	 * with its own tile_in: both must be the same. */
	if (m->nlayers > 1 && tile_rows != tile_cols)
		return hetsched__error(HETSCHED_EINVAL,
		                       "a model of %zu layers needs square tiles, got %zux%zu",
		                       m->nlayers, tile_rows, tile_cols);
	for (l = 0; l < m->nlayers; l++) {
		const struct hetsched__layer_data *d = &m->layers[l];
		enum hetsched_activation act = l + 1 < m->nlayers ? between : HETSCHED_ACT_NONE;

		HETSCHED_TRY(rc,
		             hetsched_linear_create(&layers[l], d->in_features, d->out_features,
		                                    act, tile_rows, tile_cols),
		             fail);
		HETSCHED_TRY(rc, hetsched_linear_load(layers[l], d->weight, d->bias), fail);
	}
	return 0;

fail:
	for (l = 0; l < m->nlayers; l++) {
		hetsched_linear_destroy(layers[l]);
		layers[l] = NULL;
	}
	return rc;
}
