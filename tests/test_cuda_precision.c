/* test_cuda_precision.c: checks the 16-bit storage and the precisions of the CUDA kernels,
 * without StarPU, through their launchers (cuda_kernels.h) and cuBLAS called as the codelets
 * call it, against the CPU (half.h's conversions, reference.c's double-precision oracles):
 * - convert16: every one of the 65536 bfloat16 and binary16 values into the other format, bit
 *   for bit as half.h (NaN, infinities, subnormals and overflow included);
 * - the epilogue on bfloat16 and binary16 tiles (read exactly, computed in FP32, stored rounded):
 *   within one unit of the 16-bit format of the double-precision reference, NaN where it is NaN;
 * - softmax and log-softmax over three 16-bit column tiles, likewise;
 * - one 16-bit linear tile as linear16_cuda.c computes it: three k tiles accumulated in FP32 by
 *   cublasGemmEx (16-bit inputs, CUBLAS_COMPUTE_32F, beta 0 then 1), then bias, epilogue and
 *   rounding in one kernel; bias broadcast or per element; for each storage and precision
 *   (inputs rounded to the other 16-bit format first when the precision says so), against a
 *   double-precision sum of the same rounded inputs: normwise within half a unit of the 16-bit
 *   format (plus FP32 accumulation);
 * - linear.c's FP32 tiles in precisions TF32, BF16 and FP16 (cublasGemmEx on FP32 matrices with
 *   the fast compute types): against a double-precision product of the inputs rounded to the
 *   mode, and for BF16 and FP16 closer to that than to the exact product.
 * Without a CUDA device it reports SKIP and exits 77.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codelets.h"
#include "cuda_kernels.h"
#include "cuda_test.h"
#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "hetsched.h"
#include "reference.h"
#include "tap.h"

_Static_assert(HETSCHED__CUDA_BF16 == HETSCHED_DTYPE_BF16, "bf16");
_Static_assert(HETSCHED__CUDA_F16 == HETSCHED_DTYPE_F16, "f16");

static void *dev_alloc(size_t bytes)
{
	void *p;

	HETSCHED_CUDA_CHECK(cudaMalloc(&p, bytes ? bytes : 1));
	return p;
}

static void to_dev(void *dev, const void *host, size_t bytes)
{
	HETSCHED_CUDA_CHECK(cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice));
}

static void from_dev(void *host, const void *dev, size_t bytes)
{
	HETSCHED_CUDA_CHECK(cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost));
}

/* Test data in [-scale, scale), stored as dtype (the FP32 data rounded). */
static uint16_t *data16(uint32_t dtype, size_t n, uint32_t seed, float scale)
{
	float *f = malloc(n * sizeof(float));
	uint16_t *h = malloc(n * sizeof(uint16_t));

	fill_data(f, n, seed);
	for (size_t i = 0; i < n; i++)
		h[i] = round16(dtype, f[i] * scale);
	free(f);
	return h;
}

/* The 16-bit result against the reference rounded to the format: how many are more than one
 * unit apart (NaN against a number counts; NaN against NaN does not). */
static size_t count_off16(uint32_t dtype, const uint16_t *got, const float *ref, uint32_t m,
                          uint32_t n, uint32_t ld, size_t *exact)
{
	size_t bad = 0;

	*exact = 0;
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++) {
			uint16_t g = got[(size_t)i * ld + j],
			         w = round16(dtype, ref[(size_t)i * ld + j]);

			if (is_nan16(dtype, g) || is_nan16(dtype, w))
				bad += !(is_nan16(dtype, g) && is_nan16(dtype, w));
			else {
				bad += ulp16(g, w) > 1;
				*exact += g == w;
			}
		}
	return bad;
}

static void check_convert16(cudaStream_t stream)
{
	uint16_t *all = malloc(65536 * sizeof(uint16_t)), *out = malloc(65536 * sizeof(uint16_t));
	uint16_t *dsrc = dev_alloc(65536 * 2), *ddst = dev_alloc(65536 * 2);

	for (uint32_t i = 0; i < 65536; i++)
		all[i] = (uint16_t)i;
	to_dev(dsrc, all, 65536 * 2);
	for (uint32_t from = HETSCHED_DTYPE_BF16; from <= HETSCHED_DTYPE_F16; from++) {
		const uint32_t to =
		    from == HETSCHED_DTYPE_BF16 ? HETSCHED_DTYPE_F16 : HETSCHED_DTYPE_BF16;
		size_t bad = 0, first = 0;

		/* 256 rows of 256, leading dimension 256 both sides. */
		hetsched__convert16_cuda_launch(ddst, to, 256, dsrc, from, 256, 256, 256, stream);
		HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
		from_dev(out, ddst, 65536 * 2);
		for (uint32_t i = 0; i < 65536; i++)
			if (out[i] != round16(to, widen16(from, (uint16_t)i)) && bad++ == 0)
				first = i;
		if (!tap_ok(bad == 0, "convert16 %s -> %s: all 65536 values as half.h",
		            hetsched_dtype_name(from), hetsched_dtype_name(to)))
			tap_diag("  %zu differ, first 0x%04zx -> 0x%04x, half.h 0x%04x", bad, first,
			         out[first], round16(to, widen16(from, (uint16_t)first)));
	}
	HETSCHED_CUDA_CHECK(cudaFree(dsrc));
	HETSCHED_CUDA_CHECK(cudaFree(ddst));
	free(all);
	free(out);
}

/* Programs of the 16-bit epilogue test: ReLU; GELU; SiLU (two registers); a swapped scalar and
 * per-column constants (2 - y) * v0 / v1; the square root of y, NaN for y < 0. */
static int ew_program(int which, struct hetsched_ew_prog *prog)
{
	memset(prog, 0, sizeof(*prog));
	switch (which) {
	case 0:
		prog->code[prog->n++] = HETSCHED_EW_CODE(HETSCHED_EW_RELU, 0, 0, 0, 0, 0);
		return 1;
	case 1:
		prog->code[prog->n++] = HETSCHED_EW_CODE(HETSCHED_EW_GELU, 0, 0, 0, 0, 0);
		return 1;
	case 2:
		prog->code[prog->n++] = HETSCHED_EW_CODE(HETSCHED_EW_SIGMOID, 1, 0, 0, 0, 0);
		prog->code[prog->n++] =
		    HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_REG, 1, 0);
		return 1;
	case 3:
		prog->p0[0] = 2.0f;
		prog->code[prog->n++] =
		    HETSCHED_EW_CODE(HETSCHED_EW_SUB, 0, 0, HETSCHED_EW_B_SCALAR, 0, 1);
		prog->code[prog->n++] =
		    HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_VEC, 0, 0);
		prog->code[prog->n++] =
		    HETSCHED_EW_CODE(HETSCHED_EW_DIV, 0, 0, HETSCHED_EW_B_VEC, 1, 0);
		prog->nvec = 2;
		return 1;
	case 4:
		prog->code[prog->n++] = HETSCHED_EW_CODE(HETSCHED_EW_SQRT, 0, 0, 0, 0, 0);
		return 1;
	default:
		return 0;
	}
}

static void check_epilogue16(cudaStream_t stream, uint32_t dtype)
{
	const uint32_t m = 29, n = 75, ldy = 81, ldv = 77;
	const size_t size = (size_t)m * ldy;
	uint16_t *y = data16(dtype, size, 31, 3.0f), *out = malloc(size * sizeof(uint16_t));
	float *ref = malloc(size * sizeof(float)), vecs[2 * 77], *dv = dev_alloc(sizeof(vecs));
	uint16_t *dy = dev_alloc(size * sizeof(uint16_t));
	struct hetsched_ew_prog prog;

	fill_data(vecs, 2 * ldv, 32);
	for (uint32_t j = 0; j < ldv; j++)
		vecs[ldv + j] = 1.5f + fabsf(vecs[ldv + j]);
	to_dev(dv, vecs, sizeof(vecs));
	for (int which = 0; ew_program(which, &prog); which++) {
		size_t bad, exact, pad = 0;

		for (size_t i = 0; i < size; i++)
			ref[i] = widen16(dtype, y[i]);
		hetsched__ref_epilogue(ref, ldy, m, n, &prog, vecs, ldv);
		to_dev(dy, y, size * sizeof(uint16_t));
		hetsched__epilogue_cuda_launch(dy, dtype, m, n, ldy, dv, ldv, &prog, stream);
		HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
		from_dev(out, dy, size * sizeof(uint16_t));
		bad = count_off16(dtype, out, ref, m, n, ldy, &exact);
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = n; j < ldy; j++)
				pad += out[(size_t)i * ldy + j] != y[(size_t)i * ldy + j];
		tap_ok(
		    bad == 0 && pad == 0,
		    "epilogue %s, program %d: within one unit of the reference (%zu of %u exact), "
		    "padding untouched",
		    hetsched_dtype_name(dtype), which, exact, m * n);
		if (bad || pad)
			tap_diag("  %zu elements off by more than one unit, %zu padding changed",
			         bad, pad);
	}
	HETSCHED_CUDA_CHECK(cudaFree(dy));
	HETSCHED_CUDA_CHECK(cudaFree(dv));
	free(y);
	free(out);
	free(ref);
}

/* Softmax of 23 rows over column tiles of 50, 64 and 17 (leading dimensions 52, 64, 21). */
static void check_softmax16(cudaStream_t stream, uint32_t dtype)
{
	const uint32_t m = 23, widths[3] = {50, 64, 17}, lds[3] = {52, 64, 21}, n = 131;
	uint16_t *row = data16(dtype, (size_t)m * n, 41, 8.0f);
	uint16_t *out = malloc((size_t)m * n * sizeof(uint16_t));
	uint16_t *h = malloc((size_t)m * 64 * sizeof(uint16_t)), *dt[3];
	float *ref = malloc((size_t)m * n * sizeof(float)), *ds = dev_alloc(2 * m * sizeof(float));

	for (int t = 0; t < 3; t++)
		dt[t] = dev_alloc((size_t)m * lds[t] * sizeof(uint16_t));
	for (uint32_t log = 0; log < 2; log++) {
		size_t bad, exact;

		for (uint32_t t = 0, col = 0; t < 3; col += widths[t++]) {
			for (uint32_t i = 0; i < m; i++)
				memcpy(h + i * lds[t], row + i * n + col,
				       widths[t] * sizeof(uint16_t));
			to_dev(dt[t], h, (size_t)m * lds[t] * sizeof(uint16_t));
		}
		for (uint32_t phase = 0; phase < 3; phase++)
			for (uint32_t t = 0; t < 3; t++)
				hetsched__softmax_cuda_launch(dt[t], dtype, m, widths[t], lds[t],
				                              ds, phase, t == 0, log, stream);
		HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
		for (uint32_t t = 0, col = 0; t < 3; col += widths[t++]) {
			from_dev(h, dt[t], (size_t)m * lds[t] * sizeof(uint16_t));
			for (uint32_t i = 0; i < m; i++)
				memcpy(out + i * n + col, h + i * lds[t],
				       widths[t] * sizeof(uint16_t));
		}
		for (size_t i = 0; i < (size_t)m * n; i++)
			ref[i] = widen16(dtype, row[i]);
		hetsched__ref_softmax(ref, n, m, n, (int)log);
		bad = count_off16(dtype, out, ref, m, n, n, &exact);
		if (!tap_ok(
		        bad == 0,
		        "%s %s over three column tiles: within one unit of the reference (%zu of "
		        "%u exact)",
		        log ? "log-softmax" : "softmax", hetsched_dtype_name(dtype), exact, m * n))
			tap_diag("  %zu elements off by more than one unit", bad);
	}
	for (int t = 0; t < 3; t++)
		HETSCHED_CUDA_CHECK(cudaFree(dt[t]));
	HETSCHED_CUDA_CHECK(cudaFree(ds));
	free(row);
	free(out);
	free(h);
	free(ref);
}

/* The 16-bit format a 16-bit linear's products read (linear16_cuda.c): the precision's when it
 * is the other 16-bit format, else the storage's. */
static uint32_t product_dtype(uint32_t dtype, uint32_t prec)
{
	return prec == HETSCHED_PRECISION_FP16   ? HETSCHED_DTYPE_F16
	       : prec == HETSCHED_PRECISION_BF16 ? HETSCHED_DTYPE_BF16
	                                         : dtype;
}

/* Largest |got - ref| / max |ref| over an m x n tile. */
static double normwise(const float *got, size_t ldg, const double *ref, size_t ldr, uint32_t m,
                       uint32_t n)
{
	double err = 0, scale = 0;

	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++) {
			double g = got[i * ldg + j], r = ref[i * ldr + j];

			scale = fmax(scale, fabs(r));
			err = isnan(g) ? INFINITY : fmax(err, fabs(g - r));
		}
	return scale > 0 ? err / scale : err;
}

/* One output tile of a 16-bit linear layer, the calls of linear16_cuda.c in order: three k
 * tiles (40, 64 and 23 wide, each with its own leading dimension) accumulated into an FP32 acc
 * that starts as garbage (beta 0 on the first), then y = round(prog(acc + b)). */
static void check_linear16(cudaStream_t stream, cublasHandle_t handle, uint32_t dtype,
                           uint32_t prec, int bias_per_element, int gelu)
{
	enum { K = 3 };
	const uint32_t m = 45, n = 70, widths[K] = {40, 64, 23}, ldy = n + 4, ldacc = n + 5;
	const uint32_t ldb = bias_per_element ? n + 2 : 0, brows = bias_per_element ? m : 1;
	const uint32_t pdtype = product_dtype(dtype, prec);
	const cudaDataType_t ptype = pdtype == HETSCHED_DTYPE_BF16 ? CUDA_R_16BF : CUDA_R_16F;
	const float one = 1.0f, zero = 0.0f;
	uint16_t *x[K], *w[K], *dx[K], *dw[K], *xr = NULL, *wr = NULL;
	uint16_t *b = data16(dtype, (size_t)brows * (n + 2), 53, 1.0f), *db, *dy;
	uint16_t *y = malloc((size_t)m * ldy * sizeof(uint16_t));
	float *acc = malloc((size_t)m * ldacc * sizeof(float)), *dacc;
	float *got = malloc((size_t)m * n * sizeof(float));
	double *ref = calloc((size_t)m * n, sizeof(double)), err, tol,
	       vec[HETSCHED_EW_MAX_VECS] = {0};
	struct hetsched_ew_prog prog;
	size_t pad = 0;

	memset(&prog, 0, sizeof(prog));
	if (gelu)
		prog.code[prog.n++] = HETSCHED_EW_CODE(HETSCHED_EW_GELU, 0, 0, 0, 0, 0);
	for (uint32_t i = 0; i < (size_t)m * ldacc; i++)
		acc[i] = 1000.0f; /* what a beta of 1 on the first k tile would add */
	for (uint32_t i = 0; i < (size_t)m * ldy; i++)
		y[i] = 0x1234;
	dacc = dev_alloc((size_t)m * ldacc * sizeof(float));
	dy = dev_alloc((size_t)m * ldy * sizeof(uint16_t));
	db = dev_alloc((size_t)brows * (n + 2) * sizeof(uint16_t));
	to_dev(dacc, acc, (size_t)m * ldacc * sizeof(float));
	to_dev(dy, y, (size_t)m * ldy * sizeof(uint16_t));
	to_dev(db, b, (size_t)brows * (n + 2) * sizeof(uint16_t));
	if (pdtype != dtype) {
		xr = dev_alloc((size_t)m * 64 * sizeof(uint16_t));
		wr = dev_alloc((size_t)n * 64 * sizeof(uint16_t));
	}
	for (int kt = 0; kt < K; kt++) {
		const uint32_t k = widths[kt], ldx = k + 3, ldw = k + 1;
		const void *xa, *wa;
		uint32_t lda = ldw, ldbx = ldx;

		x[kt] = data16(dtype, (size_t)m * ldx, 60 + kt, 1.0f);
		w[kt] = data16(dtype, (size_t)n * ldw, 70 + kt, 1.0f);
		dx[kt] = dev_alloc((size_t)m * ldx * sizeof(uint16_t));
		dw[kt] = dev_alloc((size_t)n * ldw * sizeof(uint16_t));
		to_dev(dx[kt], x[kt], (size_t)m * ldx * sizeof(uint16_t));
		to_dev(dw[kt], w[kt], (size_t)n * ldw * sizeof(uint16_t));
		xa = dx[kt];
		wa = dw[kt];
		if (pdtype != dtype) {
			hetsched__convert16_cuda_launch(xr, pdtype, k, dx[kt], dtype, ldx, m, k,
			                                stream);
			hetsched__convert16_cuda_launch(wr, pdtype, k, dw[kt], dtype, ldw, n, k,
			                                stream);
			xa = xr;
			wa = wr;
			lda = ldbx = k;
		}
		HETSCHED_CUBLAS_CHECK(cublasGemmEx(
		    handle, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, wa, ptype,
		    (int)lda, xa, ptype, (int)ldbx, kt == 0 ? &zero : &one, dacc, CUDA_R_32F,
		    (int)ldacc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
		/* The reference: the same inputs, rounded to the products' format, summed in
		 * double. */
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = 0; j < n; j++) {
				double s = 0;

				for (uint32_t p = 0; p < k; p++) {
					float xv = widen16(dtype, x[kt][i * ldx + p]);
					float wv = widen16(dtype, w[kt][j * ldw + p]);

					if (pdtype != dtype) {
						xv = widen16(pdtype, round16(pdtype, xv));
						wv = widen16(pdtype, round16(pdtype, wv));
					}
					s += (double)xv * wv;
				}
				ref[i * n + j] += s;
			}
		/* The converted copies are reused by the next k tile: the stream orders them. */
	}
	hetsched__linear16_end_cuda_launch(dy, dtype, m, n, ldy, dacc, ldacc, db, ldb, NULL, 0,
	                                   &prog, stream);
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	from_dev(y, dy, (size_t)m * ldy * sizeof(uint16_t));
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < ldy; j++) {
			if (j >= n) {
				pad += y[i * ldy + j] != 0x1234;
				continue;
			}
			ref[i * n + j] += widen16(dtype, b[(size_t)i * ldb + j]);
			if (prog.n)
				ref[i * n + j] = hetsched__ref_ew_value(&prog, ref[i * n + j], vec);
			got[i * n + j] = widen16(dtype, y[i * ldy + j]);
		}
	err = normwise(got, n, ref, n, m, n);
	/* Half a unit of the format, relative (8 and 11 significant bits), plus FP32 sums. */
	tol = (dtype == HETSCHED_DTYPE_BF16 ? 1.0 / 256 : 1.0 / 2048) + 5e-5;
	tap_ok(err <= tol && pad == 0,
	       "linear16 %s storage, %s precision (products in %s), bias %s%s: normwise error "
	       "%.2e <= %.2e, padding untouched",
	       hetsched_dtype_name(dtype), hetsched_precision_name(prec),
	       hetsched_dtype_name(pdtype), bias_per_element ? "per element" : "broadcast",
	       gelu ? ", GELU" : "", err, tol);
	if (pad)
		tap_diag("  %zu padding elements changed", pad);
	for (int kt = 0; kt < K; kt++) {
		HETSCHED_CUDA_CHECK(cudaFree(dx[kt]));
		HETSCHED_CUDA_CHECK(cudaFree(dw[kt]));
		free(x[kt]);
		free(w[kt]);
	}
	if (xr) {
		HETSCHED_CUDA_CHECK(cudaFree(xr));
		HETSCHED_CUDA_CHECK(cudaFree(wr));
	}
	HETSCHED_CUDA_CHECK(cudaFree(dacc));
	HETSCHED_CUDA_CHECK(cudaFree(dy));
	HETSCHED_CUDA_CHECK(cudaFree(db));
	free(b);
	free(y);
	free(acc);
	free(got);
	free(ref);
}

/* FP32 rounded to TF32 (10 significand bits), nearest even. */
static float round_tf32(float f)
{
	uint32_t u = hetsched__f32_bits(f);

	if ((u & 0x7fffffffu) >= 0x7f800000u)
		return f;
	return hetsched__f32_from_bits((u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu);
}

static float round_to(uint32_t prec, float f)
{
	switch (prec) {
	case HETSCHED_PRECISION_TF32:
		return round_tf32(f);
	case HETSCHED_PRECISION_BF16:
		return hetsched__round_bf16(f);
	case HETSCHED_PRECISION_FP16:
		return hetsched__round_f16(f);
	default:
		return f;
	}
}

/* One FP32 tile of linear.c's CUDA variant in a fast precision: bias rows, then cublasGemmEx on
 * the FP32 matrices with the precision's compute type. */
static void check_linear_precision(cudaStream_t stream, cublasHandle_t handle, uint32_t prec)
{
	const uint32_t m = 100, n = 70, k = 150, ldx = k + 3, ldw = k + 1, ldy = n + 2;
	const cublasComputeType_t compute =
	    prec == HETSCHED_PRECISION_TF32   ? CUBLAS_COMPUTE_32F_FAST_TF32
	    : prec == HETSCHED_PRECISION_BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF
	                                      : CUBLAS_COMPUTE_32F_FAST_16F;
	float *x = malloc((size_t)m * ldx * sizeof(float)),
	      *w = malloc((size_t)n * ldw * sizeof(float));
	float *b = malloc(n * sizeof(float)), *y = malloc((size_t)m * ldy * sizeof(float));
	double *exact = malloc((size_t)m * n * sizeof(double));
	double *rounded = malloc((size_t)m * n * sizeof(double));
	float *dx = dev_alloc((size_t)m * ldx * sizeof(float));
	float *dw = dev_alloc((size_t)n * ldw * sizeof(float));
	float *db = dev_alloc(n * sizeof(float)), *dy = dev_alloc((size_t)m * ldy * sizeof(float));
	const float one = 1.0f;
	double err_mode, err_exact, tol;

	fill_data(x, (size_t)m * ldx, 81);
	fill_data(w, (size_t)n * ldw, 82);
	fill_data(b, n, 83);
	to_dev(dx, x, (size_t)m * ldx * sizeof(float));
	to_dev(dw, w, (size_t)n * ldw * sizeof(float));
	to_dev(db, b, n * sizeof(float));
	hetsched__bias_rows_cuda_launch(dy, db, m, n, ldy, 0, stream);
	HETSCHED_CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k,
	                                   &one, dw, CUDA_R_32F, (int)ldw, dx, CUDA_R_32F, (int)ldx,
	                                   &one, dy, CUDA_R_32F, (int)ldy, compute,
	                                   CUBLAS_GEMM_DEFAULT));
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	from_dev(y, dy, (size_t)m * ldy * sizeof(float));
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++) {
			double se = b[j], sr = b[j];

			for (uint32_t p = 0; p < k; p++) {
				se += (double)x[i * ldx + p] * w[j * ldw + p];
				sr += (double)round_to(prec, x[i * ldx + p]) *
				      round_to(prec, w[j * ldw + p]);
			}
			exact[i * n + j] = se;
			rounded[i * n + j] = sr;
		}
	err_mode = normwise(y, ldy, rounded, n, m, n);
	err_exact = normwise(y, ldy, exact, n, m, n);
	/* TF32: the tensor cores may truncate rather than round (one unit, 2^-10, per input). */
	tol = prec == HETSCHED_PRECISION_TF32 ? 3e-3 : 1e-3;
	tap_ok(err_mode <= tol,
	       "linear FP32 storage, %s precision: normwise error %.2e <= %.0e against the product "
	       "of inputs rounded to it (%.2e against the exact product)",
	       hetsched_precision_name(prec), err_mode, tol, err_exact);
	if (prec != HETSCHED_PRECISION_TF32)
		tap_ok(err_mode < err_exact,
		       "linear FP32 storage, %s precision: the inputs were rounded (closer to the "
		       "rounded product, %.2e, than to the exact one, %.2e)",
		       hetsched_precision_name(prec), err_mode, err_exact);
	HETSCHED_CUDA_CHECK(cudaFree(dx));
	HETSCHED_CUDA_CHECK(cudaFree(dw));
	HETSCHED_CUDA_CHECK(cudaFree(db));
	HETSCHED_CUDA_CHECK(cudaFree(dy));
	free(x);
	free(w);
	free(b);
	free(y);
	free(exact);
	free(rounded);
}

int main(void)
{
	cudaStream_t stream;
	cublasHandle_t handle;

	if (hetsched__cuda_device_count() == 0)
		tap_skip_all("no CUDA device");
	HETSCHED_CUDA_CHECK(cudaStreamCreate(&stream));
	HETSCHED_CUBLAS_CHECK(cublasCreate(&handle));
	HETSCHED_CUBLAS_CHECK(cublasSetStream(handle, stream));

	check_convert16(stream);
	for (uint32_t dtype = HETSCHED_DTYPE_BF16; dtype <= HETSCHED_DTYPE_F16; dtype++) {
		check_epilogue16(stream, dtype);
		check_softmax16(stream, dtype);
		for (uint32_t prec = HETSCHED_PRECISION_FP32; prec <= HETSCHED_PRECISION_FP16;
		     prec++) {
			check_linear16(stream, handle, dtype, prec, 0, 0);
			check_linear16(stream, handle, dtype, prec, 1, 1);
		}
	}
	for (uint32_t prec = HETSCHED_PRECISION_TF32; prec <= HETSCHED_PRECISION_FP16; prec++)
		check_linear_precision(stream, handle, prec);

	HETSCHED_CUBLAS_CHECK(cublasDestroy(handle));
	HETSCHED_CUDA_CHECK(cudaStreamDestroy(stream));
	return tap_done();
}
