/* epilogue.c: the epilogue codelet, an element-wise program (epilogue.h) applied to a tile on
 * its own, when no linear layer comes right before it (at the model's start, after a softmax):
 * its CPU kernel, which the linear codelet's CPU variant also calls, and its CUDA glue. The CUDA
 * kernel is in epilogue_cuda.cu, the OpenCL one in epilogue.cl (glue: epilogue_opencl.c).
 *
 *   y[i][j] = prog(y[i][j]; vecs[0..nvec)[j])   for a row-major m x n tile y (ld ldy)
 *
 * Buffers: y (RW), and vecs (nvec x n, R) when the program reads per-column constants.
 */
#include "config.h"

#include "codelets.h"
#include "hetsched.h"

#ifdef HETSCHED_HAVE_OPENCL_BUILD
#include "opencl_programs.h"
#endif
#if defined(STARPU_USE_CUDA) && defined(HETSCHED_HAVE_CUDA_BUILD)
#define EPILOGUE_WITH_CUDA 1
#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "cuda_kernels.h"
#endif

void hetsched__epilogue_cpu(float *y, size_t ldy, size_t m, size_t n,
                            const struct hetsched_ew_prog *prog, const float *vecs, size_t ldv)
{
	float vec[HETSCHED_EW_MAX_VECS] = {0};

	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++) {
			for (uint32_t v = 0; v < prog->nvec; v++)
				vec[v] = vecs[v * ldv + j];
			y[i * ldy + j] = hetsched__ew_run(prog->code, prog->p0, prog->p1, prog->n,
			                                  y[i * ldy + j], vec);
		}
}

uint32_t hetsched__ew_prog_hash(const struct hetsched_ew_prog *prog, uint32_t h)
{
	h = starpu_hash_crc32c_be(prog->n, h);
	for (uint32_t i = 0; i < prog->n && i < HETSCHED_EW_MAX_INSNS; i++)
		h = starpu_hash_crc32c_be(prog->code[i], h);
	return h;
}

static void epilogue_cpu(void *buffers[], void *cl_arg)
{
	const struct hetsched_ew_args *args = cl_arg;

	/* 16-bit storage: widened into a per-thread FP32 copy, computed, stored rounded. */
	if (args->dtype != HETSCHED_DTYPE_F32) {
		const size_t m = STARPU_MATRIX_GET_NY(buffers[0]),
		             n = STARPU_MATRIX_GET_NX(buffers[0]);
		const size_t ld = STARPU_MATRIX_GET_LD(buffers[0]);
		void *y = (void *)STARPU_MATRIX_GET_PTR(buffers[0]);
		float *f = hetsched__cpu_scratch(0, m * n);

		hetsched__cpu_widen(f, n, y, ld, m, n, args->dtype, HETSCHED_PRECISION_FP32);
		hetsched__epilogue_cpu(
		    f, n, m, n, &args->prog,
		    args->prog.nvec ? (const float *)STARPU_MATRIX_GET_PTR(buffers[1]) : NULL,
		    args->prog.nvec ? STARPU_MATRIX_GET_LD(buffers[1]) : 0);
		hetsched__cpu_store(y, ld, f, n, m, n, args->dtype);
		return;
	}
	hetsched__epilogue_cpu(
	    (float *)STARPU_MATRIX_GET_PTR(buffers[0]), STARPU_MATRIX_GET_LD(buffers[0]),
	    STARPU_MATRIX_GET_NY(buffers[0]), STARPU_MATRIX_GET_NX(buffers[0]), &args->prog,
	    args->prog.nvec ? (const float *)STARPU_MATRIX_GET_PTR(buffers[1]) : NULL,
	    args->prog.nvec ? STARPU_MATRIX_GET_LD(buffers[1]) : 0);
}

#ifdef EPILOGUE_WITH_CUDA
static void epilogue_cuda(void *buffers[], void *cl_arg)
{
	const struct hetsched_ew_args *args = cl_arg;

	hetsched__epilogue_cuda_launch(
	    (float *)STARPU_MATRIX_GET_PTR(buffers[0]), STARPU_MATRIX_GET_NY(buffers[0]),
	    STARPU_MATRIX_GET_NX(buffers[0]), STARPU_MATRIX_GET_LD(buffers[0]),
	    args->prog.nvec ? (const float *)STARPU_MATRIX_GET_PTR(buffers[1]) : NULL,
	    args->prog.nvec ? STARPU_MATRIX_GET_LD(buffers[1]) : 0, &args->prog,
	    starpu_cuda_get_local_stream());
}
#endif

/* Tiles of one shape cost what their program costs: the program is in the footprint. */
static uint32_t epilogue_footprint(struct starpu_task *task)
{
	const struct hetsched_ew_args *args = task->cl_arg;
	uint32_t h = starpu_task_data_footprint(task);

	if (args->dtype != HETSCHED_DTYPE_F32)
		h = starpu_hash_crc32c_be(args->dtype, h);
	return hetsched__ew_prog_hash(&args->prog, h);
}

static struct starpu_perfmodel epilogue_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "hetsched_epilogue",
    .footprint = epilogue_footprint,
};

/* One or two buffers (the constants only when the program reads some): variable. */
struct starpu_codelet hetsched_cl_epilogue = {
    .name = "epilogue",
    .cpu_funcs = {epilogue_cpu},
#ifdef EPILOGUE_WITH_CUDA
    .cuda_funcs = {epilogue_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
#ifdef HETSCHED_HAVE_OPENCL_BUILD
    .opencl_funcs = {hetsched__epilogue_opencl},
    .opencl_flags = {STARPU_OPENCL_ASYNC},
#endif
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &epilogue_model,
};
