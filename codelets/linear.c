/* linear.c: the linear codelet, one k tile of a linear layer, and its CPU kernel. The CUDA
 * variant (cuBLAS plus the kernels of linear_cuda.cu) is here too; the OpenCL kernels are in
 * linear.cl (glue: linear_opencl.c).
 *
 *   y = (first ? b broadcast over rows : y) + x w^T,  then y = max(y, 0) when last && act == RELU
 *
 * Buffers: x (m x k tile of the input), w (n x k tile of the weight, row-major out x in), b (1 x n
 * tile of the bias), y (m x n tile of the output). All row-major: nx = columns, ny = rows, ld.
 * The task gives y's mode: STARPU_W when first (its old value is not read), STARPU_RW otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "codelets.h"
#include "hetsched.h"

#ifdef HETSCHED_HAVE_OPENCL_BUILD
#include "opencl_programs.h"
#endif
#if defined(STARPU_USE_CUDA) && defined(HETSCHED_HAVE_CUDA_BUILD)
#define LINEAR_WITH_CUDA 1
#include <starpu_cublas_v2.h>

#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "cuda_kernels.h"
#endif

static int wants_relu(const struct hetsched_linear_args *args)
{
	return args->last && args->act == HETSCHED_ACT_RELU;
}

/* CPU: the bias is copied into y first, so that one sgemm with beta = 1 adds x w^T to it on every
 * k tile alike. OpenBLAS runs on one thread (the library sets it; StarPU has a worker per core). */
static void linear_cpu(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear_args *args = cl_arg;
	const float *x = (const float *)STARPU_MATRIX_GET_PTR(buffers[0]);
	const float *w = (const float *)STARPU_MATRIX_GET_PTR(buffers[1]);
	const float *b = (const float *)STARPU_MATRIX_GET_PTR(buffers[2]);
	float *y = (float *)STARPU_MATRIX_GET_PTR(buffers[3]);
	const size_t ldx = STARPU_MATRIX_GET_LD(buffers[0]);
	const size_t ldw = STARPU_MATRIX_GET_LD(buffers[1]);
	const size_t ldy = STARPU_MATRIX_GET_LD(buffers[3]);
	uint32_t m, n, k;
	size_t i, j;

	hetsched__linear_shape(buffers, &m, &n, &k);
	if (args->first)
		for (i = 0; i < m; i++)
			memcpy(y + i * ldy, b, n * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, x,
	            (int)ldx, w, (int)ldw, 1.0f, y, (int)ldy);
	if (wants_relu(args))
		for (i = 0; i < m; i++)
			for (j = 0; j < n; j++)
				if (y[i * ldy + j] < 0.0f)
					y[i * ldy + j] = 0.0f;
}

#ifdef LINEAR_WITH_CUDA
/* CUDA: cuBLAS is column-major, where the row-major y (m x n) is y^T (n x m); so it computes
 * y^T = w x^T + y^T with w read transposed: sgemm(T, N, n, m, k, w, ldw, x, ldx, y, ldy).
 * Everything is queued on the worker's stream, to which StarPU's cuBLAS handle is bound. */
static void linear_cuda(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear_args *args = cl_arg;
	const float *x = (const float *)STARPU_MATRIX_GET_PTR(buffers[0]);
	const float *w = (const float *)STARPU_MATRIX_GET_PTR(buffers[1]);
	const float *b = (const float *)STARPU_MATRIX_GET_PTR(buffers[2]);
	float *y = (float *)STARPU_MATRIX_GET_PTR(buffers[3]);
	cudaStream_t stream = starpu_cuda_get_local_stream();
	const uint32_t ldx = STARPU_MATRIX_GET_LD(buffers[0]);
	const uint32_t ldw = STARPU_MATRIX_GET_LD(buffers[1]);
	const uint32_t ldy = STARPU_MATRIX_GET_LD(buffers[3]);
	const float one = 1.0f;
	uint32_t m, n, k;

	hetsched__linear_shape(buffers, &m, &n, &k);
	if (args->first)
		hetsched__bias_rows_cuda_launch(y, b, m, n, ldy, stream);
	HETSCHED_CUBLAS_CHECK(cublasSgemm(starpu_cublas_get_local_handle(), CUBLAS_OP_T,
	                                  CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, w, (int)ldw, x,
	                                  (int)ldx, &one, y, (int)ldy));
	if (wants_relu(args))
		hetsched__relu_cuda_launch(y, m, n, ldy, stream);
}
#endif

/* The tile shapes are in StarPU's default footprint; first (bias copy), last and the activation
 * (ReLU pass) change the work, so they are mixed in. */
static uint32_t linear_footprint(struct starpu_task *task)
{
	const struct hetsched_linear_args *args = task->cl_arg;
	uint32_t h = starpu_task_data_footprint(task);

	h = starpu_hash_crc32c_be(args->first, h);
	h = starpu_hash_crc32c_be(args->last, h);
	return starpu_hash_crc32c_be(args->act, h);
}

static struct starpu_perfmodel linear_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "hetsched_linear",
    .footprint = linear_footprint,
};

/* The mode of y differs between tasks (W on the first k tile, RW after), and with a fixed number
 * of buffers StarPU 1.3 takes every mode from the codelet (STARPU_TASK_GET_MODE) and even writes
 * a mode passed to starpu_task_insert into the shared codelet. A variable number of buffers makes
 * each task carry its own modes: R, R, R, then W or RW. */
struct starpu_codelet hetsched_cl_linear = {
    .name = "linear",
    .cpu_funcs = {linear_cpu},
#ifdef LINEAR_WITH_CUDA
    .cuda_funcs = {linear_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
#ifdef HETSCHED_HAVE_OPENCL_BUILD
    .opencl_funcs = {hetsched__linear_opencl},
    .opencl_flags = {STARPU_OPENCL_ASYNC},
#endif
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &linear_model,
};
