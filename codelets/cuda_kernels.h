/* cuda_kernels.h: host launchers of the CUDA kernels (rand_cuda.cu, linear_cuda.cu), callable from
 * C and CUDA. Each queues its kernel on \p stream and returns at once; an invalid launch aborts
 * with CUDA's message. Pointers are device pointers to row-major tiles with a leading dimension.
 * This header does not include starpu.h: the launchers take scalars, not the codelets' structs. */
#ifndef HETSCHED_CUDA_KERNELS_H
#define HETSCHED_CUDA_KERNELS_H

#include <stdint.h>

#include <cuda_runtime.h>

#include "epilogue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The rand codelet: ptr[r * ld + c] (r < ny, c < nx) = element (row0 + r, col0 + c) of the random
 * tensor (seed, stream_id), uniform [a, b) (dist 0) or normal(a, b) (dist 1), as philox.h. */
void hetsched__rand_cuda_launch(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld, uint64_t seed,
                                uint32_t stream_id, uint32_t dist, float a, float b, uint64_t row0,
                                uint64_t col0, cudaStream_t stream);

/* y[i * ldy + j] = b[i * ldb + j] for i < m, j < n: the bias of a linear layer, before the
 * product (ldb 0: one row broadcast over the tile). */
void hetsched__bias_rows_cuda_launch(float *y, const float *b, uint32_t m, uint32_t n, uint32_t ldy,
                                     uint32_t ldb, cudaStream_t stream);

/* y[i * ldy + j] = max(y[i * ldy + j], 0) for i < m, j < n (NaN stays NaN). */
void hetsched__relu_cuda_launch(float *y, uint32_t m, uint32_t n, uint32_t ldy,
                                cudaStream_t stream);

/* y[i * ldy + j] = prog(y[i * ldy + j]; vecs[v * ldv + j]) for i < m, j < n: the epilogue
 * (epilogue.h); vecs may be NULL when prog->nvec is 0. The program is copied at the call. */
void hetsched__epilogue_cuda_launch(float *y, uint32_t m, uint32_t n, uint32_t ldy,
                                    const float *vecs, uint32_t ldv,
                                    const struct hetsched_ew_prog *prog, cudaStream_t stream);

/* One phase of a row-wise softmax over a row tile, applied to one of its column tiles y (m x n,
 * ldy) in turn; scratch holds 2 m floats on the device (row maxima, then sums):
 *   phase 0: scratch[i] = max(first ? -inf : scratch[i], max_j y[i][j])
 *   phase 1: scratch[m + i] = (first ? 0 : scratch[m + i]) + sum_j exp(y[i][j] - scratch[i])
 *   phase 2: y[i][j] = exp(y[i][j] - max) / sum, or y[i][j] - max - log(sum) when log. */
void hetsched__softmax_cuda_launch(float *y, uint32_t m, uint32_t n, uint32_t ldy, float *scratch,
                                   uint32_t phase, uint32_t first, uint32_t log,
                                   cudaStream_t stream);

/* Number of CUDA devices usable here; 0 (never an abort) without a driver or a device. */
int hetsched__cuda_device_count(void);

#ifdef __cplusplus
}
#endif

#endif
