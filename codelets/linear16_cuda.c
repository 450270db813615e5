/* linear16_cuda.c: the CUDA variant of the linear16 codelet (linear16.c), one output tile (i, j)
 * of a linear layer whose tensors are stored in 16 bits (bfloat16 or binary16):
 *
 *   acc = sum over kt = 0..K-1, in order, of x_kt w_kt^T        (FP32, cuBLAS)
 *   y   = round16(prog(acc + b))                                (one kernel, epilogue_cuda.cu)
 *
 * Buffers (codelets.h): x_0..x_{K-1} (m x k_kt), w_0..w_{K-1} (n x k_kt), b (1 x n, or m x n for
 * a bias per element), y (m x n), then vecs (nvec x n, FP32) when the program reads any, then
 * acc (FP32 scratch, at least m x n). All row-major: nx = columns, ny = rows, ld. K is args->nk.
 *
 * The products: cuBLAS is column-major, where row-major y is y^T, so each k tile is
 * cublasGemmEx(T, N, n, m, k_kt, w_kt, x_kt, acc) with 16-bit A and B (CUDA_R_16BF or
 * CUDA_R_16F), FP32 C and CUBLAS_COMPUTE_32F: the 16-bit inputs are exact in the tensor cores'
 * products, which are accumulated in FP32; beta is 0 for kt = 0 (acc's old value is not read),
 * 1 after. Precisions:
 * - FP32, TF32, and the precision of the storage itself (BF16 on bfloat16, FP16 on binary16):
 *   the inputs as stored (a 16-bit value is exact in TF32 and in FP32, so nothing is rounded);
 * - FP16 on bfloat16 data, BF16 on binary16 data: each input element is first rounded (nearest
 *   even) to the precision's format, into a stream-ordered temporary (cudaMallocAsync), and
 *   the products read those: the contract's "rounded to the precision when it differs from the
 *   storage" (bfloat16 to binary16 keeps every significand bit but not the range: beyond 65504
 *   becomes infinite, below 2^-24 zero; binary16 to bfloat16 drops 3 significand bits).
 * Everything is queued on the worker's stream, to which StarPU's cuBLAS handle is bound
 * (STARPU_CUDA_ASYNC: nothing waits here).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "codelets.h"
#include "hetsched.h"

#if defined(STARPU_USE_CUDA) && defined(HETSCHED_HAVE_CUDA_BUILD)
#include <starpu_cublas_v2.h>

#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "cuda_kernels.h"

_Static_assert(HETSCHED__CUDA_F32 == HETSCHED_DTYPE_F32, "f32");
_Static_assert(HETSCHED__CUDA_BF16 == HETSCHED_DTYPE_BF16, "bf16");
_Static_assert(HETSCHED__CUDA_F16 == HETSCHED_DTYPE_F16, "f16");

/* A bug upstream (tiling, buffer list): fatal, with what was found. */
static void linear16_mismatch(const char *what, unsigned got, unsigned want)
{
	fprintf(stderr, "%s:%d: linear16 (CUDA): %s is %u, expected %u\n", __FILE__, __LINE__, what,
	        got, want);
	abort();
}

/* The 16-bit format the products read: the storage's, or the precision's when it is the other
 * 16-bit format. */
static uint32_t product_dtype(uint32_t dtype, uint32_t precision)
{
	if (precision == HETSCHED_PRECISION_FP16)
		return HETSCHED_DTYPE_F16;
	if (precision == HETSCHED_PRECISION_BF16)
		return HETSCHED_DTYPE_BF16;
	return dtype;
}

void hetsched__linear16_cuda(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear16_args *args16 = cl_arg;
	const struct hetsched_linear_args *args = &args16->base;
	const uint32_t nk = args16->nk, dtype = args->dtype;
	const unsigned nvec_buf = args->prog.nvec ? 1u : 0u;
	const unsigned nbuffers = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current());

	/* The buffer list first: the indices below depend on it. */
	if (dtype != HETSCHED_DTYPE_BF16 && dtype != HETSCHED_DTYPE_F16)
		linear16_mismatch("dtype", dtype, HETSCHED_DTYPE_BF16);
	if (nk == 0 || nbuffers != 2 * nk + 3 + nvec_buf)
		linear16_mismatch("the number of buffers", nbuffers, 2 * nk + 3 + nvec_buf);

	const uint32_t pdtype = product_dtype(dtype, args->precision);
	void *b_buf = buffers[2 * nk], *y_buf = buffers[2 * nk + 1];
	void *acc_buf = buffers[2 * nk + 2 + nvec_buf];
	cudaStream_t stream = starpu_cuda_get_local_stream();
	cublasHandle_t handle = starpu_cublas_get_local_handle();
	const uint32_t m = STARPU_MATRIX_GET_NY(y_buf), n = STARPU_MATRIX_GET_NX(y_buf);
	const uint32_t ldacc = STARPU_MATRIX_GET_LD(acc_buf);
	const uint32_t b_rows = STARPU_MATRIX_GET_NY(b_buf);
	const cudaDataType_t ptype = pdtype == HETSCHED_DTYPE_BF16 ? CUDA_R_16BF : CUDA_R_16F;
	const float one = 1.0f, zero = 0.0f;
	float *acc = (float *)STARPU_MATRIX_GET_PTR(acc_buf);
	uint16_t *xr = NULL, *wr = NULL; /* the inputs rounded to the precision, when it differs */
	uint32_t kmax = 0;

	if (STARPU_MATRIX_GET_ELEMSIZE(y_buf) != 2)
		linear16_mismatch("y's element size", STARPU_MATRIX_GET_ELEMSIZE(y_buf), 2);
	if (STARPU_MATRIX_GET_ELEMSIZE(acc_buf) != sizeof(float))
		linear16_mismatch("acc's element size", STARPU_MATRIX_GET_ELEMSIZE(acc_buf), 4);
	if (STARPU_MATRIX_GET_NX(acc_buf) < n)
		linear16_mismatch("acc's columns (at least)", STARPU_MATRIX_GET_NX(acc_buf), n);
	if (STARPU_MATRIX_GET_NY(acc_buf) < m)
		linear16_mismatch("acc's rows (at least)", STARPU_MATRIX_GET_NY(acc_buf), m);
	if (STARPU_MATRIX_GET_NX(b_buf) != n)
		linear16_mismatch("b's columns", STARPU_MATRIX_GET_NX(b_buf), n);
	if (b_rows != 1 && b_rows != m)
		linear16_mismatch("b's rows", b_rows, m);
	for (uint32_t kt = 0; kt < nk; kt++) {
		const uint32_t k = STARPU_MATRIX_GET_NX(buffers[kt]);

		if (STARPU_MATRIX_GET_NY(buffers[kt]) != m)
			linear16_mismatch("x's rows", STARPU_MATRIX_GET_NY(buffers[kt]), m);
		if (STARPU_MATRIX_GET_NY(buffers[nk + kt]) != n)
			linear16_mismatch("w's rows", STARPU_MATRIX_GET_NY(buffers[nk + kt]), n);
		if (STARPU_MATRIX_GET_NX(buffers[nk + kt]) != k)
			linear16_mismatch("w's columns", STARPU_MATRIX_GET_NX(buffers[nk + kt]), k);
		kmax = k > kmax ? k : kmax;
	}

	if (pdtype != dtype) {
		HETSCHED_CUDA_CHECK(
		    cudaMallocAsync((void **)&xr, (size_t)m * kmax * sizeof(uint16_t), stream));
		HETSCHED_CUDA_CHECK(
		    cudaMallocAsync((void **)&wr, (size_t)n * kmax * sizeof(uint16_t), stream));
	}
	for (uint32_t kt = 0; kt < nk; kt++) {
		const void *x = (const void *)STARPU_MATRIX_GET_PTR(buffers[kt]);
		const void *w = (const void *)STARPU_MATRIX_GET_PTR(buffers[nk + kt]);
		uint32_t ldx = STARPU_MATRIX_GET_LD(buffers[kt]);
		uint32_t ldw = STARPU_MATRIX_GET_LD(buffers[nk + kt]);
		const uint32_t k = STARPU_MATRIX_GET_NX(buffers[kt]);

		if (pdtype != dtype) {
			hetsched__convert16_cuda_launch(xr, pdtype, k, x, dtype, ldx, m, k, stream);
			hetsched__convert16_cuda_launch(wr, pdtype, k, w, dtype, ldw, n, k, stream);
			x = xr;
			w = wr;
			ldx = ldw = k > 0 ? k : 1;
		}
		HETSCHED_CUBLAS_CHECK(
		    cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, w,
		                 ptype, (int)ldw, x, ptype, (int)ldx, kt == 0 ? &zero : &one, acc,
		                 CUDA_R_32F, (int)ldacc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
	}
	if (xr)
		HETSCHED_CUDA_CHECK(cudaFreeAsync(xr, stream));
	if (wr)
		HETSCHED_CUDA_CHECK(cudaFreeAsync(wr, stream));
	hetsched__linear16_end_cuda_launch(
	    (void *)STARPU_MATRIX_GET_PTR(y_buf), dtype, m, n, STARPU_MATRIX_GET_LD(y_buf), acc,
	    ldacc, (const void *)STARPU_MATRIX_GET_PTR(b_buf),
	    b_rows > 1 ? STARPU_MATRIX_GET_LD(b_buf) : 0,
	    nvec_buf ? (const float *)STARPU_MATRIX_GET_PTR(buffers[2 * nk + 2]) : NULL,
	    nvec_buf ? STARPU_MATRIX_GET_LD(buffers[2 * nk + 2]) : 0, &args->prog, stream);
}
#endif
