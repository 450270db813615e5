/* reference.h: plain reference kernels, the oracle of the tests and of `--check` on small
 * problems, and the CPU kernels that the tests compare against them.
 *
 * Layouts are row-major with a leading dimension, as the tiles of codelets.h: element (i, j) of a
 * matrix with leading dimension ld is at p[i * ld + j].
 */
#ifndef HETSCHED_REFERENCE_H
#define HETSCHED_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

struct hetsched_rand_args;

/* y (m x n) = x (m x k) w^T (w: n x k) + b (n, broadcast over rows; NULL for none), then
 * max(y, 0) when relu. Each element is summed in double and rounded once to float. */
void hetsched__ref_linear(const float *x, size_t ldx, const float *w, size_t ldw, const float *b,
                          float *y, size_t ldy, size_t m, size_t n, size_t k, int relu);

/* out (rows x cols, leading dimension ld) = the elements (row0 + i, col0 + j) of the random tensor
 * that args->seed, stream, dist, a and b define (args->row0 and col0 are ignored), one element at
 * a time with philox.h's hetsched__rand_element. */
void hetsched__ref_rand(float *out, size_t ld, size_t rows, size_t cols, uint64_t row0,
                        uint64_t col0, const struct hetsched_rand_args *args);

/* The CPU kernel of the rand codelet, which the tests compare against hetsched__ref_rand. */
#include "rand_simd.h"

#endif
