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

/* Depth of the slices of a k tile widened at a time, and rows of the panels of an output tile
 * computed at a time (CPU). */
#define KSLICE 256
#define PANEL 512

static void shape_abort(const char *what, uint32_t kt, uint32_t rows, uint32_t cols)
{
	fprintf(stderr, "%s:%d: linear16: %s tile %u is %ux%u, which does not fit the task\n",
	        __FILE__, __LINE__, what, (unsigned)kt, (unsigned)rows, (unsigned)cols);
	abort();
}

/* One panel of at most PANEL rows of the output tile (rows r0 .. r0 + mp - 1), accumulated in
 * the first mp rows of acc: each k tile in slices of KSLICE columns widened (and rounded) into
 * per-thread FP32 buffers, one sgemm per slice; then bias, epilogue and the rounded store. */
static void linear16_panel(void *buffers[], const struct hetsched_linear16_args *a16, uint32_t r0,
                           uint32_t mp, float *a, size_t lda)
{
	const struct hetsched_linear_args *args = &a16->base;
	const uint32_t nk = a16->nk, dtype = args->dtype, precision = args->precision;
	void *b = buffers[2 * nk], *y = buffers[2 * nk + 1];
	void *vecs = args->prog.nvec ? buffers[2 * nk + 2] : NULL;
	const uint32_t n = STARPU_MATRIX_GET_NX(y);
	const size_t ldb = STARPU_MATRIX_GET_NY(b) > 1 ? STARPU_MATRIX_GET_LD(b) : 0;
	const size_t elem = dtype == HETSCHED_DTYPE_F32 ? 4 : 2;
	const size_t ldy = STARPU_MATRIX_GET_LD(y);

	for (uint32_t kt = 0; kt < nk; kt++) {
		void *xt = buffers[kt], *wt = buffers[nk + kt];
		const uint32_t k = STARPU_MATRIX_GET_NX(xt);
		const size_t ldx = STARPU_MATRIX_GET_LD(xt), ldw = STARPU_MATRIX_GET_LD(wt);
		const char *xp = (const char *)STARPU_MATRIX_GET_PTR(xt) + r0 * ldx * elem;
		const char *wp = (const char *)STARPU_MATRIX_GET_PTR(wt);

		for (uint32_t k0 = 0; k0 < k; k0 += KSLICE) {
			const uint32_t kk = k - k0 < KSLICE ? k - k0 : KSLICE;
			float *xs = hetsched__cpu_scratch(0, (size_t)mp * kk);
			float *ws = hetsched__cpu_scratch(1, (size_t)n * kk);

			hetsched__cpu_widen(xs, kk, xp + k0 * elem, ldx, mp, kk, dtype, precision);
			hetsched__cpu_widen(ws, kk, wp + k0 * elem, ldw, n, kk, dtype, precision);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mp, (int)n,
			            (int)kk, 1.0f, xs, (int)kk, ws, (int)kk,
			            kt == 0 && k0 == 0 ? 0.0f : 1.0f, a, (int)lda);
		}
	}
	/* The bias, widened exactly, row by row (the per-thread buffer holds one bias row). */
	{
		float *brow = hetsched__cpu_scratch(0, n);
		const char *bp = (const char *)STARPU_MATRIX_GET_PTR(b);

		for (uint32_t i = 0; i < mp; i++) {
			if (i == 0 || ldb)
				hetsched__cpu_widen(brow, n, bp + (r0 + i) * ldb * elem, n, 1, n,
				                    dtype, HETSCHED_PRECISION_FP32);
			for (uint32_t j = 0; j < n; j++)
				a[i * lda + j] += brow[j];
		}
	}
	if (args->prog.n)
		hetsched__epilogue_cpu(a, lda, mp, n, &args->prog,
		                       vecs ? (const float *)STARPU_MATRIX_GET_PTR(vecs) : NULL,
		                       vecs ? STARPU_MATRIX_GET_LD(vecs) : 0);
	hetsched__cpu_store((char *)STARPU_MATRIX_GET_PTR(y) + r0 * ldy * elem, ldy, a, lda, mp, n,
	                    dtype);
}

/* CPU: the output tile in panels of PANEL rows, each accumulated in the same first rows of acc,
 * so that the pages of acc, and the per-thread copies, that a worker touches stay few (the rest
 * of acc is never written on a CPU: it costs address space, not memory). OpenBLAS on one
 * thread, as for linear. */
static void linear16_cpu(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear16_args *a16 = cl_arg;
	const uint32_t nk = a16->nk;
	void *b = buffers[2 * nk], *y = buffers[2 * nk + 1];
	void *acc = buffers[2 * nk + 2 + (a16->base.prog.nvec ? 1 : 0)];
	const uint32_t m = STARPU_MATRIX_GET_NY(y), n = STARPU_MATRIX_GET_NX(y);

	if (STARPU_MATRIX_GET_NY(acc) < (m < PANEL ? m : PANEL) || STARPU_MATRIX_GET_NX(acc) < n)
		shape_abort("acc", 0, STARPU_MATRIX_GET_NY(acc), STARPU_MATRIX_GET_NX(acc));
	if (STARPU_MATRIX_GET_NX(b) != n ||
	    (STARPU_MATRIX_GET_NY(b) > 1 && STARPU_MATRIX_GET_NY(b) != m))
		shape_abort("b", 0, STARPU_MATRIX_GET_NY(b), STARPU_MATRIX_GET_NX(b));
	for (uint32_t kt = 0; kt < nk; kt++) {
		void *xt = buffers[kt], *wt = buffers[nk + kt];

		if (STARPU_MATRIX_GET_NY(xt) != m)
			shape_abort("x", kt, STARPU_MATRIX_GET_NY(xt), STARPU_MATRIX_GET_NX(xt));
		if (STARPU_MATRIX_GET_NY(wt) != n ||
		    STARPU_MATRIX_GET_NX(wt) != STARPU_MATRIX_GET_NX(xt))
			shape_abort("w", kt, STARPU_MATRIX_GET_NY(wt), STARPU_MATRIX_GET_NX(wt));
	}
	for (uint32_t r0 = 0; r0 < m; r0 += PANEL)
		linear16_panel(buffers, a16, r0, m - r0 < PANEL ? m - r0 : PANEL,
		               (float *)STARPU_MATRIX_GET_PTR(acc), STARPU_MATRIX_GET_LD(acc));
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
