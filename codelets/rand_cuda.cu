/* rand_cuda.cu: the CUDA kernel of the rand codelet and its launcher (glue in rand.c).
 *
 * Fills a tile of ny rows and nx columns, row-major with leading dimension ld: element (r, c) at
 * ptr[r * ld + c] is global element (row0 + r, col0 + c), uniform [a, b) or normal(a, b) as
 * philox.h defines it (uniform bit-identical to the CPU: __fmul_rn/__fadd_rn, no contraction).
 * Grid: x runs over the counter blocks that meet a row (4 elements each, the first one partly
 * before the tile when col0 % 4 != 0), y over rows (grid-stride beyond 65535 rows).
 */
#include <stdint.h>

#include "cuda_kernels.h"
#include "status_check.h"
#include "philox.h"

static __global__ void rand_kernel(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld, uint64_t seed,
                                   uint32_t stream_id, uint32_t dist, float a, float b,
                                   uint64_t row0, uint64_t col0)
{
	const uint32_t skip = (uint32_t)(col0 & 3u);
	const uint32_t nblocks = (skip + nx + 3u) / 4u;
	const uint32_t block = blockIdx.x * blockDim.x + threadIdx.x;
	uint32_t r;

	if (block >= nblocks)
		return;
	for (r = blockIdx.y; r < ny; r += gridDim.y) {
		hetsched__philox4_t words =
		    hetsched__philox_block(seed, stream_id, row0 + r, ((col0 >> 2) + block) << 2);
		float *row = ptr + (size_t)r * ld;
		float v[4];
		uint32_t j;

		hetsched__rand_group4(words, dist, a, b, v);
		for (j = 0; j < 4u; j++) {
			/* Column of the tile: block * 4 + j - skip, kept only inside [0, nx). */
			uint32_t c = block * 4u + j;

			if (c >= skip && c - skip < nx)
				row[c - skip] = v[j];
		}
	}
}

extern "C" void hetsched__rand_cuda_launch(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld,
                                           uint64_t seed, uint32_t stream_id, uint32_t dist,
                                           float a, float b, uint64_t row0, uint64_t col0,
                                           cudaStream_t stream)
{
	const unsigned threads = 128;
	const uint32_t nblocks = (uint32_t)(((col0 & 3u) + nx + 3u) / 4u);
	dim3 grid((nblocks + threads - 1) / threads, ny < 65535u ? ny : 65535u);

	if (nx == 0 || ny == 0)
		return;
	rand_kernel<<<grid, threads, 0, stream>>>(ptr, nx, ny, ld, seed, stream_id, dist, a, b,
	                                          row0, col0);
	HETSCHED_CUDA_CHECK_LAUNCH();
}
