/* io_compat.c: TRANSITIONAL: the public model API over the internal loader, until src/io lands. */
#include "config.h"

#include <stdlib.h>

#include "internal.h"
#include "model.h"
#include "npy.h"
#include "tool.h"

struct hetsched_model {
	struct hetsched__model m;
};

int hetsched_model_load(hetsched_model_t *model, const char *path)
{
	struct hetsched_model *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory");
	rc = hetsched__model_load(path, &m->m);
	if (rc < 0) {
		free(m);
		return rc;
	}
	*model = m;
	return 0;
}

size_t hetsched_model_nlayers(const struct hetsched_model *m)
{
	return m->m.nlayers;
}

int hetsched_model_layer(const struct hetsched_model *m, size_t l, size_t *in_features,
                         size_t *out_features, const float **weight, const float **bias)
{
	if (l >= m->m.nlayers)
		return HETSCHED_EINVAL;
	if (in_features)
		*in_features = m->m.layers[l].in_features;
	if (out_features)
		*out_features = m->m.layers[l].out_features;
	if (weight)
		*weight = m->m.layers[l].weight;
	if (bias)
		*bias = m->m.layers[l].bias;
	return 0;
}

int hetsched_model_create_layers(const struct hetsched_model *m, enum hetsched_activation between,
                                 size_t tile_rows, size_t tile_cols, hetsched_linear_t *layers)
{
	for (size_t l = 0; l < m->m.nlayers; l++) {
		const struct hetsched__layer_data *d = &m->m.layers[l];

		HETSCHED_CALL(hetsched_linear_create(
		    &layers[l], d->in_features, d->out_features,
		    l + 1 < m->m.nlayers ? between : HETSCHED_ACT_NONE, tile_rows, tile_cols));
		HETSCHED_CALL(hetsched_linear_load(layers[l], d->weight, d->bias));
	}
	return 0;
}

void hetsched_model_destroy(hetsched_model_t m)
{
	if (!m)
		return;
	hetsched__model_free(&m->m);
	free(m);
}

int hetsched_npy_load(const char *path, float **data, size_t *rows, size_t *cols)
{
	return hetsched__npy_load(path, data, rows, cols);
}

int hetsched_npy_save(const char *path, const float *data, size_t rows, size_t cols, size_t ld)
{
	return hetsched__npy_save(path, data, rows, cols, ld);
}
