/* half.cl: 16-bit storage in OpenCL C, the conversions of half.h with the same bits (nearest
 * even; NaN quiet with half.h's payload; beyond the range, infinities; binary16 subnormals
 * kept), for the kernels of rand.cl, linear.cl, linear16.cl, epilogue.cl and softmax.cl.
 *
 * Storage formats are passed to kernels as the values of enum hetsched_dtype, precisions'
 * roundings as the dtype of the format the inputs are rounded to (0: none); the glue
 * (opencl_programs.h) checks the numbers against hetsched.h.
 *
 * Widening a binary16 uses vload_half (exact; PoCL's matches half.h on every value but the
 * signalling NaNs, which it quiets). Stores round on the bits, not with vstore_half_rte, whose
 * NaNs differ from half.h's (PoCL: same bits for every other float of the 2^32). Rounding an
 * input to binary16 for the products (hetsched__round8) does use vstore_half_rte then
 * vload_half, with NaN lanes set to half.h's: about 3 times faster on PoCL than the bits, where
 * it is done once per element and use (768^3 FP32 linear at precision fp16 on the
 * OpenCL-on-CPU worker: 3.9 GFLOP/s against 1.4 on the bits; fp32 there: 5.1).
 */
#define HETSCHED__DTYPE_F32 0u
#define HETSCHED__DTYPE_BF16 1u
#define HETSCHED__DTYPE_F16 2u

#ifdef __clang__
#define HETSCHED__HALF_FN static inline __attribute__((unused))
#else
#define HETSCHED__HALF_FN static inline
#endif

/* The bits of the bfloat16 nearest to f (half.h's hetsched__bf16_from_f32). */
HETSCHED__HALF_FN ushort hetsched__bf16_bits(float f)
{
	const uint u = as_uint(f);

	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (ushort)((u >> 16) | 0x40u);
	return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* The bits of the binary16 nearest to f (half.h's hetsched__f16_from_f32). */
HETSCHED__HALF_FN ushort hetsched__f16_bits(float f)
{
	const uint u = as_uint(f);
	const uint sign = (u >> 16) & 0x8000u;
	uint a = u & 0x7fffffffu;

	if (a > 0x7f800000u)
		return (ushort)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
	if (a >= 0x477ff000u)
		return (ushort)(sign | 0x7c00u);
	if (a < 0x38800000u) {
		/* A subnormal in units of 2^-24 (or zero): the scaling is exact, rint is nearest
		 * even. */
		if (a < 0x33000000u)
			return (ushort)sign;
		return (ushort)(sign | (uint)rint(as_float(a) * 0x1p24f));
	}
	a -= 0x38000000u;
	a += 0xfffu + ((a >> 13) & 1u);
	return (ushort)(sign | (a >> 13));
}

/* Element i of a 16-bit buffer of dtype, widened to FP32 (exact). */
HETSCHED__HALF_FN float hetsched__load16(__global const ushort *p, ulong i, uint dtype)
{
	if (dtype == HETSCHED__DTYPE_BF16)
		return as_float((uint)p[i] << 16);
	return vload_half(i, (__global const half *)p);
}

/* Store v at element i of a 16-bit buffer of dtype, rounded to nearest even. */
HETSCHED__HALF_FN void hetsched__store16(__global ushort *p, ulong i, float v, uint dtype)
{
	p[i] = dtype == HETSCHED__DTYPE_BF16 ? hetsched__bf16_bits(v) : hetsched__f16_bits(v);
}

/* Eight consecutive elements at p (any 2-byte alignment), widened. */
HETSCHED__HALF_FN float8 hetsched__load16x8(__global const ushort *p, uint dtype)
{
	if (dtype == HETSCHED__DTYPE_BF16)
		return as_float8(convert_uint8(vload8(0, p)) << 16);
	return vload_half8(0, (__global const half *)p);
}

/* v rounded to the format fmt (a dtype; F32 or 0: unchanged) and kept in FP32: half.h's
 * hetsched__round_bf16 and hetsched__round_f16, eight lanes at a time. */
HETSCHED__HALF_FN float8 hetsched__round8(float8 v, uint fmt)
{
	const uint8 u = as_uint8(v), a = u & 0x7fffffffu, sign = u & 0x80000000u;
	const int8 nan = a > (uint8)0x7f800000u;
	uint8 r;

	if (fmt == HETSCHED__DTYPE_BF16) {
		r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
		return as_float8(select(r, (u & 0xffff0000u) | 0x400000u, nan));
	}
	if (fmt != HETSCHED__DTYPE_F16)
		return v;
	{
		ushort h[8];

		vstore_half8_rte(v, 0, (half *)h);
		r = as_uint8(vload_half8(0, (const half *)h));
	}
	r = select(r, sign | 0x7fc00000u | (a & 0x7fe000u), nan);
	return as_float8(r);
}

/* One value rounded as hetsched__round8 does. */
HETSCHED__HALF_FN float hetsched__round1(float v, uint fmt)
{
	return fmt ? hetsched__round8((float8)(v), fmt).s0 : v;
}
