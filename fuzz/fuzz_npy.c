/* fuzz_npy.c: libFuzzer harness of the .npy loader. Any bytes give either a matrix that the
 * bytes really hold, or an error with one line naming the file; the loader from memory
 * (hetsched__npy_load_mem) and the one from a file (hetsched__npy_load_ndim_dtype, which reads
 * the header first and the data in chunks) must agree on both, value for value; a float16
 * file's values are exact: stored in 16 bits again, each keeps its bits. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include "fuzz_common.h"
#include "half.h"
#include "io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	float *mem = NULL, *file = NULL;
	size_t rows = 0, cols = 0, frows = 0, fcols = 0, ndim = 0;
	enum hetsched_dtype dtype = HETSCHED_NDTYPES;
	const char *path;
	int rc, frc;

	rc = hetsched__npy_load_mem(data, size, "fuzz.npy", &mem, &rows, &cols);
	if (rc == 0) {
		FUZZ_REQUIRE(mem != NULL && rows > 0 && cols > 0, "empty success %zux%zu", rows,
		             cols);
		/* The header's shape is never trusted beyond the bytes present: 2 bytes or more
		 * each (float16). */
		FUZZ_REQUIRE(rows <= size / 2 && cols <= size / 2 && rows * cols <= size / 2,
		             "%zux%zu floats from %zu bytes", rows, cols, size);
		fuzz_touch(mem, rows * cols);
	} else {
		FUZZ_REQUIRE(mem == NULL, "data left set after error %d", rc);
		fuzz_check_error(rc, "fuzz.npy");
	}

	path = fuzz_as_file(data, size);
	frc = hetsched__npy_load_ndim_dtype(path, &file, &frows, &fcols, &ndim, &dtype);
	FUZZ_REQUIRE(frc == rc, "from memory %d, from a file %d (%s)", rc, frc,
	             hetsched_last_error());
	if (frc == 0) {
		FUZZ_REQUIRE(frows == rows && fcols == cols, "%zux%zu against %zux%zu", frows,
		             fcols, rows, cols);
		FUZZ_REQUIRE(ndim == 1 || ndim == 2, "ndim %zu", ndim);
		FUZZ_REQUIRE(ndim == 2 || rows == 1, "1-D with %zu rows", rows);
		/* Bit for bit (NaN payloads included): both convert the same bytes the same way. */
		FUZZ_REQUIRE(memcmp(mem, file, rows * cols * sizeof(float)) == 0,
		             "values differ between the two loaders");
		FUZZ_REQUIRE(dtype == HETSCHED_DTYPE_F32 || dtype == HETSCHED_DTYPE_F16, "dtype %d",
		             (int)dtype);
		for (size_t i = 0; dtype == HETSCHED_DTYPE_F16 && i < rows * cols; i++)
			FUZZ_REQUIRE(file[i] != file[i] ||
			                 hetsched__f32_bits(hetsched__round_f16(file[i])) ==
			                     hetsched__f32_bits(file[i]),
			             "float16 value %zu does not round-trip", i);
	} else {
		fuzz_check_error(frc, path);
	}
	free(mem);
	free(file);
	return 0;
}
