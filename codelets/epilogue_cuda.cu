/* epilogue_cuda.cu: the CUDA kernel of the epilogue (epilogue.h), for the epilogue codelet and
 * for the linear codelet's last k tile. Tiles are row-major, m rows x n columns, leading
 * dimension ldy; vecs (nvec x n, ldv) are the per-column constants.
 *   y[i][j] = prog(y[i][j]; vecs[0..nvec)[j])
 * Grid: x over columns (coalesced), y over rows (grid-stride beyond the grid's limit). The
 * program travels by value, as a kernel argument.
 */
#include <stdint.h>

#include "cuda_kernels.h"
#include "status_check.h"

#define TILE_X 32
#define TILE_Y 8

static __global__ void epilogue_kernel(float *y, uint32_t m, uint32_t n, uint32_t ldy,
                                       const float *vecs, uint32_t ldv,
                                       struct hetsched_ew_prog prog)
{
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;
	float vec[HETSCHED_EW_MAX_VECS] = {0.0f, 0.0f, 0.0f, 0.0f};
	uint32_t i, v;

	if (j >= n)
		return;
	for (v = 0; v < prog.nvec && v < HETSCHED_EW_MAX_VECS; v++)
		vec[v] = vecs[(size_t)v * ldv + j];
	for (i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y) {
		float *yij = y + (size_t)i * ldy + j;

		*yij = hetsched__ew_run(prog.code, prog.p0, prog.p1, prog.n, *yij, vec);
	}
}

extern "C" void hetsched__epilogue_cuda_launch(float *y, uint32_t m, uint32_t n, uint32_t ldy,
                                               const float *vecs, uint32_t ldv,
                                               const struct hetsched_ew_prog *prog,
                                               cudaStream_t stream)
{
	uint32_t rows = (m + TILE_Y - 1) / TILE_Y;
	dim3 grid((n + TILE_X - 1) / TILE_X, rows < 65535u ? rows : 65535u);

	if (m == 0 || n == 0)
		return;
	epilogue_kernel<<<grid, dim3(TILE_X, TILE_Y), 0, stream>>>(y, m, n, ldy, vecs, ldv, *prog);
	HETSCHED_CUDA_CHECK_LAUNCH();
}
