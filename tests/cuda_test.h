/* cuda_test.h: helpers of the tests of the CUDA kernels (test_cuda_kernels.c,
 * test_cuda_precision.c): test data, distances in units in the last place, and the host side of
 * 16-bit storage (codelets/half.h) by dtype. */
#ifndef HETSCHED_CUDA_TEST_H
#define HETSCHED_CUDA_TEST_H

#include <stdint.h>
#include <string.h>

#include "half.h"
#include "hetsched.h"

/* Pseudo-random test data in [-1, 1) (not the generator under test). */
static inline void fill_data(float *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (float)(seed >> 8) / 8388608.0f - 1.0f;
	}
}

/* Distance in units in the last place between two finite floats. */
static inline int64_t ulp_distance(float a, float b)
{
	int32_t ia, ib;
	int64_t la, lb;

	memcpy(&ia, &a, sizeof(ia));
	memcpy(&ib, &b, sizeof(ib));
	la = ia < 0 ? (int64_t)INT32_MIN - ia : ia; /* monotonic over the floats */
	lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
	return la > lb ? la - lb : lb - la;
}

/* The same between two 16-bit values of one format (bfloat16 and binary16 are both sign and
 * magnitude, ordered like integers). */
static inline int ulp16(uint16_t a, uint16_t b)
{
	int la = a & 0x8000u ? -(int)(a & 0x7fffu) : (int)a;
	int lb = b & 0x8000u ? -(int)(b & 0x7fffu) : (int)b;

	return la > lb ? la - lb : lb - la;
}

/* A 16-bit value of \p dtype (BF16 or F16) as FP32, exactly; and FP32 stored as it, rounded. */
static inline float widen16(uint32_t dtype, uint16_t h)
{
	return dtype == HETSCHED_DTYPE_BF16 ? hetsched__f32_from_bf16(h)
	                                    : hetsched__f32_from_f16(h);
}

static inline uint16_t round16(uint32_t dtype, float f)
{
	return dtype == HETSCHED_DTYPE_BF16 ? hetsched__bf16_from_f32(f)
	                                    : hetsched__f16_from_f32(f);
}

static inline int is_nan16(uint32_t dtype, uint16_t h)
{
	return dtype == HETSCHED_DTYPE_BF16 ? (h & 0x7fffu) > 0x7f80u : (h & 0x7fffu) > 0x7c00u;
}

#endif
