/* rand_cuda.cu: the CUDA kernel of the rand codelet and its launcher (glue in rand.c).
 *
 * Fills a tile of ny rows and nx columns, row-major with leading dimension ld: element (r, c) at
 * ptr[r * ld + c] is global element (row0 + r, col0 + c), uniform [a, b) or normal(a, b) as
 * philox.h defines it, with philox.h's own functions (hetsched__uniform: __fmul_rn/__fadd_rn, no
 * contraction, so uniform is bit-identical to the CPU; hetsched__box_muller and
 * hetsched__normal: double precision). 16-bit tiles store that FP32 value rounded to nearest
 * even (half_cuda.h: the bits of half.h).
 *
 * Work: one Philox call per counter block, that is per 4 outputs. A row of the tile meets
 * nblocks = ceil(((col0 & 3) + nx) / 4) counter blocks; the first one starts (col0 & 3) columns
 * before the tile and the last one may end after it: those (head and tail) are stored element
 * by element, every block in between with one 16-byte (FP32) or 8-byte (16-bit) store when its
 * address is aligned (a warp then writes 512 or 256 contiguous bytes per instruction). Threads
 * run over blocks (x) and rows (y) in grid-stride loops; the grid is one wave of resident blocks
 * (occupancy times SMs), so each thread does many blocks and nothing is divided per element.
 */
#include <stdint.h>

#include "cuda_kernels.h"
#include "half_cuda.h"
#include "philox.h"
#include "status_check.h"

#define RAND_THREADS 256

/* The four values of one counter block; \p below is hetsched__below(b, a) (uniform only). */
template <uint32_t DIST>
static __device__ __forceinline__ void rand_values(hetsched__philox4_t w, float a, float b,
                                                   float below, float v[4])
{
	if constexpr (DIST == HETSCHED__DIST_NORMAL) {
		hetsched__real z0, z1, z2, z3;

		hetsched__box_muller(w.v[0], w.v[1], &z0, &z1);
		hetsched__box_muller(w.v[2], w.v[3], &z2, &z3);
		v[0] = hetsched__normal(z0, a, b);
		v[1] = hetsched__normal(z1, a, b);
		v[2] = hetsched__normal(z2, a, b);
		v[3] = hetsched__normal(z3, a, b);
	} else {
		for (int j = 0; j < 4; j++)
			v[j] = hetsched__uniform(w.v[j], a, b, below);
	}
}

template <uint32_t DIST, unsigned D>
static __global__ void __launch_bounds__(RAND_THREADS)
    rand_kernel(void *out, uint32_t nx, uint32_t ny, uint32_t ld, uint64_t seed, uint32_t stream_id,
                float a, float b, uint64_t row0, uint64_t col0)
{
	typedef typename hetsched__elem<D>::type T;
	const uint32_t skip = (uint32_t)(col0 & 3u);
	const uint32_t nblocks = (skip + nx + 3u) / 4u;
	/* Counter word 0 of block i: (u32)((col0 >> 2) + i), which wraps as philox_block does. */
	const uint32_t g0 = (uint32_t)(col0 >> 2);
	const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
	const float below = DIST == HETSCHED__DIST_NORMAL ? 0.0f : hetsched__below(b, a);

	for (uint32_t r = blockIdx.y * blockDim.y + threadIdx.y; r < ny;
	     r += gridDim.y * blockDim.y) {
		T *row = (T *)out + (size_t)r * ld;
		const uint64_t grow = row0 + r;

		for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < nblocks;
		     i += gridDim.x * blockDim.x) {
			hetsched__philox4_t ctr;
			float v[4];
			/* Tile column of the block's first element (negative in the head). */
			const int64_t c = (int64_t)i * 4 - skip;

			ctr.v[0] = g0 + i;
			ctr.v[1] = (uint32_t)grow;
			ctr.v[2] = (uint32_t)(grow >> 32);
			ctr.v[3] = stream_id;
			rand_values<DIST>(hetsched__philox4x32_10(ctr, k0, k1), a, b, below, v);
			if (c >= 0 && c + 4 <= (int64_t)nx) {
				hetsched__store4<D>(row + c, v);
			} else {
				for (int j = 0; j < 4; j++)
					if (c + j >= 0 && c + j < (int64_t)nx)
						hetsched__elem<D>::store(row + c + j, v[j]);
			}
		}
	}
}

/* Block shape: x a power of two from 32 to RAND_THREADS covering a row's counter blocks when it
 * can (narrow tiles put several rows in one thread block), y the rest. Grid: one wave. */
template <uint32_t DIST, unsigned D>
static void rand_launch(void *ptr, uint32_t nx, uint32_t ny, uint32_t ld, uint64_t seed,
                        uint32_t stream_id, float a, float b, uint64_t row0, uint64_t col0,
                        cudaStream_t stream)
{
	const uint32_t nblocks = (uint32_t)(((col0 & 3u) + nx + 3u) / 4u);
	uint32_t tx = 32, ty, gx, gy, wave;
	int device, sms = 1, per_sm = 1;

	while (tx < RAND_THREADS && tx < nblocks)
		tx *= 2;
	ty = RAND_THREADS / tx;
	HETSCHED_CUDA_CHECK(cudaGetDevice(&device));
	HETSCHED_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
	HETSCHED_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
	    &per_sm, rand_kernel<DIST, D>, RAND_THREADS, 0));
	wave = (uint32_t)(sms > 0 ? sms : 1) * (uint32_t)(per_sm > 0 ? per_sm : 1);
	gx = (nblocks + tx - 1) / tx;
	gx = gx < wave ? gx : wave;
	gy = (ny + ty - 1) / ty;
	gy = gy < (wave + gx - 1) / gx ? gy : (wave + gx - 1) / gx;
	gy = gy < 65535u ? gy : 65535u;
	rand_kernel<DIST, D><<<dim3(gx, gy), dim3(tx, ty), 0, stream>>>(
	    ptr, nx, ny, ld, seed, stream_id, a, b, row0, col0);
	HETSCHED_CUDA_CHECK_LAUNCH();
}

template <uint32_t DIST>
static void rand_launch_dtype(void *ptr, uint32_t dtype, uint32_t nx, uint32_t ny, uint32_t ld,
                              uint64_t seed, uint32_t stream_id, float a, float b, uint64_t row0,
                              uint64_t col0, cudaStream_t stream)
{
	switch (dtype) {
	case HETSCHED__CUDA_F32:
		rand_launch<DIST, HETSCHED__CUDA_F32>(ptr, nx, ny, ld, seed, stream_id, a, b, row0,
		                                      col0, stream);
		break;
	case HETSCHED__CUDA_BF16:
		rand_launch<DIST, HETSCHED__CUDA_BF16>(ptr, nx, ny, ld, seed, stream_id, a, b, row0,
		                                       col0, stream);
		break;
	case HETSCHED__CUDA_F16:
		rand_launch<DIST, HETSCHED__CUDA_F16>(ptr, nx, ny, ld, seed, stream_id, a, b, row0,
		                                      col0, stream);
		break;
	default:
		fprintf(stderr, "%s:%d: rand: unknown dtype %u\n", __FILE__, __LINE__, dtype);
		abort();
	}
}

extern "C" void hetsched__rand_cuda_launch(void *ptr, uint32_t dtype, uint32_t nx, uint32_t ny,
                                           uint32_t ld, uint64_t seed, uint32_t stream_id,
                                           uint32_t dist, float a, float b, uint64_t row0,
                                           uint64_t col0, cudaStream_t stream)
{
	if (nx == 0 || ny == 0)
		return;
	if (dist == HETSCHED__DIST_NORMAL)
		rand_launch_dtype<HETSCHED__DIST_NORMAL>(ptr, dtype, nx, ny, ld, seed, stream_id, a,
		                                         b, row0, col0, stream);
	else
		rand_launch_dtype<HETSCHED__DIST_UNIFORM>(ptr, dtype, nx, ny, ld, seed, stream_id,
		                                          a, b, row0, col0, stream);
}
