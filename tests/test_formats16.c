/* test_formats16.c: 16-bit data in the file formats (issue 19), on the files make_16bit.py writes
 * with numpy and Python's onnx. Checks that
 *  - .npy float16 files ('<f2', '>f2'; 2-D, 1-D, special values, all 65536 bit patterns) load as
 *    the float32 values numpy's astype(np.float32) gives, bit for bit, and say they are f16;
 *  - a float16 (or bfloat16) value loaded and written again in 16 bits keeps its bits (NaNs
 *    stay NaN), through .npy and .safetensors;
 *  - models whose weights are 16-bit (a folder of float16 .npy files, .safetensors BF16 and F16,
 *    ONNX initializers FLOAT16 / BFLOAT16 as raw_data and as int32_data) load the float32 views
 *    make_16bit.py wrote, bit for bit, and hetsched_model_dtype() names their dtype; a mix of
 *    dtypes, or float32, is f32;
 *  - the writers store float32 values as numpy and a bfloat16 rounding in numpy's integer
 *    arithmetic do (make_16bit.py check reads them back: np.load for .npy, struct and json for
 *    .safetensors), also from 16-bit sources (tool.h's hetsched__npy_write), and a bfloat16
 *    .npy is refused, leaving no file, no temporary file, and a file already there intact;
 *  - with the runtime (CPU workers), hetsched_tensor_save_dtype writes what
 *    hetsched_npy_save_dtype writes, and refuses bf16 before the gather.
 * Usage: test_formats16 DIR (written by make_16bit.py write DIR; outputs go to DIR/out).
 * Output: TAP, with the plan at the end. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hetsched.h"
#include "internal.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "hs_test.h"
#include "tap.h"

static const char *dir;

/* DIR/name, in one of four rotating buffers. */
static char *path_of(const char *name)
{
	static char buf[4][4096];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Identical bits, element by element; the first difference is reported. */
static int same_bits(const float *a, const float *b, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
			uint32_t x, y;

			memcpy(&x, &a[i], 4);
			memcpy(&y, &b[i], 4);
			tap_diag("%s: element %zu is 0x%08x, want 0x%08x", what, i, x, y);
			return 0;
		}
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* .npy float16 */

static void test_npy16(void)
{
	static const char *const names[] = {"2d", "1d", "special", "all", "big"};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		float *h = NULL, *ref = NULL, *plain = NULL;
		size_t hn, rn, hs[HETSCHED_NPY_MAX_NDIM], rs[HETSCHED_NPY_MAX_NDIM], rows, cols;
		enum hetsched_dtype hd = HETSCHED_DTYPE_BF16, rd = HETSCHED_DTYPE_BF16;
		char file[64], reffile[64];
		int rc;

		snprintf(file, sizeof(file), "h_%s.npy", names[k]);
		snprintf(reffile, sizeof(reffile), "h_%s.f32.npy", names[k]);
		rc = hetsched_npy_load_dtype(path_of(file), &h, &hn, hs, &hd);
		rc = rc ? rc : hetsched_npy_load_dtype(path_of(reffile), &ref, &rn, rs, &rd);
		rc = rc ? rc : hetsched_npy_load(path_of(file), &plain, &rows, &cols);
		if (rc)
			tap_diag("%s", hetsched_last_error());
		tap_ok(rc == 0 && hd == HETSCHED_DTYPE_F16 && rd == HETSCHED_DTYPE_F32 &&
		           hn == rn && !memcmp(hs, rs, hn * sizeof(size_t)) &&
		           rows * cols == hs[0] * (hn > 1 ? hs[1] : 1) &&
		           same_bits(h, ref, rows * cols, names[k]) &&
		           same_bits(plain, ref, rows * cols, names[k]),
		       "h_%s.npy (float16%s): dtype f16, numpy's float32 values bit for bit",
		       names[k], k == 4 ? ", big-endian" : "");
		free(h);
		free(ref);
		free(plain);
	}
	/* The fuzzer's entry point reads the same bytes alike. */
	{
		unsigned char *bytes = NULL;
		size_t len, rows = 0, cols = 0;
		float *mem = NULL, *ref = NULL;
		size_t rr, rc2;
		int rc = hetsched__read_file(path_of("h_all.npy"), &bytes, &len);

		rc = rc ? rc : hetsched__npy_load_mem(bytes, len, "h_all", &mem, &rows, &cols);
		rc = rc ? rc : hetsched_npy_load(path_of("h_all.f32.npy"), &ref, &rr, &rc2);
		tap_ok(rc == 0 && rows == 256 && cols == 256 && same_bits(mem, ref, 65536, "mem"),
		       "h_all.npy from memory (the fuzzing entry point): the same values");
		free(bytes);
		free(mem);
		free(ref);
	}
}

/* The data bytes of a .npy file of 16-bit values (after its header). */
static const uint16_t *npy16_data(const unsigned char *b, size_t len, size_t n)
{
	size_t h = 10 + ((size_t)b[8] | (size_t)b[9] << 8);

	return len == h + 2 * n ? (const uint16_t *)(const void *)(b + h) : NULL;
}

/* Loaded, then written in 16 bits again: the same bits; a NaN stays NaN (made quiet). */
static int same16(const uint16_t *got, const uint16_t *want, size_t n, int bf16)
{
	uint16_t exp = bf16 ? 0x7f80 : 0x7c00, man = bf16 ? 0x7f : 0x3ff;

	for (size_t i = 0; i < n; i++) {
		int nan = (want[i] & exp) == exp && (want[i] & man);

		if (got[i] != want[i] && !(nan && (got[i] & exp) == exp && (got[i] & man))) {
			tap_diag("element %zu: 0x%04x, want 0x%04x", i, got[i], want[i]);
			return 0;
		}
	}
	return 1;
}

static void test_roundtrip16(void)
{
	unsigned char *in = NULL, *out = NULL;
	size_t inlen, outlen, rows, cols;
	float *v = NULL;
	const uint16_t *a, *b;
	struct hetsched__safetensors st = {0};
	int rc;

	rc = hetsched_npy_load(path_of("h_all.npy"), &v, &rows, &cols);
	rc = rc ? rc
	        : hetsched_npy_save_dtype(path_of("out/h_all.npy"), v, rows, cols, cols,
	                                  HETSCHED_DTYPE_F16);
	rc = rc ? rc : hetsched__read_file(path_of("h_all.npy"), &in, &inlen);
	rc = rc ? rc : hetsched__read_file(path_of("out/h_all.npy"), &out, &outlen);
	a = rc ? NULL : npy16_data(in, inlen, 65536);
	b = rc ? NULL : npy16_data(out, outlen, 65536);
	tap_ok(a && b && same16(b, a, 65536, 0),
	       "every float16 pattern: loaded and saved as f16 .npy, the same bits");
	free(in);
	free(out);
	free(v);
	v = NULL;
	out = NULL;

	/* bfloat16 through .safetensors */
	rc = hetsched__safetensors_open(path_of("bf16_all.safetensors"), &st);
	rc = rc ? rc : hetsched__safetensors_to_float(&st, &st.tensors[0], &v);
	rc = rc ? rc
	        : hetsched_safetensors_save_dtype(path_of("out/bf16_all.safetensors"), "all", v,
	                                          256, 256, 256, HETSCHED_DTYPE_BF16);
	rc = rc ? rc : hetsched__read_file(path_of("out/bf16_all.safetensors"), &out, &outlen);
	tap_ok(rc == 0 && outlen >= 2 * 65536 &&
	           same16((const uint16_t *)(const void *)(out + outlen - 2 * 65536),
	                  (const uint16_t *)(const void *)st.data, 65536, 1),
	       "every bfloat16 pattern: loaded and saved as BF16 .safetensors, the same bits");
	if (rc)
		tap_diag("%s", hetsched_last_error());
	free(out);
	free(v);
	v = NULL;

	/* 16-bit sources (tool.h): bfloat16 bits widened into a float32 .npy, copied into BF16 */
	{
		float *back = NULL, *ref = NULL;
		size_t r2, c2;

		rc = hetsched__npy_write(path_of("out/bf16_as_f32.npy"), st.data,
		                         HETSCHED_DTYPE_BF16, 256, 256, 256, 0, NULL,
		                         HETSCHED_DTYPE_F32);
		rc = rc ? rc
		        : hetsched_npy_load(path_of("out/bf16_as_f32.npy"), &back, &rows, &cols);
		rc = rc ? rc : hetsched_npy_load(path_of("bf16_all.f32.npy"), &ref, &r2, &c2);
		tap_ok(rc == 0 && same_bits(back, ref, 65536, "bf16 source"),
		       "hetsched__npy_write from bfloat16 bits to f32: numpy's bits << 16");
		free(back);
		free(ref);
		rc = hetsched__safetensors_write(path_of("out/bf16_copy.safetensors"), "all",
		                                 st.data, HETSCHED_DTYPE_BF16, 256, 256, 256,
		                                 HETSCHED_DTYPE_BF16);
		out = NULL;
		rc = rc ? rc
		        : hetsched__read_file(path_of("out/bf16_copy.safetensors"), &out, &outlen);
		tap_ok(rc == 0 && outlen >= 2 * 65536 &&
		           !memcmp(out + outlen - 2 * 65536, st.data, 2 * 65536),
		       "hetsched__safetensors_write from bfloat16 bits to BF16: a copy, NaNs "
		       "included");
		free(out);
	}
	hetsched__safetensors_close(&st);
}

/* ------------------------------------------------------------------------------------------ */
/* Models */

/* Layer l of \p m holds the weights and biases of the .npy files \p wref and \p bref. */
static int layer_is(hetsched_model_t m, size_t l, const char *wref, const char *bref)
{
	const float *w, *b;
	float *rw = NULL, *rb = NULL;
	size_t in, out, rows, cols, brows, bcols;
	int good;

	if (hetsched_model_layer(m, l, &in, &out, &w, &b) < 0 ||
	    hetsched_npy_load(wref, &rw, &rows, &cols) < 0 ||
	    hetsched_npy_load(bref, &rb, &brows, &bcols) < 0) {
		tap_diag("%s", hetsched_last_error());
		free(rw);
		return 0;
	}
	good = rows == out && cols == in && b && bcols == out && same_bits(w, rw, out * in, wref) &&
	       same_bits(b, rb, out, bref);
	free(rw);
	free(rb);
	return good;
}

static void model_case(const char *file, const char *refdir, enum hetsched_dtype want,
                       const char *wnames[2], const char *bnames[2])
{
	static const struct hetsched_model_options relu = {.activations = "relu"};
	hetsched_model_t m = NULL;
	int rc = hetsched_model_load_options(&m, path_of(file), &relu), good = rc == 0;

	if (rc)
		tap_diag("%s", hetsched_last_error());
	for (size_t l = 0; good && refdir && l < 2; l++) {
		char w[256], b[256];

		snprintf(w, sizeof(w), "%s/%s.npy", refdir, wnames[l]);
		snprintf(b, sizeof(b), "%s/%s.npy", refdir, bnames[l]);
		good = layer_is(m, l, path_of(w), path_of(b));
	}
	tap_ok(good && hetsched_model_dtype(m) == want,
	       "%s: loads%s; hetsched_model_dtype %s (got %s)", file,
	       refdir ? ", the float32 views bit for bit" : "", hetsched_dtype_name(want),
	       hetsched_dtype_name(hetsched_model_dtype(m)));
	hetsched_model_destroy(m);
}

static void test_models(void)
{
	const char *sd_w[2] = {"0.weight", "2.weight"}, *sd_b[2] = {"0.bias", "2.bias"};
	const char *ox_w[2] = {"w0", "w1"}, *ox_b[2] = {"b0", "b1"};
	static const struct {
		const char *kind;
		enum hetsched_dtype dtype;
	} onnx[] = {{"f16_raw", HETSCHED_DTYPE_F16},
	            {"f16_int32", HETSCHED_DTYPE_F16},
	            {"bf16_raw", HETSCHED_DTYPE_BF16},
	            {"bf16_int32", HETSCHED_DTYPE_BF16},
	            {"mixed", HETSCHED_DTYPE_F32}};

	model_case("m16", "m16/ref", HETSCHED_DTYPE_F16, sd_w, sd_b);
	model_case("st_bf16.safetensors", "st_ref_bf16", HETSCHED_DTYPE_BF16, sd_w, sd_b);
	model_case("st_f16.safetensors", "st_ref_f16", HETSCHED_DTYPE_F16, sd_w, sd_b);
	model_case("st_mixed.safetensors", NULL, HETSCHED_DTYPE_F32, sd_w, sd_b);
	model_case("st_f32.safetensors", NULL, HETSCHED_DTYPE_F32, sd_w, sd_b);
	tap_ok(hetsched_model_dtype(NULL) == HETSCHED_DTYPE_F32, "hetsched_model_dtype(NULL): f32");
	for (size_t k = 0; k < sizeof(onnx) / sizeof(onnx[0]); k++) {
		char file[64], ref[64];

		snprintf(file, sizeof(file), "onnx_%s.onnx", onnx[k].kind);
		snprintf(ref, sizeof(ref), "onnx_%s", onnx[k].kind);
#ifdef HETSCHED_HAVE_ONNX
		if (exists(path_of(file))) {
			model_case(file, ref, onnx[k].dtype, ox_w, ox_b);
			continue;
		}
#endif
		tap_skip("%s: no ONNX support in this build, or no Python onnx module", file);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Writers */

static int count_temps(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	int n = 0;

	while (dd && (e = readdir(dd)))
		n += strstr(e->d_name, ".tmp") != NULL;
	if (dd)
		closedir(dd);
	return n;
}

static void test_writers(void)
{
	float *y = NULL, *wide;
	size_t rows, cols, ld;
	int rc = hetsched_npy_load(path_of("y_src.npy"), &y, &rows, &cols), st;
	const char *keep = path_of("out/keep.npy"), *cmd;
	char line[8192];
	size_t n = rows * cols;
	unsigned char *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;

	if (rc) {
		tap_bail_out("%s", hetsched_last_error());
		return;
	}
	/* The writers read rows of ld elements: give them ld > cols. */
	ld = cols + 3;
	wide = calloc(rows * ld, sizeof(float));
	for (size_t r = 0; r < rows; r++)
		memcpy(wide + r * ld, y + r * cols, cols * sizeof(float));
	rc = hetsched_npy_save_dtype(path_of("out/y_f16.npy"), wide, rows, cols, ld,
	                             HETSCHED_DTYPE_F16);
	rc = rc ? rc
	        : hetsched_npy_save_dtype(path_of("out/y_f32.npy"), wide, rows, cols, ld,
	                                  HETSCHED_DTYPE_F32);
	rc = rc ? rc
	        : hetsched_npy_save_shape_dtype(path_of("out/y_f16_1d.npy"), y, 1, &n,
	                                        HETSCHED_DTYPE_F16);
	for (int d = 0; d < 3 && !rc; d++) {
		static const char *const files[] = {
		    "out/y_f32.safetensors", "out/y_bf16.safetensors", "out/y_f16.safetensors"};

		rc = hetsched_safetensors_save_dtype(path_of(files[d]), "y", wide, rows, cols, ld,
		                                     (enum hetsched_dtype)d);
	}
	if (rc)
		tap_diag("%s", hetsched_last_error());
	tap_ok(rc == 0, "y written as f16 and f32 .npy, f32, bf16 and f16 .safetensors");
	cmd = getenv("PYTHON_NUMPY");
	snprintf(line, sizeof(line), "'%s' '%s/tests/make_16bit.py' check '%s'",
	         cmd && *cmd ? cmd : "/usr/bin/python3",
	         getenv("HS_TOP_SRCDIR") ? getenv("HS_TOP_SRCDIR") : ".", dir);
	fflush(stdout);
	st = system(line);
	tap_ok(
	    st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "numpy reads them back: float16 as numpy rounds, bfloat16 bits as RNE on the float32 "
	    "bits (make_16bit.py check)");

	/* bfloat16 has no .npy form: refused, nothing written, a file already there intact. */
	rc = hetsched_npy_save_dtype(path_of("out/y_bf16.npy"), y, rows, cols, cols,
	                             HETSCHED_DTYPE_BF16);
	tap_ok(rc == HETSCHED_EDTYPE && strstr(hetsched_last_error(), "y_bf16.npy") &&
	           strstr(hetsched_last_error(), ".safetensors") &&
	           !strchr(hetsched_last_error(), '\n') && !exists(path_of("out/y_bf16.npy")) &&
	           count_temps(path_of("out")) == 0,
	       "bf16 .npy refused (HETSCHED_EDTYPE, one line naming the file and .safetensors), "
	       "no file, no temporary: %s",
	       hetsched_last_error());
	rc = hetsched_npy_save(keep, y, 2, 2, 2);
	rc = rc ? rc : hetsched__read_file(keep, &before, &blen);
	rc = rc ? rc : hetsched_npy_save_shape_dtype(keep, y, 1, &n, HETSCHED_DTYPE_BF16);
	tap_ok(rc == HETSCHED_EDTYPE && hetsched__read_file(keep, &after, &alen) == 0 &&
	           alen == blen && !memcmp(before, after, blen),
	       "bf16 .npy over an existing file: refused, the file intact");
	rc = hetsched_npy_save_dtype(keep, y, 2, 2, 2, (enum hetsched_dtype)7);
	tap_ok(rc == HETSCHED_EINVAL, "an unknown dtype: HETSCHED_EINVAL");
	free(before);
	free(after);
	free(wide);
	free(y);
}

/* ------------------------------------------------------------------------------------------ */
/* A tensor saved in 16 bits */

static void test_tensor_save(void)
{
	hetsched_tensor_t t = NULL;
	float *y = NULL;
	unsigned char *a = NULL, *b = NULL;
	size_t rows, cols, alen = 0, blen = 0;
	int rc = hetsched_npy_load(path_of("y_src.npy"), &y, &rows, &cols);

	hs_start("eager", HS_CPU_ONLY);
	rc = rc ? rc : hetsched_tensor_from_host(&t, y, rows, cols, cols, 16, 16);
	rc = rc ? rc : hetsched_tensor_save_dtype(t, path_of("out/t_f16.npy"), HETSCHED_DTYPE_F16);
	rc = rc ? rc : hetsched__read_file(path_of("out/t_f16.npy"), &a, &alen);
	rc = rc ? rc : hetsched__read_file(path_of("out/y_f16.npy"), &b, &blen);
	if (rc)
		tap_diag("%s", hetsched_last_error());
	tap_ok(rc == 0 && alen == blen && !memcmp(a, b, alen),
	       "hetsched_tensor_save_dtype f16: the bytes of hetsched_npy_save_dtype's y_f16.npy");
	rc = hetsched_tensor_save_dtype(t, path_of("out/t_bf16.npy"), HETSCHED_DTYPE_BF16);
	tap_ok(rc == HETSCHED_EDTYPE && !exists(path_of("out/t_bf16.npy")),
	       "hetsched_tensor_save_dtype bf16: HETSCHED_EDTYPE, no file");
	hetsched_tensor_destroy(t);
	hetsched_shutdown();
	free(a);
	free(b);
	free(y);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		printf("Bail out! usage: %s DIR (written by make_16bit.py write DIR)\n", argv[0]);
		return 99;
	}
	dir = argv[1];
	if (mkdir(path_of("out"), 0755) != 0 && errno != EEXIST) {
		printf("Bail out! mkdir %s/out: %s\n", dir, strerror(errno));
		return 99;
	}
	test_npy16();
	test_roundtrip16();
	test_models();
	test_writers();
	test_tensor_save();
	return tap_done();
}
