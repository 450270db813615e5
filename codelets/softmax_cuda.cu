/* softmax_cuda.cu: the CUDA kernels of the softmax codelet (softmax.c), one phase over one column
 * tile y (m x n, row-major, ldy) of a row tile; scratch (2 m floats) carries the row maxima and
 * sums from tile to tile:
 *   phase 0 (max):  s[i] = max(first ? -inf : s[i], max_j y[i][j])
 *   phase 1 (sum):  s[m + i] = (first ? 0 : s[m + i]) + sum_j exp(y[i][j] - s[i])
 *   phase 2 (norm): y[i][j] = exp(y[i][j] - s[i]) / s[m + i], or y[i][j] - s[i] - log(s[m + i])
 * y is of the tile's dtype (half_cuda.h): read exactly into FP32, and in phase 2 stored rounded
 * to nearest even; s is FP32. Phases 0 and 1: one block of 256 threads per row, reduced in shared
 * memory; phase 2: one thread per element.
 */
#include <math.h>
#include <stdint.h>

#include "cuda_kernels.h"
#include "half_cuda.h"
#include "status_check.h"

#define REDUCE_THREADS 256
#define TILE_X 32
#define TILE_Y 8

template <unsigned D>
static __global__ void softmax_reduce_kernel(const void *y, uint32_t m, uint32_t n, uint32_t ldy,
                                             float *s, uint32_t phase, uint32_t first)
{
	typedef hetsched__elem<D> E;
	__shared__ float part[REDUCE_THREADS];
	uint32_t i, j, t = threadIdx.x, step;

	for (i = blockIdx.x; i < m; i += gridDim.x) {
		const typename E::type *row = (const typename E::type *)y + (size_t)i * ldy;
		float acc = phase == 0 ? -INFINITY : 0.0f, mx = s[i];

		for (j = t; j < n; j += REDUCE_THREADS)
			acc = phase == 0 ? fmaxf(acc, E::load(row + j))
			                 : acc + expf(E::load(row + j) - mx);
		part[t] = acc;
		__syncthreads();
		for (step = REDUCE_THREADS / 2; step > 0; step /= 2) {
			if (t < step)
				part[t] = phase == 0 ? fmaxf(part[t], part[t + step])
				                     : part[t] + part[t + step];
			__syncthreads();
		}
		if (t == 0) {
			/* fmaxf drops a NaN, but phase 1 then adds exp(NaN - max): the row
			 * becomes NaN, as in PyTorch. */
			if (phase == 0)
				s[i] = first ? part[0] : fmaxf(s[i], part[0]);
			else
				s[m + i] = first ? part[0] : s[m + i] + part[0];
		}
		__syncthreads();
	}
}

template <unsigned D>
static __global__ void softmax_norm_kernel(void *y, uint32_t m, uint32_t n, uint32_t ldy,
                                           const float *s, uint32_t log)
{
	typedef hetsched__elem<D> E;
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;
	uint32_t i;

	if (j >= n)
		return;
	for (i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y) {
		typename E::type *yij = (typename E::type *)y + (size_t)i * ldy + j;
		const float v = E::load(yij);

		E::store(yij, log ? v - s[i] - logf(s[m + i]) : expf(v - s[i]) / s[m + i]);
	}
}

template <unsigned D>
static void softmax_launch(void *y, uint32_t m, uint32_t n, uint32_t ldy, float *scratch,
                           uint32_t phase, uint32_t first, uint32_t log, cudaStream_t stream)
{
	if (phase < 2) {
		uint32_t blocks = m < 65535u ? m : 65535u;

		softmax_reduce_kernel<D>
		    <<<blocks, REDUCE_THREADS, 0, stream>>>(y, m, n, ldy, scratch, phase, first);
	} else {
		uint32_t rows = (m + TILE_Y - 1) / TILE_Y;
		dim3 grid((n + TILE_X - 1) / TILE_X, rows < 65535u ? rows : 65535u);

		softmax_norm_kernel<D>
		    <<<grid, dim3(TILE_X, TILE_Y), 0, stream>>>(y, m, n, ldy, scratch, log);
	}
	HETSCHED_CUDA_CHECK_LAUNCH();
}

extern "C" void hetsched__softmax_cuda_launch(void *y, uint32_t dtype, uint32_t m, uint32_t n,
                                              uint32_t ldy, float *scratch, uint32_t phase,
                                              uint32_t first, uint32_t log, cudaStream_t stream)
{
	if (m == 0 || n == 0)
		return;
	switch (dtype) {
	case HETSCHED__CUDA_F32:
		softmax_launch<HETSCHED__CUDA_F32>(y, m, n, ldy, scratch, phase, first, log,
		                                   stream);
		break;
	case HETSCHED__CUDA_BF16:
		softmax_launch<HETSCHED__CUDA_BF16>(y, m, n, ldy, scratch, phase, first, log,
		                                    stream);
		break;
	case HETSCHED__CUDA_F16:
		softmax_launch<HETSCHED__CUDA_F16>(y, m, n, ldy, scratch, phase, first, log,
		                                   stream);
		break;
	default:
		fprintf(stderr, "%s:%d: softmax: unsupported dtype %u\n", __FILE__, __LINE__,
		        dtype);
		abort();
	}
}
