/* linear16.c: the linear16 codelet, one output tile of a linear layer whose tensors are stored in
 * 16 bits (bf16 or f16), with its CPU kernel (its conversions are in cpu16.c).
 *
 *   acc = sum over kt = 0..K-1, in that order, of x_kt w_kt^T      (FP32 accumulation)
 *   y   = round16(prog(acc + b))
 *
 * Buffers (codelets.h): x_0 .. x_{K-1} (m x k_kt tiles of row tile i of x), w_0 .. w_{K-1}
 * (n x k_kt tiles of row tile j of the weight), b (1 x n, or m x n for a bias per element), y
 * (m x n), [vecs (nvec x n, FP32) when prog.nvec], acc (SCRATCH, FP32, at least m x n, its own
 * ld). All row-major: nx = columns, ny = rows. Inputs are widened exactly, then rounded to the
 * precision when it is bf16 or fp16 and differs from the storage (tf32 has no CPU form: FP32);
 * the bias is not rounded.
 *
 * cblas_sbgemm (OpenBLAS >= 0.3.10 on some builds; not Debian 12's 0.3.21) is not used even when
 * the library found at run time has it: its AVX512-BF16 kernels (VDPBF16PS) add products in pairs
 * and treat denormal inputs and outputs as zero whatever MXCSR says, so its result is not the
 * FP32 accumulation of the widened values that sgemm gives here (and that the CUDA and OpenCL
 * variants compute); no machine here has it to test it either.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "codelets.h"
#include "half.h"
#include "hetsched.h"

static void shape_abort(const char *what, uint32_t kt, uint32_t rows, uint32_t cols)
{
	fprintf(stderr, "%s:%d: linear16: %s tile %u is %ux%u, which does not fit the task\n",
	        __FILE__, __LINE__, what, (unsigned)kt, (unsigned)rows, (unsigned)cols);
	abort();
}

/* CPU: each k tile widened (and rounded) into per-thread FP32 buffers, then one sgemm into acc;
 * OpenBLAS on one thread, as for linear. */
static void linear16_cpu(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear16_args *a16 = cl_arg;
	const struct hetsched_linear_args *args = &a16->base;
	const uint32_t nk = a16->nk, dtype = args->dtype, precision = args->precision;
	void *b = buffers[2 * nk], *y = buffers[2 * nk + 1];
	void *vecs = args->prog.nvec ? buffers[2 * nk + 2] : NULL;
	void *acc = buffers[2 * nk + 2 + (args->prog.nvec ? 1 : 0)];
	const uint32_t m = STARPU_MATRIX_GET_NY(y), n = STARPU_MATRIX_GET_NX(y);
	const size_t lda = STARPU_MATRIX_GET_LD(acc);
	float *a = (float *)STARPU_MATRIX_GET_PTR(acc);
	const size_t ldb = STARPU_MATRIX_GET_NY(b) > 1 ? STARPU_MATRIX_GET_LD(b) : 0;
	const size_t elem = dtype == HETSCHED_DTYPE_F32 ? 4 : 2;

	if (STARPU_MATRIX_GET_NY(acc) < m || STARPU_MATRIX_GET_NX(acc) < n)
		shape_abort("acc", 0, STARPU_MATRIX_GET_NY(acc), STARPU_MATRIX_GET_NX(acc));
	if (STARPU_MATRIX_GET_NX(b) != n || (ldb && STARPU_MATRIX_GET_NY(b) != m))
		shape_abort("b", 0, STARPU_MATRIX_GET_NY(b), STARPU_MATRIX_GET_NX(b));
	for (uint32_t kt = 0; kt < nk; kt++) {
		void *xt = buffers[kt], *wt = buffers[nk + kt];
		const uint32_t k = STARPU_MATRIX_GET_NX(xt);
		float *xs, *ws;

		if (STARPU_MATRIX_GET_NY(xt) != m)
			shape_abort("x", kt, STARPU_MATRIX_GET_NY(xt), k);
		if (STARPU_MATRIX_GET_NY(wt) != n || STARPU_MATRIX_GET_NX(wt) != k)
			shape_abort("w", kt, STARPU_MATRIX_GET_NY(wt), STARPU_MATRIX_GET_NX(wt));
		xs = hetsched__cpu_scratch(0, (size_t)m * k);
		ws = hetsched__cpu_scratch(1, (size_t)n * k);
		hetsched__cpu_widen(xs, k, (const void *)STARPU_MATRIX_GET_PTR(xt),
		                    STARPU_MATRIX_GET_LD(xt), m, k, dtype, precision);
		hetsched__cpu_widen(ws, k, (const void *)STARPU_MATRIX_GET_PTR(wt),
		                    STARPU_MATRIX_GET_LD(wt), n, k, dtype, precision);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f,
		            xs, (int)k, ws, (int)k, kt == 0 ? 0.0f : 1.0f, a, (int)lda);
	}
	/* The bias, widened exactly, row by row (the per-thread buffer holds one bias row). */
	{
		float *brow = hetsched__cpu_scratch(0, n);
		const char *bp = (const char *)STARPU_MATRIX_GET_PTR(b);

		for (uint32_t i = 0; i < m; i++) {
			if (i == 0 || ldb)
				hetsched__cpu_widen(brow, n, bp + i * ldb * elem, n, 1, n, dtype,
				                    HETSCHED_PRECISION_FP32);
			for (uint32_t j = 0; j < n; j++)
				a[i * lda + j] += brow[j];
		}
	}
	if (args->prog.n)
		hetsched__epilogue_cpu(a, lda, m, n, &args->prog,
		                       vecs ? (const float *)STARPU_MATRIX_GET_PTR(vecs) : NULL,
		                       vecs ? STARPU_MATRIX_GET_LD(vecs) : 0);
	hetsched__cpu_store((void *)STARPU_MATRIX_GET_PTR(y), STARPU_MATRIX_GET_LD(y), a, lda, m, n,
	                    dtype);
}

/* The tile shapes of every buffer are in StarPU's footprint; the program, the dtype and the
 * precision change the work. */
static uint32_t linear16_footprint(struct starpu_task *task)
{
	const struct hetsched_linear16_args *args = task->cl_arg;
	uint32_t h = starpu_task_data_footprint(task);

	h = starpu_hash_crc32c_be(args->base.dtype, h);
	h = starpu_hash_crc32c_be(args->base.precision, h);
	return args->base.prog.n ? hetsched__ew_prog_hash(&args->base.prog, h) : h;
}

static struct starpu_perfmodel linear16_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "hetsched_linear16",
    .footprint = linear16_footprint,
};

/* A variable number of buffers (2 K + 3 or 4). The CUDA and OpenCL variants join when their files
 * are built (HETSCHED_LINEAR16_CUDA, HETSCHED_LINEAR16_OPENCL); until then StarPU runs these
 * tasks on CPU workers, and src/ refuses a worker set without any (codelets.h). */
struct starpu_codelet hetsched_cl_linear16 = {
    .name = "linear16",
    .cpu_funcs = {linear16_cpu},
#if defined(STARPU_USE_CUDA) && defined(HETSCHED_HAVE_CUDA_BUILD) && defined(HETSCHED_LINEAR16_CUDA)
    .cuda_funcs = {hetsched__linear16_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
#if defined(HETSCHED_HAVE_OPENCL_BUILD) && defined(HETSCHED_LINEAR16_OPENCL)
    .opencl_funcs = {hetsched__linear16_opencl},
    .opencl_flags = {STARPU_OPENCL_ASYNC},
#endif
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &linear16_model,
};
