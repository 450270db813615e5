/* fuzz_npy.c: libFuzzer harness of the .npy loader. Any bytes give either a matrix that the
 * bytes really hold, or an error with one line naming the file; the loader from memory
 * (hetsched__npy_load_mem) and the one from a file (hetsched_npy_load_ndim, which reads the
 * header first and the data in chunks) must agree on both, value for value. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include "fuzz_common.h"
#include "io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	float *mem = NULL, *file = NULL;
	size_t rows = 0, cols = 0, frows = 0, fcols = 0, ndim = 0;
	const char *path;
	int rc, frc;

	rc = hetsched__npy_load_mem(data, size, "fuzz.npy", &mem, &rows, &cols);
	if (rc == 0) {
		FUZZ_REQUIRE(mem != NULL && rows > 0 && cols > 0, "empty success %zux%zu", rows,
		             cols);
		/* The header's shape is never trusted beyond the bytes present: 4 bytes or more
		 * each. */
		FUZZ_REQUIRE(rows <= size / 4 && cols <= size / 4 && rows * cols <= size / 4,
		             "%zux%zu floats from %zu bytes", rows, cols, size);
		fuzz_touch(mem, rows * cols);
	} else {
		FUZZ_REQUIRE(mem == NULL, "data left set after error %d", rc);
		fuzz_check_error(rc, "fuzz.npy");
	}

	path = fuzz_as_file(data, size);
	frc = hetsched_npy_load_ndim(path, &file, &frows, &fcols, &ndim);
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
	} else {
		fuzz_check_error(frc, path);
	}
	free(mem);
	free(file);
	return 0;
}
