/* softmax.c: the softmax codelet, softmax or log-softmax along the rows of a row tile whose
 * columns are split into t tiles (nn.Softmax(dim=-1), nn.LogSoftmax(dim=-1)): its CPU kernel and
 * CUDA glue (kernels: softmax_cuda.cu); OpenCL in softmax.cl (glue: softmax_opencl.c).
 *
 *   y[i][j] = exp(y[i][j] - max_i) / sum_j' exp(y[i][j'] - max_i)       (softmax)
 *   y[i][j] = y[i][j] - max_i - log(sum_j' exp(y[i][j'] - max_i))      (log-softmax)
 *
 * Buffers: scratch (a vector of 2 m floats, STARPU_SCRATCH: the row maxima and sums carried from
 * one column tile to the next on devices), then the column tiles y_0 .. y_{t-1} of the row tile,
 * each m rows (row-major, own ld), RW. Three passes over the tiles: maxima, sums, values.
 */
#include "config.h"

#include <math.h>

#include "codelets.h"
#include "hetsched.h"

#ifdef HETSCHED_HAVE_OPENCL_BUILD
#include "opencl_programs.h"
#endif
#if defined(STARPU_USE_CUDA) && defined(HETSCHED_HAVE_CUDA_BUILD)
#define SOFTMAX_WITH_CUDA 1
#define HETSCHED_STATUS_CUDA 1
#include "status_check.h"
#include "cuda_kernels.h"
#endif

/* 16-bit storage: each row of the row tile (every column tile) widened into a per-thread FP32
 * row, computed as below, stored rounded to nearest even. */
static void softmax_cpu16(void *buffers[], const struct hetsched_softmax_args *args,
                          unsigned ntiles, size_t m)
{
	size_t cols = 0;
	float *row;

	for (unsigned t = 0; t < ntiles; t++)
		cols += STARPU_MATRIX_GET_NX(buffers[t + 1]);
	row = hetsched__cpu_scratch(0, cols);
	for (size_t i = 0; i < m; i++) {
		float mx = -INFINITY;
		double sum = 0;
		float lse;
		size_t c = 0;

		for (unsigned t = 0; t < ntiles; t++) {
			const size_t n = STARPU_MATRIX_GET_NX(buffers[t + 1]);

			hetsched__cpu_widen(
			    row + c, n,
			    (const uint16_t *)STARPU_MATRIX_GET_PTR(buffers[t + 1]) +
			        i * STARPU_MATRIX_GET_LD(buffers[t + 1]),
			    n, 1, n, args->dtype, HETSCHED_PRECISION_FP32);
			c += n;
		}
		for (c = 0; c < cols; c++)
			mx = row[c] > mx ? row[c] : mx;
		for (c = 0; c < cols; c++)
			sum += expf(row[c] - mx);
		lse = (float)log(sum);
		for (c = 0; c < cols; c++)
			row[c] = args->log ? row[c] - mx - lse : (float)(expf(row[c] - mx) / sum);
		c = 0;
		for (unsigned t = 0; t < ntiles; t++) {
			const size_t n = STARPU_MATRIX_GET_NX(buffers[t + 1]);

			hetsched__cpu_store((uint16_t *)STARPU_MATRIX_GET_PTR(buffers[t + 1]) +
			                        i * STARPU_MATRIX_GET_LD(buffers[t + 1]),
			                    n, row + c, n, 1, n, args->dtype);
			c += n;
		}
	}
}

/* CPU: row by row across the tiles; the sum is kept in double (one row may be very wide). */
static void softmax_cpu(void *buffers[], void *cl_arg)
{
	const struct hetsched_softmax_args *args = cl_arg;
	const unsigned ntiles = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1;
	const size_t m = STARPU_MATRIX_GET_NY(buffers[1]);

	if (args->dtype != HETSCHED_DTYPE_F32) {
		softmax_cpu16(buffers, args, ntiles, m);
		return;
	}

	for (size_t i = 0; i < m; i++) {
		float mx = -INFINITY;
		double sum = 0;
		float lse;

		for (unsigned t = 0; t < ntiles; t++) {
			const float *row = (const float *)STARPU_MATRIX_GET_PTR(buffers[t + 1]) +
			                   i * STARPU_MATRIX_GET_LD(buffers[t + 1]);

			for (size_t j = 0; j < STARPU_MATRIX_GET_NX(buffers[t + 1]); j++)
				mx = row[j] > mx ? row[j] : mx;
		}
		for (unsigned t = 0; t < ntiles; t++) {
			const float *row = (const float *)STARPU_MATRIX_GET_PTR(buffers[t + 1]) +
			                   i * STARPU_MATRIX_GET_LD(buffers[t + 1]);

			for (size_t j = 0; j < STARPU_MATRIX_GET_NX(buffers[t + 1]); j++)
				sum += expf(row[j] - mx);
		}
		lse = (float)log(sum);
		for (unsigned t = 0; t < ntiles; t++) {
			float *row = (float *)STARPU_MATRIX_GET_PTR(buffers[t + 1]) +
			             i * STARPU_MATRIX_GET_LD(buffers[t + 1]);

			for (size_t j = 0; j < STARPU_MATRIX_GET_NX(buffers[t + 1]); j++)
				row[j] = args->log ? row[j] - mx - lse
				                   : (float)(expf(row[j] - mx) / sum);
		}
	}
}

#ifdef SOFTMAX_WITH_CUDA
/* CUDA: the three phases tile after tile on the worker's stream, the scratch carrying the row
 * maxima and sums (STARPU_CUDA_ASYNC: nothing waits here). */
static void softmax_cuda(void *buffers[], void *cl_arg)
{
	const struct hetsched_softmax_args *args = cl_arg;
	const unsigned ntiles = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1;
	float *scratch = (float *)STARPU_VECTOR_GET_PTR(buffers[0]);
	cudaStream_t stream = starpu_cuda_get_local_stream();

	for (uint32_t phase = 0; phase < 3; phase++)
		for (unsigned t = 0; t < ntiles; t++)
			hetsched__softmax_cuda_launch(
			    (float *)STARPU_MATRIX_GET_PTR(buffers[t + 1]),
			    STARPU_MATRIX_GET_NY(buffers[t + 1]),
			    STARPU_MATRIX_GET_NX(buffers[t + 1]),
			    STARPU_MATRIX_GET_LD(buffers[t + 1]), scratch, phase, t == 0, args->log,
			    stream);
}
#endif

static uint32_t softmax_footprint(struct starpu_task *task)
{
	const struct hetsched_softmax_args *args = task->cl_arg;

	uint32_t h = starpu_hash_crc32c_be(args->log, starpu_task_data_footprint(task));

	return args->dtype == HETSCHED_DTYPE_F32 ? h : starpu_hash_crc32c_be(args->dtype, h);
}

static struct starpu_perfmodel softmax_model = {
    .type = STARPU_HISTORY_BASED,
    .symbol = "hetsched_softmax",
    .footprint = softmax_footprint,
};

/* As many buffers as the row has column tiles, plus the scratch: variable. */
struct starpu_codelet hetsched_cl_softmax = {
    .name = "softmax",
    .cpu_funcs = {softmax_cpu},
#ifdef SOFTMAX_WITH_CUDA
    .cuda_funcs = {softmax_cuda},
    .cuda_flags = {STARPU_CUDA_ASYNC},
#endif
#ifdef HETSCHED_HAVE_OPENCL_BUILD
    .opencl_funcs = {hetsched__softmax_opencl},
    .opencl_flags = {STARPU_OPENCL_ASYNC},
#endif
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &softmax_model,
};
