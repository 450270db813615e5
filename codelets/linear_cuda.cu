/* linear_cuda.cu: the element-wise kernels of the linear codelet's CUDA variant (the product is
 * cuBLAS, called from linear.c). Tiles are row-major, m rows x n columns, leading dimension ldy.
 *   bias:  y[i][j] = b[j]             (before the product, on the first k tile)
 *   relu:  y[i][j] = max(y[i][j], 0)  (after it, on the last k tile)
 * Grid: x over columns (coalesced), y over rows (grid-stride beyond the grid's limit).
 */
#include <stdint.h>

#include "cuda_kernels.h"
#include "status_check.h"

#define TILE_X 32
#define TILE_Y 8

static __global__ void bias_rows_kernel(float *y, const float *b, uint32_t m, uint32_t n,
                                        uint32_t ldy)
{
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;
	uint32_t i;

	if (j >= n)
		return;
	for (i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y)
		y[(size_t)i * ldy + j] = b[j];
}

static __global__ void relu_kernel(float *y, uint32_t m, uint32_t n, uint32_t ldy)
{
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;
	uint32_t i;

	if (j >= n)
		return;
	for (i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y) {
		float v = y[(size_t)i * ldy + j];

		y[(size_t)i * ldy + j] = v < 0.0f ? 0.0f : v;
	}
}

static dim3 elementwise_grid(uint32_t m, uint32_t n)
{
	uint32_t rows = (m + TILE_Y - 1) / TILE_Y;

	return dim3((n + TILE_X - 1) / TILE_X, rows < 65535u ? rows : 65535u);
}

extern "C" void hetsched__bias_rows_cuda_launch(float *y, const float *b, uint32_t m, uint32_t n,
                                                uint32_t ldy, cudaStream_t stream)
{
	if (m == 0 || n == 0)
		return;
	bias_rows_kernel<<<elementwise_grid(m, n), dim3(TILE_X, TILE_Y), 0, stream>>>(y, b, m, n,
	                                                                              ldy);
	HETSCHED_CUDA_CHECK_LAUNCH();
}

extern "C" void hetsched__relu_cuda_launch(float *y, uint32_t m, uint32_t n, uint32_t ldy,
                                           cudaStream_t stream)
{
	if (m == 0 || n == 0)
		return;
	relu_kernel<<<elementwise_grid(m, n), dim3(TILE_X, TILE_Y), 0, stream>>>(y, m, n, ldy);
	HETSCHED_CUDA_CHECK_LAUNCH();
}
