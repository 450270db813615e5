/* cuda_kernels.h: host launchers of the CUDA kernels (rand_cuda.cu, linear_cuda.cu,
 * epilogue_cuda.cu, softmax_cuda.cu), callable from C and CUDA. Each queues its kernel on \p stream
 * and returns at once; an invalid launch aborts with CUDA's message. Pointers are device pointers
 * to row-major tiles with a leading dimension (in elements).
 * This header does not include starpu.h: the launchers take scalars, not the codelets' structs.
 *
 * Storage: a \p dtype argument is an enum hetsched_dtype (hetsched.h; HETSCHED__CUDA_F32, _BF16,
 * _F16 below have its values): the tile's elements are float, bfloat16 or IEEE binary16, read
 * exactly into FP32, computed in FP32 and stored rounded to nearest even, with the bits that
 * codelets/half.h gives on the host (NaN included). vecs, scratch and acc are always FP32. */
#ifndef HETSCHED_CUDA_KERNELS_H
#define HETSCHED_CUDA_KERNELS_H

#include <stdint.h>

#include <cuda_runtime.h>

#include "epilogue.h"

/* The values of enum hetsched_dtype (hetsched.h is not included here; C files that include both
 * check that they agree). */
#define HETSCHED__CUDA_F32 0u
#define HETSCHED__CUDA_BF16 1u
#define HETSCHED__CUDA_F16 2u

#ifdef __cplusplus
extern "C" {
#endif

/* The rand codelet: ptr[r * ld + c] (r < ny, c < nx) = element (row0 + r, col0 + c) of the random
 * tensor (seed, stream_id), uniform [a, b) (dist 0) or normal(a, b) (dist 1), as philox.h, stored
 * as \p dtype (16-bit: the FP32 value rounded to nearest even). */
void hetsched__rand_cuda_launch(void *ptr, uint32_t dtype, uint32_t nx, uint32_t ny, uint32_t ld,
                                uint64_t seed, uint32_t stream_id, uint32_t dist, float a, float b,
                                uint64_t row0, uint64_t col0, cudaStream_t stream);

/* y[i * ldy + j] = b[i * ldb + j] for i < m, j < n: the bias of a linear layer, before the
 * product (ldb 0: one row broadcast over the tile). FP32. */
void hetsched__bias_rows_cuda_launch(float *y, const float *b, uint32_t m, uint32_t n, uint32_t ldy,
                                     uint32_t ldb, cudaStream_t stream);

/* y[i * ldy + j] = max(y[i * ldy + j], 0) for i < m, j < n (NaN stays NaN). FP32. */
void hetsched__relu_cuda_launch(float *y, uint32_t m, uint32_t n, uint32_t ldy,
                                cudaStream_t stream);

/* y[i * ldy + j] = prog(y[i * ldy + j]; vecs[v * ldv + j]) for i < m, j < n: the epilogue
 * (epilogue.h) on a tile of \p dtype; vecs (FP32) may be NULL when prog->nvec is 0. The program
 * is copied at the call. */
void hetsched__epilogue_cuda_launch(void *y, uint32_t dtype, uint32_t m, uint32_t n, uint32_t ldy,
                                    const float *vecs, uint32_t ldv,
                                    const struct hetsched_ew_prog *prog, cudaStream_t stream);

/* The end of a 16-bit linear tile: y[i][j] = round(prog(acc[i][j] + b[i * ldb + j])), acc FP32
 * (m x n, ldacc), b and y of \p dtype (BF16 or F16; ldb 0: one bias row broadcast over the tile),
 * vecs FP32 as for the epilogue (NULL when prog->nvec is 0; prog->n 0: no epilogue). */
void hetsched__linear16_end_cuda_launch(void *y, uint32_t dtype, uint32_t m, uint32_t n,
                                        uint32_t ldy, const float *acc, uint32_t ldacc,
                                        const void *b, uint32_t ldb, const float *vecs,
                                        uint32_t ldv, const struct hetsched_ew_prog *prog,
                                        cudaStream_t stream);

/* dst[i * ldd + j] = src[i * lds + j] rounded from \p src_dtype to \p dst_dtype (16-bit formats,
 * through FP32: exact widening, then nearest even), i < m, j < n: how a 16-bit linear rounds its
 * inputs to a precision other than their storage (bfloat16 data in FP16 arithmetic, or binary16
 * data in BF16 arithmetic). */
void hetsched__convert16_cuda_launch(void *dst, uint32_t dst_dtype, uint32_t ldd, const void *src,
                                     uint32_t src_dtype, uint32_t lds, uint32_t m, uint32_t n,
                                     cudaStream_t stream);

/* One phase of a row-wise softmax over a row tile, applied to one of its column tiles y (m x n,
 * ldy, of \p dtype) in turn; scratch holds 2 m floats on the device (row maxima, then sums):
 *   phase 0: scratch[i] = max(first ? -inf : scratch[i], max_j y[i][j])
 *   phase 1: scratch[m + i] = (first ? 0 : scratch[m + i]) + sum_j exp(y[i][j] - scratch[i])
 *   phase 2: y[i][j] = exp(y[i][j] - max) / sum, or y[i][j] - max - log(sum) when log. */
void hetsched__softmax_cuda_launch(void *y, uint32_t dtype, uint32_t m, uint32_t n, uint32_t ldy,
                                   float *scratch, uint32_t phase, uint32_t first, uint32_t log,
                                   cudaStream_t stream);

/* Number of CUDA devices usable here; 0 (never an abort) without a driver or a device. */
int hetsched__cuda_device_count(void);

#ifdef __cplusplus
}
#endif

#endif
