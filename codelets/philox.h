/* philox.h: the counter-based generator of the rand codelet, one header for C, CUDA and OpenCL C.
 *
 * Generator: Philox4x32-10 (Salmon et al., SC'11; constants of Random123):
 *   round:  (c0, c1, c2, c3) -> (hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0))
 *   key:    (k0, k1) += (W0, W1) between rounds; ten rounds.
 *
 * Mapping of a tensor onto the generator (what makes values independent of tiling and device):
 *   key     = { (u32)seed, (u32)(seed >> 32) }
 *   counter = { (u32)(col >> 2), (u32)row, (u32)(row >> 32), stream } for global element (row, col)
 *   the element takes output word (col & 3).
 *
 * Uniform [a, b):  u = (float)(w >> 8) * 2^-24 in [0, 1);  v = a + (b - a) * u  (no fused
 *   multiply-add: C is built with -ffp-contract=off, CUDA uses __fmul_rn / __fadd_rn, OpenCL turns
 *   FP_CONTRACT off); v >= b (rounding) becomes nextafterf(b, a). Bit-identical on every backend.
 * Normal(mean a, std b): Box-Muller on the word pairs (w0, w1) and (w2, w3):
 *   u1 = ((w0 >> 8) + 1) * 2^-24 in (0, 1],  u2 = (w1 >> 8) * 2^-24,  r = sqrt(-2 ln u1),
 *   z0 = r cos(2 pi u2),  z1 = r sin(2 pi u2)  (likewise z2, z3);  v = (float)(a + b * z).
 *   Evaluated in double precision, then rounded once to float: the backends' log, sin and cos
 *   differ in the last bits of a double, which almost never moves the float, so normal values
 *   are in practice also identical across backends (in float, a one-ulp difference of z becomes
 *   many ulps of v where a + b z cancels). OpenCL devices without cl_khr_fp64 use float, and
 *   agree to a few ulp of z.
 */
#ifndef HETSCHED_PHILOX_H
#define HETSCHED_PHILOX_H

/* OpenCL C: __OPENCL_VERSION__ is the device's version (some compilers leave it to the runtime),
 * __OPENCL_C_VERSION__ the language's (1.2 on). */
#if defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)
#define HETSCHED__OPENCL 1
#endif

#if defined(HETSCHED__OPENCL)
#pragma OPENCL FP_CONTRACT OFF
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define HETSCHED__NORMAL_DOUBLE 1
#endif
#ifdef __clang__
/* The program is one translation unit: helpers a kernel does not call are not an error. */
#define HETSCHED__PHILOX_FN static inline __attribute__((unused))
#else
#define HETSCHED__PHILOX_FN static inline
#endif
typedef uint hetsched__u32;
typedef ulong hetsched__u64;
#elif defined(__CUDACC__)
#include <stdint.h>
#define HETSCHED__NORMAL_DOUBLE 1
#define HETSCHED__PHILOX_FN static __host__ __device__ __forceinline__
typedef uint32_t hetsched__u32;
typedef uint64_t hetsched__u64;
#else
#include <math.h>
#include <stdint.h>
#define HETSCHED__NORMAL_DOUBLE 1
#define HETSCHED__PHILOX_FN static inline
typedef uint32_t hetsched__u32;
typedef uint64_t hetsched__u64;
#endif

#define HETSCHED__PHILOX_M0 0xD2511F53u
#define HETSCHED__PHILOX_M1 0xCD9E8D57u
#define HETSCHED__PHILOX_W0 0x9E3779B9u
#define HETSCHED__PHILOX_W1 0xBB67AE85u
#define HETSCHED__PHILOX_ROUNDS 10

/* 2^-24, written in decimal because hexadecimal float literals are not C++ before C++17. */
#define HETSCHED__TWO_M24 5.9604644775390625e-08f
/* 2 pi rounded to float, and to double. */
#define HETSCHED__TWO_PI_F 6.28318548202514648438f
#define HETSCHED__TWO_PI_D 6.283185307179586476925286766559

/* Distributions, with the values of enum hetsched_dist (hetsched.h is not visible to OpenCL). */
#define HETSCHED__DIST_UNIFORM 0u
#define HETSCHED__DIST_NORMAL 1u

/* Four 32-bit words: a counter or a block of output. */
typedef struct hetsched__philox4 {
	hetsched__u32 v[4];
} hetsched__philox4_t;

/* High 32 bits of a 32 x 32 -> 64 product. */
HETSCHED__PHILOX_FN hetsched__u32 hetsched__mulhi32(hetsched__u32 a, hetsched__u32 b)
{
#if defined(__CUDA_ARCH__)
	return __umulhi(a, b);
#elif defined(HETSCHED__OPENCL)
	return mul_hi(a, b);
#else
	return (hetsched__u32)(((hetsched__u64)a * b) >> 32);
#endif
}

/* Philox4x32-10 of counter \p ctr under key (k0, k1). */
HETSCHED__PHILOX_FN hetsched__philox4_t hetsched__philox4x32_10(hetsched__philox4_t ctr,
                                                                hetsched__u32 k0, hetsched__u32 k1)
{
	hetsched__u32 c0 = ctr.v[0], c1 = ctr.v[1], c2 = ctr.v[2], c3 = ctr.v[3];
	int i;

	for (i = 0; i < HETSCHED__PHILOX_ROUNDS; i++) {
		hetsched__u32 hi0 = hetsched__mulhi32(HETSCHED__PHILOX_M0, c0);
		hetsched__u32 lo0 = HETSCHED__PHILOX_M0 * c0;
		hetsched__u32 hi1 = hetsched__mulhi32(HETSCHED__PHILOX_M1, c2);
		hetsched__u32 lo1 = HETSCHED__PHILOX_M1 * c2;

		c0 = hi1 ^ c1 ^ k0;
		c1 = lo1;
		c2 = hi0 ^ c3 ^ k1;
		c3 = lo0;
		k0 += HETSCHED__PHILOX_W0;
		k1 += HETSCHED__PHILOX_W1;
	}
	ctr.v[0] = c0;
	ctr.v[1] = c1;
	ctr.v[2] = c2;
	ctr.v[3] = c3;
	return ctr;
}

/* The four words of the counter block holding global element (row, col): its word is col & 3. */
HETSCHED__PHILOX_FN hetsched__philox4_t hetsched__philox_block(hetsched__u64 seed,
                                                               hetsched__u32 stream,
                                                               hetsched__u64 row, hetsched__u64 col)
{
	hetsched__philox4_t ctr;

	ctr.v[0] = (hetsched__u32)(col >> 2);
	ctr.v[1] = (hetsched__u32)row;
	ctr.v[2] = (hetsched__u32)(row >> 32);
	ctr.v[3] = stream;
	return hetsched__philox4x32_10(ctr, (hetsched__u32)seed, (hetsched__u32)(seed >> 32));
}

/* Exact float products and sums: no contraction into a fused multiply-add on any backend. */
HETSCHED__PHILOX_FN float hetsched__fmul(float x, float y)
{
#if defined(__CUDA_ARCH__)
	return __fmul_rn(x, y);
#else
	return x * y;
#endif
}

HETSCHED__PHILOX_FN float hetsched__fadd(float x, float y)
{
#if defined(__CUDA_ARCH__)
	return __fadd_rn(x, y);
#else
	return x + y;
#endif
}

/* The largest float below \p b in the direction of \p a (the top of [a, b)). */
HETSCHED__PHILOX_FN float hetsched__below(float b, float a)
{
#if defined(HETSCHED__OPENCL)
	return nextafter(b, a);
#else
	return nextafterf(b, a);
#endif
}

/* A word as a float in [0, 1): its top 24 bits times 2^-24 (exact). */
HETSCHED__PHILOX_FN float hetsched__u01(hetsched__u32 w)
{
	return (float)(w >> 8) * HETSCHED__TWO_M24;
}

/* A word as a float in (0, 1]: (top 24 bits + 1) times 2^-24 (exact), safe for log. */
HETSCHED__PHILOX_FN float hetsched__u01_open0(hetsched__u32 w)
{
	return (float)((w >> 8) + 1u) * HETSCHED__TWO_M24;
}

/* Uniform in [a, b) from one word; \p below is hetsched__below(b, a). */
HETSCHED__PHILOX_FN float hetsched__uniform(hetsched__u32 w, float a, float b, float below)
{
	float v = hetsched__fadd(a, hetsched__fmul(b - a, hetsched__u01(w)));

	return v >= b ? below : v;
}

/* The precision of Box-Muller: double where the backend has it. */
#ifdef HETSCHED__NORMAL_DOUBLE
typedef double hetsched__real;
#else
typedef float hetsched__real;
#endif

/* Exact double products and sums, as hetsched__fmul and hetsched__fadd. */
#ifdef HETSCHED__NORMAL_DOUBLE
HETSCHED__PHILOX_FN double hetsched__dmul(double x, double y)
{
#if defined(__CUDA_ARCH__)
	return __dmul_rn(x, y);
#else
	return x * y;
#endif
}

HETSCHED__PHILOX_FN double hetsched__dadd(double x, double y)
{
#if defined(__CUDA_ARCH__)
	return __dadd_rn(x, y);
#else
	return x + y;
#endif
}
#endif

/* Box-Muller on one pair of words: standard normals *z0 (cosine) and *z1 (sine). */
HETSCHED__PHILOX_FN void hetsched__box_muller(hetsched__u32 w0, hetsched__u32 w1,
                                              hetsched__real *z0, hetsched__real *z1)
{
#ifdef HETSCHED__NORMAL_DOUBLE
	/* u1 and u2 are exact in float, hence in double. */
	double r = sqrt(hetsched__dmul(-2.0, log((double)hetsched__u01_open0(w0))));
	double t = hetsched__dmul(HETSCHED__TWO_PI_D, (double)hetsched__u01(w1));

#if defined(__CUDA_ARCH__)
	/* One range reduction for both: CUDA's sincos has the reduction and polynomials of its sin
	 * and cos (libdevice), so the values are theirs. */
	double s, c;

	sincos(t, &s, &c);
	*z0 = hetsched__dmul(r, c);
	*z1 = hetsched__dmul(r, s);
#else
	*z0 = hetsched__dmul(r, cos(t));
	*z1 = hetsched__dmul(r, sin(t));
#endif
#elif defined(HETSCHED__OPENCL)
	float r = sqrt(-2.0f * log(hetsched__u01_open0(w0)));
	float t = HETSCHED__TWO_PI_F * hetsched__u01(w1);

	*z0 = r * cos(t);
	*z1 = r * sin(t);
#endif
}

/* Normal(mean, std) from a standard normal z, rounded once to float. */
HETSCHED__PHILOX_FN float hetsched__normal(hetsched__real z, float mean, float std)
{
#ifdef HETSCHED__NORMAL_DOUBLE
	return (float)hetsched__dadd((double)mean, hetsched__dmul((double)std, z));
#else
	return mean + std * z;
#endif
}

/* The values of the four elements of one counter block: uniform [a, b) or normal(a, b). */
HETSCHED__PHILOX_FN void hetsched__rand_group4(hetsched__philox4_t w, hetsched__u32 dist, float a,
                                               float b, float out[4])
{
	if (dist == HETSCHED__DIST_NORMAL) {
		hetsched__real z0, z1, z2, z3;

		hetsched__box_muller(w.v[0], w.v[1], &z0, &z1);
		hetsched__box_muller(w.v[2], w.v[3], &z2, &z3);
		out[0] = hetsched__normal(z0, a, b);
		out[1] = hetsched__normal(z1, a, b);
		out[2] = hetsched__normal(z2, a, b);
		out[3] = hetsched__normal(z3, a, b);
	} else {
		float below = hetsched__below(b, a);
		int j;

		for (j = 0; j < 4; j++)
			out[j] = hetsched__uniform(w.v[j], a, b, below);
	}
}

/* The value of global element (row, col) alone: the reference definition of the rand tensor. */
HETSCHED__PHILOX_FN float hetsched__rand_element(hetsched__u64 seed, hetsched__u32 stream,
                                                 hetsched__u32 dist, float a, float b,
                                                 hetsched__u64 row, hetsched__u64 col)
{
	hetsched__philox4_t w = hetsched__philox_block(seed, stream, row, col);
	unsigned j = (unsigned)(col & 3u);

	if (dist == HETSCHED__DIST_NORMAL) {
		hetsched__real z0, z1;

		if (j < 2)
			hetsched__box_muller(w.v[0], w.v[1], &z0, &z1);
		else
			hetsched__box_muller(w.v[2], w.v[3], &z0, &z1);
		return hetsched__normal((j & 1u) ? z1 : z0, a, b);
	}
	return hetsched__uniform(w.v[j], a, b, hetsched__below(b, a));
}

#endif /* HETSCHED_PHILOX_H */
