/* fuzz_safetensors.c: libFuzzer harness of the .safetensors reader and of model assembly.
 * For any bytes: hetsched__safetensors_open_mem either fails with one line naming the file and
 * leaves nothing allocated, or gives tensors whose byte ranges lie in the data; every tensor of
 * a float dtype then converts (hetsched__safetensors_to_float) and the others are refused with
 * HETSCHED_EDTYPE. hetsched__model_load, which takes a path, reads the same bytes through a
 * memfd: it fails as open does, or gives layers that chain, with every weight and bias readable. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include "fuzz_common.h"
#include "io/model.h"
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_float_dtype(const char *dtype)
{
	return !strcmp(dtype, "F32") || !strcmp(dtype, "F64") || !strcmp(dtype, "F16") ||
	       !strcmp(dtype, "BF16");
}

static void check_tensors(const struct hetsched__safetensors *st)
{
	FUZZ_REQUIRE(st->data >= st->bytes && st->data + st->data_size == st->bytes + st->size,
	             "data region outside the file");
	for (size_t i = 0; i < st->ntensors; i++) {
		const struct hetsched__st_tensor *t = &st->tensors[i];
		float *values = NULL;
		size_t numel = hetsched__st_tensor_numel(t);
		int rc;

		FUZZ_REQUIRE(t->begin <= t->end && t->end <= st->data_size,
		             "range [%zu, %zu) of %zu", t->begin, t->end, st->data_size);
		FUZZ_REQUIRE(t->ndim <= HETSCHED__ST_MAX_NDIM, "ndim %zu", t->ndim);
		FUZZ_REQUIRE(hetsched__safetensors_find(st, t->name) == t, "find('%s') is another",
		             t->name);
		rc = hetsched__safetensors_to_float(st, t, &values);
		if (is_float_dtype(t->dtype)) {
			FUZZ_REQUIRE(rc == 0, "%s tensor '%s' refused: %s", t->dtype, t->name,
			             hetsched_last_error());
			fuzz_touch(values, numel);
			free(values);
		} else {
			FUZZ_REQUIRE(rc == HETSCHED_EDTYPE && values == NULL, "dtype %s gave %d",
			             t->dtype, rc);
			fuzz_check_error(rc, st->name);
		}
	}
}

static void check_model(const struct hetsched__model *m)
{
	FUZZ_REQUIRE(m->nlayers > 0 && m->layers != NULL, "a model without layers");
	for (size_t l = 0; l < m->nlayers; l++) {
		const struct hetsched__layer_data *layer = &m->layers[l];

		FUZZ_REQUIRE(layer->in_features > 0 && layer->out_features > 0 && layer->weight,
		             "layer %zu: %zu -> %zu", l, layer->in_features, layer->out_features);
		FUZZ_REQUIRE(l == 0 || layer->in_features == m->layers[l - 1].out_features,
		             "layer %zu does not chain", l);
		fuzz_touch(layer->weight, layer->in_features * layer->out_features);
		if (layer->bias)
			fuzz_touch(layer->bias, layer->out_features);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hetsched__safetensors st;
	struct hetsched__model model;
	const char *path;
	int rc, mrc;

	rc = hetsched__safetensors_open_mem(data, size, "fuzz.safetensors", &st);
	if (rc == 0) {
		check_tensors(&st);
		hetsched__safetensors_close(&st);
		FUZZ_REQUIRE(st.bytes == NULL && st.tensors == NULL && st.ntensors == 0,
		             "close left something");
	} else {
		FUZZ_REQUIRE(st.bytes == NULL && st.tensors == NULL && st.name == NULL,
		             "open failed (%d) but left memory in st", rc);
		fuzz_check_error(rc, "fuzz.safetensors");
	}

	path = fuzz_as_file(data, size);
	mrc = hetsched__model_load(path, &model);
	if (mrc == 0) {
		FUZZ_REQUIRE(rc == 0, "model loaded from a file that open refused (%d)", rc);
		check_model(&model);
		hetsched__model_free(&model);
	} else {
		FUZZ_REQUIRE(model.nlayers == 0 && model.layers == NULL, "failed model not empty");
		/* A file open refuses, the model loader refuses the same way. */
		FUZZ_REQUIRE(rc == 0 || mrc == rc, "open %d, model_load %d (%s)", rc, mrc,
		             hetsched_last_error());
		fuzz_check_error(mrc, path);
	}
	return 0;
}
