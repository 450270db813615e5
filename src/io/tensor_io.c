/* tensor_io.c: where the file formats meet the runtime: tensors to and from .npy files. Everything
 * here goes through the public calls of tensor.c; the formats themselves (npy.c, model.c) need no
 * runtime, so that the tool can refuse a bad file before StarPU starts, and the fuzzers can link
 * them alone. A loaded model meets the runtime in net.c. */
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

int hetsched_tensor_save_dtype(hetsched_tensor_t tensor, const char *path,
                               enum hetsched_dtype dtype)
{
	const float *data;
	size_t rows, cols, ld;

	if (!tensor || !path || !*path)
		return hetsched__error(HETSCHED_EINVAL, "tensor_save: NULL or empty argument");
	/* Refused before the gather: bfloat16 has no .npy form. */
	if ((unsigned)dtype >= HETSCHED_NDTYPES || dtype == HETSCHED_DTYPE_BF16)
		return hetsched__error(HETSCHED_EDTYPE,
		                       "cannot write %s as %s: .npy holds f32 or f16 (numpy has no "
		                       "bfloat16)",
		                       path, hetsched_dtype_name(dtype));
	HETSCHED_CALL(hetsched_tensor_to_host(tensor));
	/* With several ranks the tensor was gathered on rank 0 only. */
	if (hetsched_rank() != 0)
		return 0;
	HETSCHED_CALL(hetsched_tensor_data(tensor, &data, &ld));
	hetsched_tensor_shape(tensor, &rows, &cols, NULL, NULL);
	return hetsched_npy_save_dtype(path, data, rows, cols, ld, dtype);
}

int hetsched_tensor_save(hetsched_tensor_t tensor, const char *path)
{
	return hetsched_tensor_save_dtype(tensor, path, HETSCHED_DTYPE_F32);
}
