/* half.h: 16-bit storage (bfloat16, IEEE binary16) to and from FP32, rounded to nearest with ties
 * to even, as CUDA's __float2bfloat16_rn / __float2half_rn and OpenCL's vstore_half_rte do, so
 * that a value stored by any worker has the same bits. NaN stays NaN (quiet), infinities stay,
 * FP32 values beyond the 16-bit range become infinities, binary16 subnormals are kept. */
#ifndef HETSCHED_HALF_H
#define HETSCHED_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t hetsched__f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static inline float hetsched__f32_from_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static inline uint16_t hetsched__bf16_from_f32(float f)
{
	uint32_t u = hetsched__f32_bits(f);

	if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep the sign, make it quiet */
		return (uint16_t)((u >> 16) | 0x40u);
	return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline float hetsched__f32_from_bf16(uint16_t h)
{
	return hetsched__f32_from_bits((uint32_t)h << 16);
}

static inline uint16_t hetsched__f16_from_f32(float f)
{
	uint32_t u = hetsched__f32_bits(f);
	uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;

	if (a > 0x7f800000u) /* NaN */
		return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
	if (a >= 0x477ff000u) /* rounds to 65520 or beyond: infinity */
		return (uint16_t)(sign | 0x7c00u);
	if (a < 0x38800000u) { /* below 2^-14: a binary16 subnormal (units of 2^-24), or zero */
		/* a = e << 23 | m is (m | 2^23) x 2^(e-150), that is (m | 2^23) >> (126 - e) units
		 */
		uint32_t s = 126u - (a >> 23), mant = (a & 0x7fffffu) | 0x800000u, h, rest;

		if (a < 0x33000000u) /* at most half the smallest subnormal (2^-25): zero */
			return (uint16_t)sign;
		h = mant >> s;
		rest = mant & ((1u << s) - 1u);
		if (rest > (1u << (s - 1u)) || (rest == (1u << (s - 1u)) && (h & 1u)))
			h++;
		return (uint16_t)(sign | h);
	}
	/* normal: rebias the exponent (127 -> 15) and round 23 bits of significand to 10 */
	a -= 0x38000000u;
	a += 0xfffu + ((a >> 13) & 1u);
	return (uint16_t)(sign | (a >> 13));
}

static inline float hetsched__f32_from_f16(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;

	if (e == 0x1fu) /* infinity or NaN */
		return hetsched__f32_from_bits(sign | 0x7f800000u | (m << 13));
	if (e == 0) { /* zero or subnormal: m x 2^-24 */
		float v = (float)m * 0x1p-24f;
		return sign ? -v : v;
	}
	return hetsched__f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

/* The FP32 value a 16-bit store would keep: how inputs are rounded in precision bf16 / fp16. */
static inline float hetsched__round_bf16(float f)
{
	return hetsched__f32_from_bf16(hetsched__bf16_from_f32(f));
}

static inline float hetsched__round_f16(float f)
{
	return hetsched__f32_from_f16(hetsched__f16_from_f32(f));
}

#endif
