/* rand_simd.h: the CPU kernel of the rand codelet (rand_simd.c), vectorised, and the choice of
 * its Philox implementation. Plain C: no StarPU. */
#ifndef HETSCHED_RAND_SIMD_H
#define HETSCHED_RAND_SIMD_H

#include <stdint.h>

struct hetsched_rand_args;

/* The CPU kernel of the rand codelet (rand_simd.c): fills the ny x nx tile ptr (leading dimension
 * ld) whose first element is global (args->row0, args->col0). Vectorised; equal bit for bit to
 * hetsched__ref_rand. */
void hetsched__rand_cpu_fill(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld,
                             const struct hetsched_rand_args *args);

/* The same with a given implementation of its Philox: "avx512f", "avx2", "generic" (plain C), or
 * "best" (what hetsched__rand_cpu_fill uses). Returns 0, or -1 (nothing written) when this CPU
 * or build lacks it; lets the tests check every implementation on one machine. */
int hetsched__rand_cpu_fill_isa(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld,
                                const struct hetsched_rand_args *args, const char *isa);

#endif
