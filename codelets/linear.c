/* linear.c: the linear codelet, one k tile of a linear layer, and its CPU kernel. The CUDA
 * variant (cuBLAS plus the kernels of linear_cuda.cu) is here too; the OpenCL kernels are in
 * linear.cl (glue: linear_opencl.c).
 *
 *   y = (first ? b broadcast over rows : y) + x w^T,  then y = prog(y) when last
 *
 * Buffers: x (m x k tile of the input), w (n x k tile of the weight, row-major out x in), b (1 x n
 * tile of the bias, or m x n for a bias per element), y (m x n tile of the output), and vecs
 * (nvec x n, the epilogue's per-column constants) when the program reads any. All row-major:
 * nx = columns, ny = rows, ld. The task gives y's mode: STARPU_W when first (its old value is not
 * read), STARPU_RW otherwise. prog is the element-wise epilogue of epilogue.h (ReLU, GELU, ...).
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

/* The epilogue's per-column constants: the fifth buffer, when the program reads any. */
static const float *epilogue_vecs(void *buffers[], const struct hetsched_linear_args *args,
                                  size_t *ldv)
{
	if (args->prog.nvec == 0) {
		*ldv = 0;
		return NULL;
	}
	*ldv = STARPU_MATRIX_GET_LD(buffers[4]);
	return (const float *)STARPU_MATRIX_GET_PTR(buffers[4]);
}

/* Distance between the bias rows: 0 when one row is broadcast over the tile. */
static size_t bias_row_step(void *buffers[])
{
	return STARPU_MATRIX_GET_NY(buffers[2]) > 1 ? STARPU_MATRIX_GET_LD(buffers[2]) : 0;
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
	const size_t ldb = bias_row_step(buffers);
	uint32_t m, n, k;
	size_t i, ldv;
	const float *vecs = epilogue_vecs(buffers, args, &ldv);

	hetsched__linear_shape(buffers, &m, &n, &k);
	if (args->first)
		for (i = 0; i < m; i++)
			memcpy(y + i * ldy, b + i * ldb, n * sizeof(float));
	/* Products in bf16 or fp16: x and w rounded into per-thread FP32 copies first (tf32 has
	 * no CPU form: FP32). */
	if (hetsched__cpu_rounds(args->dtype, args->precision)) {
		float *xs = hetsched__cpu_scratch(0, (size_t)m * k);
		float *ws = hetsched__cpu_scratch(1, (size_t)n * k);

		hetsched__cpu_widen(xs, k, x, ldx, m, k, args->dtype, args->precision);
		hetsched__cpu_widen(ws, k, w, ldw, n, k, args->dtype, args->precision);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f,
		            xs, (int)k, ws, (int)k, 1.0f, y, (int)ldy);
	} else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f,
		            x, (int)ldx, w, (int)ldw, 1.0f, y, (int)ldy);
	if (args->last && args->prog.n)
		hetsched__epilogue_cpu(y, ldy, m, n, &args->prog, vecs, ldv);
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
	size_t ldv;
	const float *vecs = epilogue_vecs(buffers, args, &ldv);

	hetsched__linear_shape(buffers, &m, &n, &k);
	if (args->first)
		hetsched__bias_rows_cuda_launch(y, b, m, n, ldy, (uint32_t)bias_row_step(buffers),
		                                stream);
	HETSCHED_CUBLAS_CHECK(cublasSgemm(starpu_cublas_get_local_handle(), CUBLAS_OP_T,
	                                  CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, w, (int)ldw, x,
	                                  (int)ldx, &one, y, (int)ldy));
	if (args->last && hetsched__ew_is_relu(&args->prog))
		hetsched__relu_cuda_launch(y, m, n, ldy, stream);
	else if (args->last && args->prog.n)
		hetsched__epilogue_cuda_launch(y, m, n, ldy, vecs, (uint32_t)ldv, &args->prog,
		                               stream);
}
#endif

/* The tile shapes are in StarPU's default footprint; first (bias copy), last and the epilogue
 * program change the work, so they are mixed in. A task without an epilogue keeps the key it had
 * before epilogues existed (the activation "none" mixed in), so that calibrations made then
 * still apply, the H200 node's of tests/data among them (simulation.sh). */
static uint32_t linear_footprint(struct starpu_task *task)
{
	const struct hetsched_linear_args *args = task->cl_arg;
	uint32_t h = starpu_task_data_footprint(task);

	h = starpu_hash_crc32c_be(args->first, h);
	h = starpu_hash_crc32c_be(args->last, h);
	/* Another precision runs at another speed (F32 + FP32 keeps its key). */
	if (args->dtype != HETSCHED_DTYPE_F32 || args->precision != HETSCHED_PRECISION_FP32) {
		h = starpu_hash_crc32c_be(args->dtype, h);
		h = starpu_hash_crc32c_be(args->precision, h);
	}
	return args->last && args->prog.n ? hetsched__ew_prog_hash(&args->prog, h)
	                                  : starpu_hash_crc32c_be(HETSCHED_ACT_NONE, h);
}

static struct starpu_perfmodel linear_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "hetsched_linear",
    .footprint = linear_footprint,
};

/* The mode of y differs between tasks (W on the first k tile, RW after), and with a fixed number
 * of buffers StarPU 1.3 takes every mode from the codelet (STARPU_TASK_GET_MODE) and even writes
 * a mode passed to starpu_task_insert into the shared codelet. A variable number of buffers makes
 * each task carry its own modes: R, R, R, then W or RW (and R for the epilogue's constants). */
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
