/* epilogue.h: the element-wise program applied after a linear layer (fused into its last k
 * tile) or on its own, one header for C, CUDA and OpenCL C, like philox.h.
 *
 * A program is a short list of instructions over a few float registers, evaluated for every
 * element y[i][j] of a tile: r0 starts as y[i][j], each instruction computes
 *   unary:  r[dst] = f(r[a])                      (relu, tanh, gelu, ...; parameters p0, p1)
 *   binary: r[dst] = r[a] op B  or  B op r[a]     (swap), B = r[b], the scalar p0, or vecs[b][j]
 * and y[i][j] becomes r0 at the end. vecs are per-column constants (a row of a small matrix
 * with as many columns as y): a per-feature scale, shift or BatchNorm after an activation.
 * Registers let a value be used twice: SiLU is r1 = sigmoid(r0); r0 = r0 * r1.
 *
 * Everything is computed in float with the backend's own functions (C's tanhf, CUDA's tanhf,
 * OpenCL's tanh); the --check oracle (check.c) has its own double-precision code. */
#ifndef HETSCHED_EPILOGUE_H
#define HETSCHED_EPILOGUE_H

#if defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)
#ifdef __clang__
#define HETSCHED__EW_FN static inline __attribute__((unused))
#else
#define HETSCHED__EW_FN static inline
#endif
typedef uint hetsched__ew_u32;
#define HETSCHED__EW_EXP(x) exp(x)
#define HETSCHED__EW_TANH(x) tanh(x)
#define HETSCHED__EW_ERF(x) erf(x)
#define HETSCHED__EW_SQRT(x) sqrt(x)
#define HETSCHED__EW_POW(x, y) pow(x, y)
#define HETSCHED__EW_EXPM1(x) expm1(x)
#elif defined(__CUDACC__)
#include <stdint.h>
#define HETSCHED__EW_FN static __host__ __device__ __forceinline__
typedef uint32_t hetsched__ew_u32;
#define HETSCHED__EW_EXP(x) expf(x)
#define HETSCHED__EW_TANH(x) tanhf(x)
#define HETSCHED__EW_ERF(x) erff(x)
#define HETSCHED__EW_SQRT(x) sqrtf(x)
#define HETSCHED__EW_POW(x, y) powf(x, y)
#define HETSCHED__EW_EXPM1(x) expm1f(x)
#else
#include <math.h>
#include <stdint.h>
#define HETSCHED__EW_FN static inline
typedef uint32_t hetsched__ew_u32;
#define HETSCHED__EW_EXP(x) expf(x)
#define HETSCHED__EW_TANH(x) tanhf(x)
#define HETSCHED__EW_ERF(x) erff(x)
#define HETSCHED__EW_SQRT(x) sqrtf(x)
#define HETSCHED__EW_POW(x, y) powf(x, y)
#define HETSCHED__EW_EXPM1(x) expm1f(x)
#endif

/* Sizes: at most 16 instructions, 4 registers, 4 per-column constant vectors. */
#define HETSCHED_EW_MAX_INSNS 16
#define HETSCHED_EW_NREGS 4
#define HETSCHED_EW_MAX_VECS 4

/* Operations. Unary ones read r[a] and the parameters p0, p1 (ONNX's names in brackets). */
#define HETSCHED_EW_RELU 1u
#define HETSCHED_EW_LEAKY_RELU 2u /* x < 0 ? p0 x : x  (alpha) */
#define HETSCHED_EW_ELU 3u        /* x < 0 ? p0 (e^x - 1) : x  (alpha) */
#define HETSCHED_EW_SELU 4u       /* p1 (x < 0 ? p0 (e^x - 1) : x)  (alpha, gamma) */
#define HETSCHED_EW_TANH 5u
#define HETSCHED_EW_SIGMOID 6u      /* 1 / (1 + e^-x) */
#define HETSCHED_EW_HARD_SIGMOID 7u /* max(0, min(1, p0 x + p1))  (alpha, beta) */
#define HETSCHED_EW_GELU 8u         /* x/2 (1 + erf(x / sqrt 2)) */
#define HETSCHED_EW_GELU_TANH 9u    /* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
#define HETSCHED_EW_SQRT 10u
#define HETSCHED_EW_ERF 11u
#define HETSCHED_EW_EXP 12u
#define HETSCHED_EW_COPY 13u
/* Binary ones: r[a] op B, or B op r[a] when swapped. */
#define HETSCHED_EW_ADD 20u
#define HETSCHED_EW_SUB 21u
#define HETSCHED_EW_MUL 22u
#define HETSCHED_EW_DIV 23u
#define HETSCHED_EW_POWER 24u

/* Where B comes from. */
#define HETSCHED_EW_B_REG 1u
#define HETSCHED_EW_B_SCALAR 2u /* p0 */
#define HETSCHED_EW_B_VEC 3u    /* vecs[b][column] */

/* One instruction in 32 bits: op | dst << 8 | a << 12 | bsrc << 16 | b << 20 | swap << 24. */
#define HETSCHED_EW_CODE(op, dst, a, bsrc, b, swap)                                                \
	((hetsched__ew_u32)(op) | (hetsched__ew_u32)(dst) << 8 | (hetsched__ew_u32)(a) << 12 |     \
	 (hetsched__ew_u32)(bsrc) << 16 | (hetsched__ew_u32)(b) << 20 |                            \
	 (hetsched__ew_u32)(swap) << 24)
#define HETSCHED_EW_OP(code) ((code)&0xffu)
#define HETSCHED_EW_DST(code) (((code) >> 8) & 0xfu)
#define HETSCHED_EW_A(code) (((code) >> 12) & 0xfu)
#define HETSCHED_EW_BSRC(code) (((code) >> 16) & 0xfu)
#define HETSCHED_EW_BIDX(code) (((code) >> 20) & 0xfu)
#define HETSCHED_EW_SWAP(code) (((code) >> 24) & 0x1u)

/* A program as tasks carry it (cl_arg) and kernels take it (CUDA by value; OpenCL as vectors). */
struct hetsched_ew_prog {
	hetsched__ew_u32 n;    /* instructions; 0 is the identity */
	hetsched__ew_u32 nvec; /* per-column constant vectors read */
	hetsched__ew_u32 code[HETSCHED_EW_MAX_INSNS];
	float p0[HETSCHED_EW_MAX_INSNS], p1[HETSCHED_EW_MAX_INSNS];
};

/* One unary operation in float. */
HETSCHED__EW_FN float hetsched__ew_unary(hetsched__ew_u32 op, float x, float p0, float p1)
{
	switch (op) {
	case HETSCHED_EW_RELU:
		return x < 0.0f ? 0.0f : x;
	case HETSCHED_EW_LEAKY_RELU:
		return x < 0.0f ? p0 * x : x;
	case HETSCHED_EW_ELU:
		return x < 0.0f ? p0 * HETSCHED__EW_EXPM1(x) : x;
	case HETSCHED_EW_SELU:
		return p1 * (x <= 0.0f ? p0 * HETSCHED__EW_EXPM1(x) : x);
	case HETSCHED_EW_TANH:
		return HETSCHED__EW_TANH(x);
	case HETSCHED_EW_SIGMOID:
		/* Both halves without overflow: e^-|x| is in (0, 1]. */
		if (x >= 0.0f)
			return 1.0f / (1.0f + HETSCHED__EW_EXP(-x));
		else {
			float e = HETSCHED__EW_EXP(x);

			return e / (1.0f + e);
		}
	case HETSCHED_EW_HARD_SIGMOID: {
		float v = p0 * x + p1;

		return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
	}
	case HETSCHED_EW_GELU:
		return 0.5f * x * (1.0f + HETSCHED__EW_ERF(x * 0.70710678118654752f));
	case HETSCHED_EW_GELU_TANH:
		return 0.5f * x *
		       (1.0f +
		        HETSCHED__EW_TANH(0.79788456080286536f * (x + 0.044715f * x * x * x)));
	case HETSCHED_EW_SQRT:
		return HETSCHED__EW_SQRT(x);
	case HETSCHED_EW_ERF:
		return HETSCHED__EW_ERF(x);
	case HETSCHED_EW_EXP:
		return HETSCHED__EW_EXP(x);
	default: /* HETSCHED_EW_COPY */
		return x;
	}
}

HETSCHED__EW_FN float hetsched__ew_binary(hetsched__ew_u32 op, float x, float y)
{
	switch (op) {
	case HETSCHED_EW_ADD:
		return x + y;
	case HETSCHED_EW_SUB:
		return x - y;
	case HETSCHED_EW_MUL:
		return x * y;
	case HETSCHED_EW_DIV:
		return x / y;
	default: /* HETSCHED_EW_POWER */
		return HETSCHED__EW_POW(x, y);
	}
}

/* Run the program on one value \p x of column j; vec[v] = vecs[v][j] (the caller loads them, so
 * that the function reads no pointer of a device address space). */
HETSCHED__EW_FN float hetsched__ew_run(const hetsched__ew_u32 *code, const float *p0,
                                       const float *p1, hetsched__ew_u32 n, float x,
                                       const float *vec)
{
	float r[HETSCHED_EW_NREGS];
	hetsched__ew_u32 i;

	r[0] = x;
	r[1] = r[2] = r[3] = 0.0f;
	for (i = 0; i < n; i++) {
		hetsched__ew_u32 c = code[i], op = HETSCHED_EW_OP(c), bsrc = HETSCHED_EW_BSRC(c);
		float a = r[HETSCHED_EW_A(c)], b;

		if (op < HETSCHED_EW_ADD) {
			r[HETSCHED_EW_DST(c)] = hetsched__ew_unary(op, a, p0[i], p1[i]);
			continue;
		}
		b = bsrc == HETSCHED_EW_B_REG      ? r[HETSCHED_EW_BIDX(c)]
		    : bsrc == HETSCHED_EW_B_SCALAR ? p0[i]
		                                   : vec[HETSCHED_EW_BIDX(c)];
		r[HETSCHED_EW_DST(c)] = HETSCHED_EW_SWAP(c) ? hetsched__ew_binary(op, b, a)
		                                            : hetsched__ew_binary(op, a, b);
	}
	return r[0];
}

/* 1 when the program is exactly one ReLU (the linear kernels' own fast path). */
HETSCHED__EW_FN int hetsched__ew_is_relu(const struct hetsched_ew_prog *prog)
{
	return prog->n == 1 && prog->code[0] == HETSCHED_EW_CODE(HETSCHED_EW_RELU, 0, 0, 0, 0, 0);
}

#endif
