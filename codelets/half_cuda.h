/* half_cuda.h: tile elements of every storage dtype in CUDA kernels (included by the .cu files
 * only). hetsched__elem<D> reads an element of dtype D (HETSCHED__CUDA_F32, _BF16, _F16 of
 * cuda_kernels.h) exactly into FP32 and stores an FP32 value rounded to nearest even, with the
 * bits of codelets/half.h, NaN included (CUDA's own conversions make every NaN canonical):
 *   bfloat16: the integer rounding of half.h, word for word; widened by a shift;
 *   binary16: __float2half_rn (nearest even, subnormals kept, overflow to infinity), NaN as half.h
 *             (sign, quiet bit, top 10 bits of the payload); widened by __half2float, NaN by
 *             half.h's bit pattern.
 * hetsched__store4 writes four consecutive elements at once (one 16-byte or 8-byte store) when
 * the address allows it. */
#ifndef HETSCHED_HALF_CUDA_H
#define HETSCHED_HALF_CUDA_H

#include <stdint.h>

#include <cuda_fp16.h>

#include "cuda_kernels.h"

static __device__ __forceinline__ uint16_t hetsched__bf16_bits(float f)
{
	uint32_t u = __float_as_uint(f);

	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x40u);
	return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static __device__ __forceinline__ uint16_t hetsched__f16_bits(float f)
{
	uint32_t u = __float_as_uint(f), a = u & 0x7fffffffu;

	if (a > 0x7f800000u)
		return (uint16_t)(((u >> 16) & 0x8000u) | 0x7e00u | ((a >> 13) & 0x3ffu));
	return __half_as_ushort(__float2half_rn(f));
}

template <unsigned D> struct hetsched__elem;

template <> struct hetsched__elem<HETSCHED__CUDA_F32> {
	typedef float type;
	static __device__ __forceinline__ float load(const float *p)
	{
		return *p;
	}
	static __device__ __forceinline__ void store(float *p, float v)
	{
		*p = v;
	}
};

template <> struct hetsched__elem<HETSCHED__CUDA_BF16> {
	typedef uint16_t type;
	static __device__ __forceinline__ float load(const uint16_t *p)
	{
		return __uint_as_float((uint32_t)*p << 16);
	}
	static __device__ __forceinline__ void store(uint16_t *p, float v)
	{
		*p = hetsched__bf16_bits(v);
	}
};

template <> struct hetsched__elem<HETSCHED__CUDA_F16> {
	typedef uint16_t type;
	static __device__ __forceinline__ float load(const uint16_t *p)
	{
		const uint16_t h = *p;

		/* NaN: half.h's widening, payload and all (the hardware's makes it canonical). */
		if ((h & 0x7fffu) > 0x7c00u)
			return __uint_as_float((uint32_t)(h & 0x8000u) << 16 | 0x7f800000u |
			                       (uint32_t)(h & 0x3ffu) << 13);
		return __half2float(__ushort_as_half(h));
	}
	static __device__ __forceinline__ void store(uint16_t *p, float v)
	{
		*p = hetsched__f16_bits(v);
	}
};

/* p[0..3] = v[0..3] as dtype D: one vector store when p is aligned to four elements, else four. */
template <unsigned D>
static __device__ __forceinline__ void hetsched__store4(typename hetsched__elem<D>::type *p,
                                                        const float v[4])
{
	typedef hetsched__elem<D> E;

	if constexpr (D == HETSCHED__CUDA_F32) {
		if (((uintptr_t)p & 15u) == 0) {
			*(float4 *)p = make_float4(v[0], v[1], v[2], v[3]);
			return;
		}
	} else {
		if (((uintptr_t)p & 7u) == 0) {
			uint16_t h[4];

			for (int j = 0; j < 4; j++)
				E::store(&h[j], v[j]);
			*(uint2 *)p = make_uint2((uint32_t)h[0] | (uint32_t)h[1] << 16,
			                         (uint32_t)h[2] | (uint32_t)h[3] << 16);
			return;
		}
	}
	for (int j = 0; j < 4; j++)
		E::store(p + j, v[j]);
}

#endif
