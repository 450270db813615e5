/* test_cuda_kernels.c: checks the CUDA kernels of the codelets, without StarPU, through their
 * launchers (cuda_kernels.h), against the CPU:
 * - rand: uniform bit for bit against hetsched__ref_rand, normal within 4 ulp (the platform's
 *   log/sin/cos differ in the last bits of a double), at odd tile offsets, ragged sizes, padded
 *   leading dimensions and misaligned tile addresses, for every storage dtype: 16-bit tiles hold
 *   the reference's FP32 values rounded as half.h rounds them (uniform: bit for bit; normal:
 *   within one unit of the 16-bit format), and the padding around the tile is left alone;
 * - bias broadcast and ReLU, exactly, leaving the padding alone;
 * - one linear tile as linear.c's CUDA variant computes it (bias, cuBLAS sgemm with the
 *   column-major trick, ReLU) against OpenBLAS, normwise relative error <= 1e-4;
 * - the epilogue (every unary operation, SiLU's registers, scalar and per-column constants,
 *   swapped operands) and the three softmax phases over three column tiles, against the
 *   double-precision references of reference.c (relative error <= 1e-5 of the largest value).
 * The 16-bit variants of the other kernels and the precisions are in test_cuda_precision.c.
 * Without a CUDA device it reports SKIP and exits 77.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "codelets.h"
#include "cuda_kernels.h"
#include "cuda_test.h"
#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "hetsched.h"
#include "reference.h"
#include "tap.h"

/* rand into a tile of \p dtype: rows x cols at (row0, col0) of the tensor, leading dimension
 * cols + pad, starting \p off elements into a device buffer (off odd: the vector stores cannot be
 * used, as for a tile inside a larger allocation). Every element outside the tile keeps a
 * sentinel. */
static void check_rand(cudaStream_t stream, uint32_t dtype, uint32_t dist, float a, float b,
                       uint64_t row0, uint64_t col0, uint32_t rows, uint32_t cols, uint32_t pad,
                       uint32_t off)
{
	const uint32_t ld = cols + pad;
	const size_t es = dtype == HETSCHED_DTYPE_F32 ? sizeof(float) : sizeof(uint16_t);
	const size_t size = off + (size_t)rows * ld;
	struct hetsched_rand_args args;
	unsigned char *gpu = malloc(size * es), *want = malloc(size * es);
	float *ref = malloc((size_t)rows * ld * sizeof(float));
	unsigned char *dev;
	size_t i, ndiff = 0, nbad = 0, worst = 0;
	int64_t max_ulp = 0;

	memset(&args, 0, sizeof(args));
	args.seed = 0x0123456789abcdefull;
	args.stream = 11;
	args.dist = dist;
	args.a = a;
	args.b = b;
	args.dtype = dtype;
	/* A sentinel everywhere: the kernel must overwrite the tile and leave the rest. */
	memset(want, 0xa5, size * es);
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dev, size * es));
	HETSCHED_CUDA_CHECK(cudaMemcpy(dev, want, size * es, cudaMemcpyHostToDevice));
	hetsched__ref_rand(ref, ld, rows, cols, row0, col0, &args);
	for (uint32_t r = 0; r < rows; r++)
		for (uint32_t c = 0; c < cols; c++) {
			size_t e = off + (size_t)r * ld + c;
			float v = ref[(size_t)r * ld + c];

			if (dtype == HETSCHED_DTYPE_F32)
				memcpy(want + e * es, &v, sizeof(v));
			else {
				uint16_t h = round16(dtype, v);

				memcpy(want + e * es, &h, sizeof(h));
			}
		}
	hetsched__rand_cuda_launch(dev + off * es, dtype, cols, rows, ld, args.seed, args.stream,
	                           dist, a, b, row0, col0, stream);
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	HETSCHED_CUDA_CHECK(cudaMemcpy(gpu, dev, size * es, cudaMemcpyDeviceToHost));
	HETSCHED_CUDA_CHECK(cudaFree(dev));
	for (i = 0; i < size; i++) {
		const int inside = i >= off && (i - off) % ld < cols;
		int64_t d;

		if (dtype == HETSCHED_DTYPE_F32) {
			float g, w;

			memcpy(&g, gpu + i * es, sizeof(g));
			memcpy(&w, want + i * es, sizeof(w));
			d = isnan(g) ? INT64_MAX : ulp_distance(g, w);
		} else {
			uint16_t g, w;

			memcpy(&g, gpu + i * es, sizeof(g));
			memcpy(&w, want + i * es, sizeof(w));
			d = is_nan16(dtype, g) ? INT64_MAX : ulp16(g, w);
		}
		if (d != 0 && !inside)
			nbad++; /* the padding or what lies before the tile was written */
		if (d != 0)
			ndiff++;
		if (d > max_ulp) {
			max_ulp = d;
			worst = i;
		}
	}
	tap_ok(nbad == 0, "rand %s %s: nothing written outside the %ux%u tile (ld %u, offset %u)",
	       hetsched_dtype_name(dtype), dist == HETSCHED_DIST_UNIFORM ? "uniform" : "normal",
	       rows, cols, ld, off);
	if (dist == HETSCHED_DIST_UNIFORM) {
		if (!tap_ok(ndiff == 0,
		            "rand uniform(%g, %g) %s CUDA == CPU bit for bit, %ux%u at (%" PRIu64
		            ", %" PRIu64 "), ld %u, offset %u",
		            a, b, hetsched_dtype_name(dtype), rows, cols, row0, col0, ld, off))
			tap_diag("  %zu differ; worst at %zu (%lld ulp)", ndiff, worst,
			         (long long)max_ulp);
	} else {
		const int64_t tol = dtype == HETSCHED_DTYPE_F32 ? 4 : 1;

		if (!tap_ok(max_ulp <= tol,
		            "rand normal(%g, %g) %s CUDA within %lld ulp of CPU, %ux%u at (%" PRIu64
		            ", %" PRIu64 "), ld %u, offset %u",
		            a, b, hetsched_dtype_name(dtype), (long long)tol, rows, cols, row0,
		            col0, ld, off))
			tap_diag("  %zu differ, max %lld ulp at %zu", ndiff, (long long)max_ulp,
			         worst);
		else
			tap_diag("  %zu of %zu differ, max %lld ulp", ndiff, size,
			         (long long)max_ulp);
	}
	free(gpu);
	free(want);
	free(ref);
}

static void check_bias_relu(cudaStream_t stream)
{
	const uint32_t m = 37, n = 131, ldy = 140;
	const size_t size = (size_t)m * ldy;
	float *y = malloc(size * sizeof(float)), *out = malloc(size * sizeof(float));
	float b[131];
	float *dy, *db;
	size_t i, j, bad = 0;

	fill_data(y, size, 5);
	fill_data(b, n, 6);
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dy, size * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&db, n * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMemcpy(dy, y, size * sizeof(float), cudaMemcpyHostToDevice));
	HETSCHED_CUDA_CHECK(cudaMemcpy(db, b, n * sizeof(float), cudaMemcpyHostToDevice));

	hetsched__bias_rows_cuda_launch(dy, db, m, n, ldy, 0, stream);
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	HETSCHED_CUDA_CHECK(cudaMemcpy(out, dy, size * sizeof(float), cudaMemcpyDeviceToHost));
	for (i = 0; i < m; i++)
		for (j = 0; j < ldy; j++)
			bad += out[i * ldy + j] != (j < n ? b[j] : y[i * ldy + j]);
	TAP_EQ_INT(bad, 0, "bias broadcast: y[i][j] = b[j], padding untouched");

	/* ReLU on the data itself, which has both signs. */
	HETSCHED_CUDA_CHECK(cudaMemcpy(dy, y, size * sizeof(float), cudaMemcpyHostToDevice));
	hetsched__relu_cuda_launch(dy, m, n, ldy, stream);
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	HETSCHED_CUDA_CHECK(cudaMemcpy(out, dy, size * sizeof(float), cudaMemcpyDeviceToHost));
	bad = 0;
	for (i = 0; i < m; i++)
		for (j = 0; j < ldy; j++) {
			float v = y[i * ldy + j];

			bad += out[i * ldy + j] != (j < n && v < 0.0f ? 0.0f : v);
		}
	TAP_EQ_INT(bad, 0, "relu: y = max(y, 0), padding untouched");
	HETSCHED_CUDA_CHECK(cudaFree(dy));
	HETSCHED_CUDA_CHECK(cudaFree(db));
	free(y);
	free(out);
}

/* Largest |a - ref| / max(1, max |ref|) over an m x n tile of leading dimension ld. */
static double tile_err(const float *a, const float *ref, uint32_t m, uint32_t n, uint32_t ld)
{
	double err = 0, scale = 1;

	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++)
			scale = fmax(scale, fabs(ref[i * ld + j]));
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++)
			err = fmax(err, fabs((double)a[i * ld + j] - ref[i * ld + j]) / scale);
	return err;
}

static void check_epilogue(cudaStream_t stream)
{
	const uint32_t m = 29, n = 75, ldy = 80, ldv = 77;
	const size_t size = (size_t)m * ldy;
	float *y = malloc(size * sizeof(float)), *ref = malloc(size * sizeof(float));
	float *out = malloc(size * sizeof(float)), vecs[2 * 77], *dy, *dv;
	struct hetsched_ew_prog prog;

	fill_data(y, size, 11);
	fill_data(vecs, 2 * ldv, 12);
	for (size_t i = 0; i < size; i++)
		y[i] *= 3.0f;
	for (uint32_t j = 0; j < ldv; j++)
		vecs[ldv + j] = 1.5f + fabsf(vecs[ldv + j]); /* a positive divisor */
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dy, size * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dv, sizeof(vecs)));
	HETSCHED_CUDA_CHECK(cudaMemcpy(dv, vecs, sizeof(vecs), cudaMemcpyHostToDevice));
	for (uint32_t op = HETSCHED_EW_RELU; op <= HETSCHED_EW_POWER + 2; op++) {
		memset(&prog, 0, sizeof(prog));
		if (op <= HETSCHED_EW_COPY) {
			/* Each unary operation, on |y| for the square root. */
			if (op == HETSCHED_EW_SQRT)
				prog.code[prog.n++] = HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0,
				                                       HETSCHED_EW_B_REG, 0, 0);
			prog.p0[prog.n] = 0.3f;
			prog.p1[prog.n] = 0.6f;
			prog.code[prog.n++] = HETSCHED_EW_CODE(op, 0, 0, 0, 0, 0);
		} else if (op < HETSCHED_EW_ADD) {
			continue;
		} else if (op <= HETSCHED_EW_POWER) {
			/* r1 = sigmoid(r0); r0 = (r0 op r1): a second register, as SiLU. */
			prog.code[prog.n++] = HETSCHED_EW_CODE(HETSCHED_EW_SIGMOID, 1, 0, 0, 0, 0);
			prog.code[prog.n++] = HETSCHED_EW_CODE(op, 0, 1, HETSCHED_EW_B_REG, 0, 0);
		} else if (op == HETSCHED_EW_POWER + 1) {
			/* Swapped scalar: r0 = 2 - r0; per-column constants: r0 = r0 * v0 / v1. */
			prog.p0[0] = 2.0f;
			prog.code[prog.n++] =
			    HETSCHED_EW_CODE(HETSCHED_EW_SUB, 0, 0, HETSCHED_EW_B_SCALAR, 0, 1);
			prog.code[prog.n++] =
			    HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_VEC, 0, 0);
			prog.code[prog.n++] =
			    HETSCHED_EW_CODE(HETSCHED_EW_DIV, 0, 0, HETSCHED_EW_B_VEC, 1, 0);
			prog.nvec = 2;
		} else {
			/* GELU decomposed as exporters write it: x/2 (1 + erf(x / sqrt 2)). */
			const uint32_t c[5] = {
			    HETSCHED_EW_CODE(HETSCHED_EW_DIV, 1, 0, HETSCHED_EW_B_SCALAR, 0, 0),
			    HETSCHED_EW_CODE(HETSCHED_EW_ERF, 1, 1, 0, 0, 0),
			    HETSCHED_EW_CODE(HETSCHED_EW_ADD, 1, 1, HETSCHED_EW_B_SCALAR, 0, 0),
			    HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_REG, 1, 0),
			    HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_SCALAR, 0, 0)};
			const float p[5] = {1.41421356f, 0, 1, 0, 0.5f};

			for (int k = 0; k < 5; k++) {
				prog.code[k] = c[k];
				prog.p0[k] = p[k];
			}
			prog.n = 5;
		}
		memcpy(ref, y, size * sizeof(float));
		hetsched__ref_epilogue(ref, ldy, m, n, &prog, vecs, ldv);
		HETSCHED_CUDA_CHECK(
		    cudaMemcpy(dy, y, size * sizeof(float), cudaMemcpyHostToDevice));
		hetsched__epilogue_cuda_launch(dy, HETSCHED_DTYPE_F32, m, n, ldy, dv, ldv, &prog,
		                               stream);
		HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
		HETSCHED_CUDA_CHECK(
		    cudaMemcpy(out, dy, size * sizeof(float), cudaMemcpyDeviceToHost));
		TAP_CMP_DBL(tile_err(out, ref, m, n, ldy), <=, 1e-5,
		            "epilogue program %u (%u instructions) against the reference", op,
		            prog.n);
	}
	HETSCHED_CUDA_CHECK(cudaFree(dy));
	HETSCHED_CUDA_CHECK(cudaFree(dv));
	free(y);
	free(ref);
	free(out);
}

/* Softmax and log-softmax of 23 rows split into column tiles of 50, 64 and 17 (own leading
 * dimensions), the three phases tile after tile as softmax.c's CUDA variant runs them. */
static void check_softmax(cudaStream_t stream)
{
	const uint32_t m = 23, widths[3] = {50, 64, 17}, lds[3] = {52, 64, 20}, n = 131;
	float *row = malloc((size_t)m * n * sizeof(float)),
	      *out = malloc((size_t)m * n * sizeof(float));
	float *dt[3], *ds, *h = malloc((size_t)m * 64 * sizeof(float));

	fill_data(row, (size_t)m * n, 21);
	for (size_t i = 0; i < (size_t)m * n; i++)
		row[i] *= 8.0f;
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&ds, 2 * m * sizeof(float)));
	for (int t = 0; t < 3; t++)
		HETSCHED_CUDA_CHECK(
		    cudaMalloc((void **)&dt[t], (size_t)m * lds[t] * sizeof(float)));
	for (uint32_t log = 0; log < 2; log++) {
		for (int t = 0, col = 0; t < 3; col += widths[t++]) {
			for (uint32_t i = 0; i < m; i++)
				memcpy(h + i * lds[t], row + i * n + col,
				       widths[t] * sizeof(float));
			HETSCHED_CUDA_CHECK(cudaMemcpy(dt[t], h, (size_t)m * lds[t] * sizeof(float),
			                               cudaMemcpyHostToDevice));
		}
		for (uint32_t phase = 0; phase < 3; phase++)
			for (int t = 0; t < 3; t++)
				hetsched__softmax_cuda_launch(dt[t], HETSCHED_DTYPE_F32, m,
				                              widths[t], lds[t], ds, phase, t == 0,
				                              log, stream);
		HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
		for (int t = 0, col = 0; t < 3; col += widths[t++]) {
			HETSCHED_CUDA_CHECK(cudaMemcpy(h, dt[t], (size_t)m * lds[t] * sizeof(float),
			                               cudaMemcpyDeviceToHost));
			for (uint32_t i = 0; i < m; i++)
				memcpy(out + i * n + col, h + i * lds[t],
				       widths[t] * sizeof(float));
		}
		{
			float *ref = malloc((size_t)m * n * sizeof(float));

			memcpy(ref, row, (size_t)m * n * sizeof(float));
			hetsched__ref_softmax(ref, n, m, n, (int)log);
			TAP_CMP_DBL(tile_err(out, ref, m, n, n), <=, 1e-5,
			            "%s over three column tiles against the reference",
			            log ? "log-softmax" : "softmax");
			free(ref);
		}
	}
	for (int t = 0; t < 3; t++)
		HETSCHED_CUDA_CHECK(cudaFree(dt[t]));
	HETSCHED_CUDA_CHECK(cudaFree(ds));
	free(row);
	free(out);
	free(h);
}

/* One tile of linear.c's CUDA variant, against OpenBLAS doing what linear.c's CPU variant does. */
static void check_linear(cudaStream_t stream, cublasHandle_t handle, uint32_t m, uint32_t n,
                         uint32_t k, int relu)
{
	const uint32_t ldx = k + 3, ldw = k + 1, ldy = n + 2;
	float *x = malloc((size_t)m * ldx * sizeof(float));
	float *w = malloc((size_t)n * ldw * sizeof(float));
	float *b = malloc((size_t)n * sizeof(float));
	float *y = malloc((size_t)m * ldy * sizeof(float));
	float *cpu = malloc((size_t)m * ldy * sizeof(float));
	float *dx, *dw, *db, *dy;
	const float one = 1.0f;
	double max_err = 0, max_ref = 0;
	size_t i, j;

	fill_data(x, (size_t)m * ldx, 7);
	fill_data(w, (size_t)n * ldw, 8);
	fill_data(b, n, 9);
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dx, (size_t)m * ldx * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dw, (size_t)n * ldw * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&db, (size_t)n * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dy, (size_t)m * ldy * sizeof(float)));
	HETSCHED_CUDA_CHECK(
	    cudaMemcpy(dx, x, (size_t)m * ldx * sizeof(float), cudaMemcpyHostToDevice));
	HETSCHED_CUDA_CHECK(
	    cudaMemcpy(dw, w, (size_t)n * ldw * sizeof(float), cudaMemcpyHostToDevice));
	HETSCHED_CUDA_CHECK(cudaMemcpy(db, b, (size_t)n * sizeof(float), cudaMemcpyHostToDevice));
	HETSCHED_CUDA_CHECK(cudaMemset(dy, 0, (size_t)m * ldy * sizeof(float)));

	/* y = b; y^T = w x^T + y^T in cuBLAS's column-major terms; ReLU. */
	hetsched__bias_rows_cuda_launch(dy, db, m, n, ldy, 0, stream);
	HETSCHED_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k,
	                                  &one, dw, (int)ldw, dx, (int)ldx, &one, dy, (int)ldy));
	if (relu)
		hetsched__relu_cuda_launch(dy, m, n, ldy, stream);
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	HETSCHED_CUDA_CHECK(
	    cudaMemcpy(y, dy, (size_t)m * ldy * sizeof(float), cudaMemcpyDeviceToHost));

	for (i = 0; i < m; i++)
		memcpy(cpu + i * ldy, b, n * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, x,
	            (int)ldx, w, (int)ldw, 1.0f, cpu, (int)ldy);
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			double ref = cpu[i * ldy + j], d;

			if (relu && ref < 0)
				ref = 0;
			d = fabs(y[i * ldy + j] - ref);
			if (isnan(y[i * ldy + j]))
				d = INFINITY;
			max_err = d > max_err ? d : max_err;
			max_ref = fabs(ref) > max_ref ? fabs(ref) : max_ref;
		}
	TAP_CMP_DBL(max_err / max_ref, <=, 1e-4,
	            "linear %ux%ux%u%s: cuBLAS tile vs OpenBLAS, normwise relative error", m, n, k,
	            relu ? " + relu" : "");
	HETSCHED_CUDA_CHECK(cudaFree(dx));
	HETSCHED_CUDA_CHECK(cudaFree(dw));
	HETSCHED_CUDA_CHECK(cudaFree(db));
	HETSCHED_CUDA_CHECK(cudaFree(dy));
	free(x);
	free(w);
	free(b);
	free(y);
	free(cpu);
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

	for (uint32_t dtype = HETSCHED_DTYPE_F32; dtype <= HETSCHED_DTYPE_F16; dtype++) {
		const uint32_t U = HETSCHED_DIST_UNIFORM, N = HETSCHED_DIST_NORMAL;

		check_rand(stream, dtype, U, 0.0f, 1.0f, 0, 0, 64, 256, 0, 0);
		check_rand(stream, dtype, U, -1.0f, 1.0f, 7, 3, 33, 129, 5, 0);
		check_rand(stream, dtype, U, -1.0f, 1.0f, 7, 4, 33, 129, 3, 1);
		check_rand(stream, dtype, U, 1.0f, 2.0f, 100, 1001, 17, 1000, 3, 3);
		check_rand(stream, dtype, U, -0.0625f, 0.0625f, 0xffffffffull, 2, 3, 7, 1, 0);
		check_rand(stream, dtype, U, 0.0f, 1.0f, 5, (1ull << 34) - 9, 70000, 5, 0, 0);
		check_rand(stream, dtype, U, 0.0f, 1.0f, 1, 1, 1, 1, 0, 1);
		check_rand(stream, dtype, U, -3.0f, 5.0f, 2, 8, 40, 4100, 4, 0);
		check_rand(stream, dtype, N, 0.0f, 1.0f, 0, 0, 64, 256, 0, 0);
		check_rand(stream, dtype, N, 3.0f, 0.5f, 9, 1, 31, 333, 2, 1);
		check_rand(stream, dtype, N, -1.0f, 2.0f, 3, 6, 5, 1030, 6, 0);
	}

	check_bias_relu(stream);
	check_epilogue(stream);
	check_softmax(stream);

	check_linear(stream, handle, 64, 64, 64, 0);
	check_linear(stream, handle, 100, 70, 150, 1);
	check_linear(stream, handle, 37, 129, 301, 1);

	HETSCHED_CUBLAS_CHECK(cublasDestroy(handle));
	HETSCHED_CUDA_CHECK(cudaStreamDestroy(stream));
	return tap_done();
}
