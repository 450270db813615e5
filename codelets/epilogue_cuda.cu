/* epilogue_cuda.cu: the CUDA kernels of the epilogue (epilogue.h), for the epilogue codelet, for
 * the linear codelet's last k tile and for the end of a 16-bit linear tile. Tiles are row-major,
 * m rows x n columns, leading dimension ldy; vecs (nvec x n, ldv, FP32) are the per-column
 * constants.
 *   epilogue:       y[i][j] = prog(y[i][j]; vecs[0..nvec)[j])
 *   linear16 end:   y[i][j] = prog(acc[i][j] + b[i * ldb + j]; vecs[0..nvec)[j])   (acc FP32)
 *   convert16:      dst[i][j] = src[i][j] rounded from one 16-bit format to the other
 * y and b are of the tile's dtype (half_cuda.h): read exactly, computed in FP32, stored rounded
 * to nearest even. Grid: x over columns (coalesced), y over rows (grid-stride beyond the grid's
 * limit). The program travels by value, as a kernel argument.
 */
#include <stdint.h>

#include "cuda_kernels.h"
#include "half_cuda.h"
#include "status_check.h"

#define TILE_X 32
#define TILE_Y 8

/* The per-column constants of column j, loaded once per thread. */
static __device__ __forceinline__ void load_vecs(float vec[HETSCHED_EW_MAX_VECS], const float *vecs,
                                                 uint32_t ldv, uint32_t nvec, uint32_t j)
{
	for (uint32_t v = 0; v < HETSCHED_EW_MAX_VECS; v++)
		vec[v] = v < nvec ? vecs[(size_t)v * ldv + j] : 0.0f;
}

/* The program on one FP32 value of column j (vec: load_vecs). */
static __device__ __forceinline__ float run_prog(const struct hetsched_ew_prog &prog, float x,
                                                 const float *vec)
{
	return hetsched__ew_run(prog.code, prog.p0, prog.p1, prog.n, x, vec);
}

template <unsigned D>
static __global__ void epilogue_kernel(void *out, uint32_t m, uint32_t n, uint32_t ldy,
                                       const float *vecs, uint32_t ldv,
                                       struct hetsched_ew_prog prog)
{
	typedef hetsched__elem<D> E;
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;
	float vec[HETSCHED_EW_MAX_VECS];

	if (j >= n)
		return;
	load_vecs(vec, vecs, ldv, prog.nvec, j);
	for (uint32_t i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y) {
		typename E::type *yij = (typename E::type *)out + (size_t)i * ldy + j;

		E::store(yij, run_prog(prog, E::load(yij), vec));
	}
}

template <unsigned D>
static __global__ void linear16_end_kernel(void *out, uint32_t m, uint32_t n, uint32_t ldy,
                                           const float *acc, uint32_t ldacc, const void *bias,
                                           uint32_t ldb, const float *vecs, uint32_t ldv,
                                           struct hetsched_ew_prog prog)
{
	typedef hetsched__elem<D> E;
	typedef typename E::type T;
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;
	float vec[HETSCHED_EW_MAX_VECS];

	if (j >= n)
		return;
	load_vecs(vec, vecs, ldv, prog.nvec, j);
	for (uint32_t i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y) {
		float v =
		    acc[(size_t)i * ldacc + j] + E::load((const T *)bias + (size_t)i * ldb + j);

		E::store((T *)out + (size_t)i * ldy + j, run_prog(prog, v, vec));
	}
}

template <unsigned S, unsigned D>
static __global__ void convert16_kernel(void *dst, uint32_t ldd, const void *src, uint32_t lds,
                                        uint32_t m, uint32_t n)
{
	typedef hetsched__elem<S> ES;
	typedef hetsched__elem<D> ED;
	const uint32_t j = blockIdx.x * TILE_X + threadIdx.x;

	if (j >= n)
		return;
	for (uint32_t i = blockIdx.y * TILE_Y + threadIdx.y; i < m; i += gridDim.y * TILE_Y)
		ED::store((typename ED::type *)dst + (size_t)i * ldd + j,
		          ES::load((const typename ES::type *)src + (size_t)i * lds + j));
}

static dim3 elementwise_grid(uint32_t m, uint32_t n)
{
	uint32_t rows = (m + TILE_Y - 1) / TILE_Y;

	return dim3((n + TILE_X - 1) / TILE_X, rows < 65535u ? rows : 65535u);
}

static void bad_dtype(const char *what, uint32_t dtype)
{
	fprintf(stderr, "%s:%d: %s: unsupported dtype %u\n", __FILE__, __LINE__, what, dtype);
	abort();
}

extern "C" void hetsched__epilogue_cuda_launch(void *y, uint32_t dtype, uint32_t m, uint32_t n,
                                               uint32_t ldy, const float *vecs, uint32_t ldv,
                                               const struct hetsched_ew_prog *prog,
                                               cudaStream_t stream)
{
	const dim3 grid = elementwise_grid(m, n), block(TILE_X, TILE_Y);

	if (m == 0 || n == 0)
		return;
	switch (dtype) {
	case HETSCHED__CUDA_F32:
		epilogue_kernel<HETSCHED__CUDA_F32>
		    <<<grid, block, 0, stream>>>(y, m, n, ldy, vecs, ldv, *prog);
		break;
	case HETSCHED__CUDA_BF16:
		epilogue_kernel<HETSCHED__CUDA_BF16>
		    <<<grid, block, 0, stream>>>(y, m, n, ldy, vecs, ldv, *prog);
		break;
	case HETSCHED__CUDA_F16:
		epilogue_kernel<HETSCHED__CUDA_F16>
		    <<<grid, block, 0, stream>>>(y, m, n, ldy, vecs, ldv, *prog);
		break;
	default:
		bad_dtype("epilogue", dtype);
	}
	HETSCHED_CUDA_CHECK_LAUNCH();
}

extern "C" void hetsched__linear16_end_cuda_launch(void *y, uint32_t dtype, uint32_t m, uint32_t n,
                                                   uint32_t ldy, const float *acc, uint32_t ldacc,
                                                   const void *b, uint32_t ldb, const float *vecs,
                                                   uint32_t ldv,
                                                   const struct hetsched_ew_prog *prog,
                                                   cudaStream_t stream)
{
	const dim3 grid = elementwise_grid(m, n), block(TILE_X, TILE_Y);

	if (m == 0 || n == 0)
		return;
	switch (dtype) {
	case HETSCHED__CUDA_BF16:
		linear16_end_kernel<HETSCHED__CUDA_BF16><<<grid, block, 0, stream>>>(
		    y, m, n, ldy, acc, ldacc, b, ldb, vecs, ldv, *prog);
		break;
	case HETSCHED__CUDA_F16:
		linear16_end_kernel<HETSCHED__CUDA_F16><<<grid, block, 0, stream>>>(
		    y, m, n, ldy, acc, ldacc, b, ldb, vecs, ldv, *prog);
		break;
	default:
		bad_dtype("linear16", dtype);
	}
	HETSCHED_CUDA_CHECK_LAUNCH();
}

extern "C" void hetsched__convert16_cuda_launch(void *dst, uint32_t dst_dtype, uint32_t ldd,
                                                const void *src, uint32_t src_dtype, uint32_t lds,
                                                uint32_t m, uint32_t n, cudaStream_t stream)
{
	const dim3 grid = elementwise_grid(m, n), block(TILE_X, TILE_Y);

	if (m == 0 || n == 0)
		return;
	if (src_dtype == HETSCHED__CUDA_BF16 && dst_dtype == HETSCHED__CUDA_F16)
		convert16_kernel<HETSCHED__CUDA_BF16, HETSCHED__CUDA_F16>
		    <<<grid, block, 0, stream>>>(dst, ldd, src, lds, m, n);
	else if (src_dtype == HETSCHED__CUDA_F16 && dst_dtype == HETSCHED__CUDA_BF16)
		convert16_kernel<HETSCHED__CUDA_F16, HETSCHED__CUDA_BF16>
		    <<<grid, block, 0, stream>>>(dst, ldd, src, lds, m, n);
	else
		bad_dtype("convert16", src_dtype * 16 + dst_dtype);
	HETSCHED_CUDA_CHECK_LAUNCH();
}
