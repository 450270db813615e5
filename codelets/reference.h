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

#include "epilogue.h"

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

/* One value through an epilogue program (epilogue.h), in double precision with C's double
 * functions and code of its own: the oracle of the epilogue kernels and of --check.
 * vec[v] is the value of per-column constant v at this column. */
double hetsched__ref_ew_value(const struct hetsched_ew_prog *prog, double x, const double *vec);

/* y (m x n, ldy) = prog(y) element by element through hetsched__ref_ew_value, rounded once;
 * vecs: prog->nvec x n (ldv), NULL when none. */
void hetsched__ref_epilogue(float *y, size_t ldy, size_t m, size_t n,
                            const struct hetsched_ew_prog *prog, const float *vecs, size_t ldv);

/* Each row of y (m x n, ldy) becomes its softmax (log 0) or log-softmax (log 1), in double. */
void hetsched__ref_softmax(float *y, size_t ldy, size_t m, size_t n, int log);

/* The CPU kernel of the rand codelet, which the tests compare against hetsched__ref_rand. */
#include "rand_simd.h"

#endif
