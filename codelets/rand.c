/* rand.c: the rand codelet, which fills a tile with uniform or normal random numbers: its CPU and
 * CUDA glue, footprint and performance model. The CPU kernel is in rand_simd.c, the CUDA kernel in
 * rand_cuda.cu, the OpenCL one in rand.cl (glue: rand_opencl.c).
 *
 * Element (r, c) of the tile, at ptr[r * ld + c] (nx = columns, contiguous; ny = rows), is global
 * element (row0 + r, col0 + c) and takes the value philox.h defines for it: a function of (seed,
 * stream, global row, global column) alone, so tiling and device do not change the tensor.
 */
#include "config.h"

#include "codelets.h"
#include "half.h"
#include "hetsched.h"
#include "philox.h"
#include "rand_simd.h"

#ifdef HETSCHED_HAVE_OPENCL_BUILD
#include "opencl_programs.h"
#endif
#if defined(STARPU_USE_CUDA) && defined(HETSCHED_HAVE_CUDA_BUILD)
#define RAND_WITH_CUDA 1
#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "cuda_kernels.h"
#endif

/* philox.h cannot see hetsched.h (it is also OpenCL C): keep its distribution numbers in step. */
_Static_assert(HETSCHED__DIST_UNIFORM == HETSCHED_DIST_UNIFORM, "uniform");
_Static_assert(HETSCHED__DIST_NORMAL == HETSCHED_DIST_NORMAL, "normal");

/* Columns of a 16-bit tile computed in FP32 at a time (on the stack), then stored rounded. */
#define RAND16_CHUNK 1024

/* 16-bit storage: each element's FP32 value exactly as for an FP32 tile (the values depend only
 * on the global index, so chunks of a row give the same values), stored rounded to nearest
 * even (half.h). */
static void rand_cpu16(uint16_t *ptr, uint32_t nx, uint32_t ny, uint32_t ld,
                       const struct hetsched_rand_args *args)
{
	struct hetsched_rand_args chunk = *args;
	float tmp[RAND16_CHUNK];

	for (uint32_t r = 0; r < ny; r++)
		for (uint32_t c0 = 0; c0 < nx; c0 += RAND16_CHUNK) {
			uint32_t n = nx - c0 < RAND16_CHUNK ? nx - c0 : RAND16_CHUNK;
			uint16_t *dst = ptr + (size_t)r * ld + c0;

			chunk.row0 = args->row0 + r;
			chunk.col0 = args->col0 + c0;
			hetsched__rand_cpu_fill(tmp, n, 1, n, &chunk);
			if (args->dtype == HETSCHED_DTYPE_BF16)
				for (uint32_t c = 0; c < n; c++)
					dst[c] = hetsched__bf16_from_f32(tmp[c]);
			else
				for (uint32_t c = 0; c < n; c++)
					dst[c] = hetsched__f16_from_f32(tmp[c]);
		}
}

static void rand_cpu(void *buffers[], void *cl_arg)
{
	const struct hetsched_rand_args *args = cl_arg;

	if (args->dtype != HETSCHED_DTYPE_F32) {
		rand_cpu16((uint16_t *)STARPU_MATRIX_GET_PTR(buffers[0]),
		           STARPU_MATRIX_GET_NX(buffers[0]), STARPU_MATRIX_GET_NY(buffers[0]),
		           STARPU_MATRIX_GET_LD(buffers[0]), args);
		return;
	}
	hetsched__rand_cpu_fill((float *)STARPU_MATRIX_GET_PTR(buffers[0]),
	                        STARPU_MATRIX_GET_NX(buffers[0]), STARPU_MATRIX_GET_NY(buffers[0]),
	                        STARPU_MATRIX_GET_LD(buffers[0]), args);
}

#ifdef RAND_WITH_CUDA
/* CUDA: the kernel is queued on the worker's stream; StarPU waits for it (STARPU_CUDA_ASYNC). */
static void rand_cuda(void *buffers[], void *cl_arg)
{
	const struct hetsched_rand_args *args = cl_arg;

	hetsched__rand_cuda_launch(
	    (float *)STARPU_MATRIX_GET_PTR(buffers[0]), STARPU_MATRIX_GET_NX(buffers[0]),
	    STARPU_MATRIX_GET_NY(buffers[0]), STARPU_MATRIX_GET_LD(buffers[0]), args->seed,
	    args->stream, args->dist, args->a, args->b, args->row0, args->col0,
	    starpu_cuda_get_local_stream());
}
#endif

/* Tasks of one tile shape take the same time per distribution, but normal costs about twenty
 * times uniform on a CPU: the distribution is part of the footprint. */
static uint32_t rand_footprint(struct starpu_task *task)
{
	const struct hetsched_rand_args *args = task->cl_arg;
	uint32_t h = starpu_hash_crc32c_be(args->dist, starpu_task_data_footprint(task));

	/* 16-bit storage converts every element too (F32 keeps the key it always had). */
	return args->dtype == HETSCHED_DTYPE_F32 ? h : starpu_hash_crc32c_be(args->dtype, h);
}

static struct starpu_perfmodel rand_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "hetsched_rand",
    .footprint = rand_footprint,
};

struct starpu_codelet hetsched_cl_rand = {
    .name = "rand",
    .cpu_funcs = {rand_cpu},
#ifdef RAND_WITH_CUDA
    .cuda_funcs = {rand_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
#ifdef HETSCHED_HAVE_OPENCL_BUILD
    .opencl_funcs = {hetsched__rand_opencl},
    .opencl_flags = {STARPU_OPENCL_ASYNC},
#endif
    .nbuffers = 1,
    .modes = {STARPU_W},
    .model = &rand_model,
};
