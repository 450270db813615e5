/* rand_simd.c: the CPU kernel of the rand codelet (glue in rand.c): Philox4x32-10 computed in
 * batches of counter blocks with AVX-512F, AVX2 or plain C, picked at run time, then converted to
 * uniform or normal values exactly as the reference (philox.h) does.
 *
 * Element (r, c) of the tile, at ptr[r * ld + c] (nx = columns, contiguous; ny = rows), is global
 * element (row0 + r, col0 + c) and takes the value philox.h defines for it. The batch functions
 * and the fill loops share this file so that each fill, compiled for its instruction set, inlines
 * its batch function (built with -ffp-contract=off, as the whole library).
 */
#include "config.h"

#include <string.h>

#include "codelets.h"
#include "philox.h"
#include "rand_simd.h"

/* Counter blocks generated together by the CPU kernel: 128 elements per batch, two AVX-512
 * registers per Philox word. */
#define BATCH 32

/* Philox4x32-10 of the BATCH counter blocks (g + i, c1, c2, c3), i < BATCH, under key (k0, k1),
 * written in element order: word j of block i to words[4 i + j]. Counter word 0 wraps modulo 2^32
 * as (uint32_t)(col >> 2) does. One implementation per instruction set, picked at run time. */
struct batch_key {
	uint32_t c1, c2, c3, k0, k1;
};
typedef void (*philox_batch_fn)(uint32_t g, const struct batch_key *key, uint32_t *words);

/* Portable version: plain loops over the blocks, which compilers vectorise as they can. */
static void philox_batch_generic(uint32_t g, const struct batch_key *key, uint32_t *words)
{
	uint32_t x0[BATCH], x1[BATCH], x2[BATCH], x3[BATCH];
	uint32_t k0 = key->k0, k1 = key->k1;
	int i, round;

	for (i = 0; i < BATCH; i++) {
		x0[i] = g + (uint32_t)i;
		x1[i] = key->c1;
		x2[i] = key->c2;
		x3[i] = key->c3;
	}
	for (round = 0; round < HETSCHED__PHILOX_ROUNDS; round++) {
		for (i = 0; i < BATCH; i++) {
			uint64_t p0 = (uint64_t)HETSCHED__PHILOX_M0 * x0[i];
			uint64_t p1 = (uint64_t)HETSCHED__PHILOX_M1 * x2[i];
			uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[i] ^ k0;
			uint32_t n2 = (uint32_t)(p0 >> 32) ^ x3[i] ^ k1;

			x1[i] = (uint32_t)p1;
			x3[i] = (uint32_t)p0;
			x0[i] = n0;
			x2[i] = n2;
		}
		k0 += HETSCHED__PHILOX_W0;
		k1 += HETSCHED__PHILOX_W1;
	}
	for (i = 0; i < BATCH; i++) {
		words[4 * i + 0] = x0[i];
		words[4 * i + 1] = x1[i];
		words[4 * i + 2] = x2[i];
		words[4 * i + 3] = x3[i];
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#define RAND_X86_SIMD 1
#include <immintrin.h>

/* AVX-512F: the 16 blocks in the 16 lanes. Compilers widen a 32 x 32 -> 64 product to a full
 * 64-bit multiply (three vpmuludq); done by hand it takes two, for the even and the odd lanes,
 * and blends put the high and low halves back in place. */
#define AVX512 __attribute__((target("avx512f")))

static inline AVX512 void mulhilo_avx512(__m512i x, __m512i m, __m512i *hi, __m512i *lo)
{
	__m512i even = _mm512_mul_epu32(x, m);
	__m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);

	*hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
	*lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/* Two sets of 16 blocks go through the rounds together: one set alone would wait on the latency
 * of the multiplies. */
static AVX512 void philox_batch_avx512(uint32_t g, const struct batch_key *key, uint32_t *words)
{
	const __m512i m0 = _mm512_set1_epi64(HETSCHED__PHILOX_M0);
	const __m512i m1 = _mm512_set1_epi64(HETSCHED__PHILOX_M1);
	const __m512i lane =
	    _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	__m512i x0[2], x1[2], x2[2], x3[2];
	uint32_t k0 = key->k0, k1 = key->k1;
	int round, s;

	for (s = 0; s < 2; s++) {
		x0[s] = _mm512_add_epi32(_mm512_set1_epi32((int)(g + 16u * s)), lane);
		x1[s] = _mm512_set1_epi32((int)key->c1);
		x2[s] = _mm512_set1_epi32((int)key->c2);
		x3[s] = _mm512_set1_epi32((int)key->c3);
	}
	for (round = 0; round < HETSCHED__PHILOX_ROUNDS; round++) {
		const __m512i kk0 = _mm512_set1_epi32((int)k0), kk1 = _mm512_set1_epi32((int)k1);

		for (s = 0; s < 2; s++) {
			__m512i hi0, lo0, hi1, lo1;

			mulhilo_avx512(x0[s], m0, &hi0, &lo0);
			mulhilo_avx512(x2[s], m1, &hi1, &lo1);
			x0[s] = _mm512_xor_si512(_mm512_xor_si512(hi1, x1[s]), kk0);
			x2[s] = _mm512_xor_si512(_mm512_xor_si512(hi0, x3[s]), kk1);
			x1[s] = lo1;
			x3[s] = lo0;
		}
		k0 += HETSCHED__PHILOX_W0;
		k1 += HETSCHED__PHILOX_W1;
	}
	for (s = 0; s < 2; s++) {
		__m512i t0, t1, t2, t3, r0, r1, r2, r3;
		uint32_t *out = words + 64 * s;

		/* Transpose to element order: within each 128-bit lane L, r0..r3 get the blocks
		 * 4L..4L+3... */
		t0 = _mm512_unpacklo_epi32(x0[s], x1[s]);
		t1 = _mm512_unpackhi_epi32(x0[s], x1[s]);
		t2 = _mm512_unpacklo_epi32(x2[s], x3[s]);
		t3 = _mm512_unpackhi_epi32(x2[s], x3[s]);
		r0 = _mm512_unpacklo_epi64(t0, t2);
		r1 = _mm512_unpackhi_epi64(t0, t2);
		r2 = _mm512_unpacklo_epi64(t1, t3);
		r3 = _mm512_unpackhi_epi64(t1, t3);
		/* ...then across lanes: output vector L holds lane L of r0, r1, r2 and r3. */
		t0 = _mm512_shuffle_i32x4(r0, r1, 0x44);
		t1 = _mm512_shuffle_i32x4(r2, r3, 0x44);
		t2 = _mm512_shuffle_i32x4(r0, r1, 0xEE);
		t3 = _mm512_shuffle_i32x4(r2, r3, 0xEE);
		_mm512_storeu_si512(out + 0, _mm512_shuffle_i32x4(t0, t1, 0x88));
		_mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(t0, t1, 0xDD));
		_mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(t2, t3, 0x88));
		_mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(t2, t3, 0xDD));
	}
}

/* AVX2: the same with 8 lanes, twice per batch. */
#define AVX2 __attribute__((target("avx2")))

static inline AVX2 void mulhilo_avx2(__m256i x, __m256i m, __m256i *hi, __m256i *lo)
{
	__m256i even = _mm256_mul_epu32(x, m);
	__m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);

	*hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
	*lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

static AVX2 void philox_batch_avx2(uint32_t g, const struct batch_key *key, uint32_t *words)
{
	const __m256i m0 = _mm256_set1_epi64x(HETSCHED__PHILOX_M0);
	const __m256i m1 = _mm256_set1_epi64x(HETSCHED__PHILOX_M1);
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	int part, s;

	/* BATCH / 8 sets of 8 blocks, two at a time through the rounds (latency, as above). */
	for (part = 0; part < BATCH / 16; part++) {
		__m256i x0[2], x1[2], x2[2], x3[2];
		uint32_t k0 = key->k0, k1 = key->k1;
		int round;

		for (s = 0; s < 2; s++) {
			x0[s] = _mm256_add_epi32(_mm256_set1_epi32((int)(g + 16u * part + 8u * s)),
			                         lane);
			x1[s] = _mm256_set1_epi32((int)key->c1);
			x2[s] = _mm256_set1_epi32((int)key->c2);
			x3[s] = _mm256_set1_epi32((int)key->c3);
		}
		for (round = 0; round < HETSCHED__PHILOX_ROUNDS; round++) {
			const __m256i kk0 = _mm256_set1_epi32((int)k0);
			const __m256i kk1 = _mm256_set1_epi32((int)k1);

			for (s = 0; s < 2; s++) {
				__m256i hi0, lo0, hi1, lo1;

				mulhilo_avx2(x0[s], m0, &hi0, &lo0);
				mulhilo_avx2(x2[s], m1, &hi1, &lo1);
				x0[s] = _mm256_xor_si256(_mm256_xor_si256(hi1, x1[s]), kk0);
				x2[s] = _mm256_xor_si256(_mm256_xor_si256(hi0, x3[s]), kk1);
				x1[s] = lo1;
				x3[s] = lo0;
			}
			k0 += HETSCHED__PHILOX_W0;
			k1 += HETSCHED__PHILOX_W1;
		}
		for (s = 0; s < 2; s++) {
			__m256i t0, t1, t2, t3, r0, r1, r2, r3;
			uint32_t *out = words + 64 * part + 32 * s;

			/* Within each 128-bit lane L: r0..r3 get blocks 4L..4L+3; then pair the
			 * lanes. */
			t0 = _mm256_unpacklo_epi32(x0[s], x1[s]);
			t1 = _mm256_unpackhi_epi32(x0[s], x1[s]);
			t2 = _mm256_unpacklo_epi32(x2[s], x3[s]);
			t3 = _mm256_unpackhi_epi32(x2[s], x3[s]);
			r0 = _mm256_unpacklo_epi64(t0, t2);
			r1 = _mm256_unpackhi_epi64(t0, t2);
			r2 = _mm256_unpacklo_epi64(t1, t3);
			r3 = _mm256_unpackhi_epi64(t1, t3);
			_mm256_storeu_si256((__m256i *)(out + 0),
			                    _mm256_permute2x128_si256(r0, r1, 0x20));
			_mm256_storeu_si256((__m256i *)(out + 8),
			                    _mm256_permute2x128_si256(r2, r3, 0x20));
			_mm256_storeu_si256((__m256i *)(out + 16),
			                    _mm256_permute2x128_si256(r0, r1, 0x31));
			_mm256_storeu_si256((__m256i *)(out + 24),
			                    _mm256_permute2x128_si256(r2, r3, 0x31));
		}
	}
}
#endif /* x86-64 SIMD */

/* Uniform values of one batch, element by element, with the arithmetic of hetsched__uniform
 * (this file is built with -ffp-contract=off). The top 24 bits of a word convert exactly as a
 * signed int, which every SIMD level converts in one instruction. */
static inline __attribute__((always_inline)) void
uniform_batch(const uint32_t *words, float a, float width, float b, float below, float *out)
{
	int e;

	for (e = 0; e < 4 * BATCH; e++) {
		float v = a + width * ((float)(int32_t)(words[e] >> 8) * HETSCHED__TWO_M24);

		out[e] = v >= b ? below : v;
	}
}

/* Normal values of one batch: Box-Muller is scalar (libm), so that it matches the reference bit
 * for bit; only Philox is vectorised. */
static inline __attribute__((always_inline)) void normal_batch(const uint32_t *words, float mean,
                                                               float std, float *out)
{
	int i;

	for (i = 0; i < BATCH; i++) {
		hetsched__philox4_t w = {
		    {words[4 * i], words[4 * i + 1], words[4 * i + 2], words[4 * i + 3]}};

		hetsched__rand_group4(w, HETSCHED__DIST_NORMAL, mean, std, out + 4 * i);
	}
}

/* One row of the tile: n elements from global (row, col) on, into dst. Whole batches first (the
 * first one through tmp when col % 4 != 0), then the last few blocks one at a time. */
static inline __attribute__((always_inline)) void rand_row(philox_batch_fn philox_batch, float *dst,
                                                           uint32_t n, uint64_t row, uint64_t col,
                                                           const struct hetsched_rand_args *args,
                                                           float below)
{
	const struct batch_key key = {(uint32_t)row, (uint32_t)(row >> 32), args->stream,
	                              (uint32_t)args->seed, (uint32_t)(args->seed >> 32)};
	const int normal = args->dist == HETSCHED__DIST_NORMAL;
	const float width = args->b - args->a;
	uint64_t g = col >> 2;    /* counter block of the next element */
	uint32_t skip = col & 3u; /* elements of that block before the tile */
	uint32_t done = 0;        /* elements written */
	uint32_t words[4 * BATCH];
	float tmp[4 * BATCH];

	while (n - done + skip >= 4 * BATCH) {
		uint32_t count = 4 * BATCH - skip;
		float *out = skip ? tmp : dst + done;

		philox_batch((uint32_t)g, &key, words);
		if (normal)
			normal_batch(words, args->a, args->b, out);
		else
			uniform_batch(words, args->a, width, args->b, below, out);
		if (skip)
			memcpy(dst + done, tmp + skip, count * sizeof(float));
		done += count;
		skip = 0;
		g += BATCH;
	}
	while (done < n) {
		hetsched__philox4_t w =
		    hetsched__philox_block(args->seed, args->stream, row, g << 2);
		uint32_t j;
		float v[4];

		hetsched__rand_group4(w, args->dist, args->a, args->b, v);
		for (j = skip; j < 4 && done < n; j++)
			dst[done++] = v[j];
		skip = 0;
		g++;
	}
}

/* The tile, with one Philox implementation; the target attribute lets the compiler inline the
 * batch function and vectorise the conversion for that instruction set. */
#define RAND_FILL(name, attr, batch)                                                               \
	static attr void name(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld,                   \
	                      const struct hetsched_rand_args *args)                               \
	{                                                                                          \
		const float below = hetsched__below(args->b, args->a);                             \
		uint32_t r;                                                                        \
                                                                                                   \
		for (r = 0; r < ny; r++)                                                           \
			rand_row(batch, ptr + (size_t)r * ld, nx, args->row0 + r, args->col0,      \
			         args, below);                                                     \
	}

RAND_FILL(fill_generic, , philox_batch_generic)
#ifdef RAND_X86_SIMD
RAND_FILL(fill_avx512, AVX512, philox_batch_avx512)
RAND_FILL(fill_avx2, AVX2, philox_batch_avx2)
#endif

int hetsched__rand_cpu_fill_isa(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld,
                                const struct hetsched_rand_args *args, const char *isa)
{
	const int best = !strcmp(isa, "best");

#ifdef RAND_X86_SIMD
	__builtin_cpu_init();
	if (!strcmp(isa, "avx512f") || (best && __builtin_cpu_supports("avx512f"))) {
		if (!__builtin_cpu_supports("avx512f"))
			return -1;
		fill_avx512(ptr, nx, ny, ld, args);
		return 0;
	}
	if (!strcmp(isa, "avx2") || (best && __builtin_cpu_supports("avx2"))) {
		if (!__builtin_cpu_supports("avx2"))
			return -1;
		fill_avx2(ptr, nx, ny, ld, args);
		return 0;
	}
#endif
	if (!best && strcmp(isa, "generic"))
		return -1;
	fill_generic(ptr, nx, ny, ld, args);
	return 0;
}

void hetsched__rand_cpu_fill(float *ptr, uint32_t nx, uint32_t ny, uint32_t ld,
                             const struct hetsched_rand_args *args)
{
	(void)hetsched__rand_cpu_fill_isa(ptr, nx, ny, ld, args, "best");
}
