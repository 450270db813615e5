/* test_cuda_kernels.c: checks the CUDA kernels of the codelets, without StarPU, through their
 * launchers (cuda_kernels.h), against the CPU:
 * - rand: uniform bit for bit against hetsched__ref_rand, normal within 4 ulp (the platform's
 *   logf/sinf/cosf differ), at odd tile offsets, ragged sizes and padded leading dimensions;
 * - bias broadcast and ReLU, exactly, leaving the padding alone;
 * - one linear tile as linear.c's CUDA variant computes it (bias, cuBLAS sgemm with the
 *   column-major trick, ReLU) against OpenBLAS, normwise relative error <= 1e-4.
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
#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "hetsched.h"
#include "reference.h"
#include "tap.h"

/* Distance in units in the last place between two finite floats. */
static int64_t ulp_distance(float a, float b)
{
	int32_t ia, ib;
	int64_t la, lb;

	memcpy(&ia, &a, sizeof(ia));
	memcpy(&ib, &b, sizeof(ib));
	la = ia < 0 ? (int64_t)INT32_MIN - ia : ia; /* monotonic over the floats */
	lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
	return la > lb ? la - lb : lb - la;
}

/* Pseudo-random test data in [-1, 1) (not the generator under test). */
static void fill_data(float *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (float)(seed >> 8) / 8388608.0f - 1.0f;
	}
}

static void check_rand(cudaStream_t stream, uint32_t dist, float a, float b, uint64_t row0,
                       uint64_t col0, uint32_t rows, uint32_t cols, uint32_t pad)
{
	const uint32_t ld = cols + pad;
	const size_t size = (size_t)rows * ld;
	struct hetsched_rand_args args;
	float *gpu = malloc(size * sizeof(float)), *ref = malloc(size * sizeof(float));
	float *dev;
	size_t i, ndiff = 0, worst = 0;
	int64_t max_ulp = 0;

	memset(&args, 0, sizeof(args));
	args.seed = 0x0123456789abcdefull;
	args.stream = 11;
	args.dist = dist;
	args.a = a;
	args.b = b;
	/* A sentinel everywhere: the kernel must overwrite the tile and leave the padding. */
	for (i = 0; i < size; i++)
		ref[i] = -777.0f;
	HETSCHED_CUDA_CHECK(cudaMalloc((void **)&dev, size * sizeof(float)));
	HETSCHED_CUDA_CHECK(cudaMemcpy(dev, ref, size * sizeof(float), cudaMemcpyHostToDevice));
	hetsched__ref_rand(ref, ld, rows, cols, row0, col0, &args);
	hetsched__rand_cuda_launch(dev, cols, rows, ld, args.seed, args.stream, dist, a, b, row0,
	                           col0, stream);
	HETSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
	HETSCHED_CUDA_CHECK(cudaMemcpy(gpu, dev, size * sizeof(float), cudaMemcpyDeviceToHost));
	HETSCHED_CUDA_CHECK(cudaFree(dev));
	for (i = 0; i < size; i++) {
		int64_t d = ulp_distance(gpu[i], ref[i]);

		if (isnan(gpu[i]))
			d = INT64_MAX;
		if (d != 0)
			ndiff++;
		if (d > max_ulp) {
			max_ulp = d;
			worst = i;
		}
	}
	if (dist == HETSCHED_DIST_UNIFORM) {
		if (!tap_ok(ndiff == 0,
		            "rand uniform(%g, %g) CUDA == CPU bit for bit, %ux%u at (%" PRIu64
		            ", %" PRIu64 "), ld %u",
		            a, b, rows, cols, row0, col0, ld))
			tap_diag("  %zu differ; worst at %zu: %.9g vs %.9g", ndiff, worst,
			         gpu[worst], ref[worst]);
	} else {
		if (!tap_ok(max_ulp <= 4,
		            "rand normal(%g, %g) CUDA within 4 ulp of CPU, %ux%u at (%" PRIu64
		            ", %" PRIu64 "), ld %u",
		            a, b, rows, cols, row0, col0, ld))
			tap_diag("  %zu differ, max %lld ulp at %zu: %.9g vs %.9g", ndiff,
			         (long long)max_ulp, worst, gpu[worst], ref[worst]);
		else
			tap_diag("  %zu of %zu differ, max %lld ulp", ndiff, size,
			         (long long)max_ulp);
	}
	free(gpu);
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

	hetsched__bias_rows_cuda_launch(dy, db, m, n, ldy, stream);
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
	hetsched__bias_rows_cuda_launch(dy, db, m, n, ldy, stream);
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

	check_rand(stream, HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 0, 0, 64, 256, 0);
	check_rand(stream, HETSCHED_DIST_UNIFORM, -1.0f, 1.0f, 7, 3, 33, 129, 5);
	check_rand(stream, HETSCHED_DIST_UNIFORM, 1.0f, 2.0f, 100, 1001, 17, 1000, 3);
	check_rand(stream, HETSCHED_DIST_UNIFORM, -0.0625f, 0.0625f, 0xffffffffull, 2, 3, 7, 1);
	check_rand(stream, HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 5, (1ull << 34) - 9, 70000, 5, 0);
	check_rand(stream, HETSCHED_DIST_NORMAL, 0.0f, 1.0f, 0, 0, 64, 256, 0);
	check_rand(stream, HETSCHED_DIST_NORMAL, 3.0f, 0.5f, 9, 1, 31, 333, 2);

	check_bias_relu(stream);

	check_linear(stream, handle, 64, 64, 64, 0);
	check_linear(stream, handle, 100, 70, 150, 1);
	check_linear(stream, handle, 37, 129, 301, 1);

	HETSCHED_CUBLAS_CHECK(cublasDestroy(handle));
	HETSCHED_CUDA_CHECK(cudaStreamDestroy(stream));
	return tap_done();
}
