/* cpu16.c: what the CPU kernels of every mode but "f32 storage, fp32 products" share:
 * per-thread FP32 buffers, 16-bit tiles widened to FP32 (exactly), inputs rounded to the
 * precision of the products, FP32 values stored in 16 bits rounded to nearest even (half.h).
 * A leaf: the codelets call it, it calls none of them. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codelets.h"
#include "half.h"
#include "hetsched.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define LINEAR16_F16C 1
#include <immintrin.h>
#include <cpuid.h>
#endif

/* Per-thread FP32 buffers of the CPU kernels (one per StarPU worker thread), grown as needed and
 * freed when the thread ends. */
#define SCRATCH_SLOTS 2
struct scratch {
	float *p[SCRATCH_SLOTS];
	size_t cap[SCRATCH_SLOTS];
};
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg)
{
	struct scratch *s = arg;

	for (int i = 0; i < SCRATCH_SLOTS; i++)
		free(s->p[i]);
	free(s);
}

static void scratch_init(void)
{
	if (pthread_key_create(&scratch_key, scratch_free) != 0) {
		fprintf(stderr, "%s:%d: pthread_key_create failed\n", __FILE__, __LINE__);
		abort();
	}
}

float *hetsched__cpu_scratch(unsigned slot, size_t floats)
{
	struct scratch *s;

	pthread_once(&scratch_once, scratch_init);
	s = pthread_getspecific(scratch_key);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || pthread_setspecific(scratch_key, s) != 0)
			goto oom;
	}
	if (s->cap[slot] < floats) {
		free(s->p[slot]);
		s->p[slot] = malloc(floats * sizeof(float));
		s->cap[slot] = s->p[slot] ? floats : 0;
		if (!s->p[slot])
			goto oom;
	}
	return s->p[slot];
oom:
	fprintf(stderr, "%s:%d: out of memory for %zu floats of scratch\n", __FILE__, __LINE__,
	        floats);
	abort();
}

#ifdef LINEAR16_F16C
/* binary16 to FP32, eight at a time (exact, subnormals included). */
static __attribute__((target("avx,f16c"))) void widen_f16_f16c(float *dst, const uint16_t *src,
                                                               size_t n)
{
	size_t c = 0;

	for (; c + 8 <= n; c += 8)
		_mm256_storeu_ps(dst + c,
		                 _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + c))));
	for (; c < n; c++)
		dst[c] = hetsched__f32_from_f16(src[c]);
}
#endif

#ifdef LINEAR16_F16C
/* bfloat16 to FP32 is a shift of the bits: 16 (AVX-512) or 8 (AVX2) at a time. */
static __attribute__((target("avx512f"))) void widen_bf16_avx512(float *dst, const uint16_t *src,
                                                                 size_t n)
{
	size_t c = 0;

	for (; c + 16 <= n; c += 16)
		_mm512_storeu_si512(
		    dst + c,
		    _mm512_slli_epi32(
		        _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + c))), 16));
	for (; c < n; c++)
		dst[c] = hetsched__f32_from_bits((uint32_t)src[c] << 16);
}

static __attribute__((target("avx2"))) void widen_bf16_avx2(float *dst, const uint16_t *src,
                                                            size_t n)
{
	size_t c = 0;

	for (; c + 8 <= n; c += 8)
		_mm256_storeu_si256(
		    (__m256i *)(dst + c),
		    _mm256_slli_epi32(
		        _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + c))), 16));
	for (; c < n; c++)
		dst[c] = hetsched__f32_from_bits((uint32_t)src[c] << 16);
}
#endif

/* What this CPU has, asked once: 1 AVX2 (and F16C), 2 AVX-512F too; 0 neither. */
static int simd_level(void)
{
	static int level = -1;

#ifdef LINEAR16_F16C
	if (level < 0) {
		/* F16C from CPUID leaf 1 (ECX): clang's __builtin_cpu_supports has no "f16c". */
		unsigned eax, ebx, ecx = 0, edx;
		int f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);

		__builtin_cpu_init();
		level = !__builtin_cpu_supports("avx2") || !f16c ? 0
		        : __builtin_cpu_supports("avx512f")      ? 2
		                                                 : 1;
	}
#else
	level = 0;
#endif
	return level;
}

/* One row: n stored values to FP32. */
static void widen_row(float *dst, const void *src, size_t n, uint32_t dtype)
{
	const int simd = simd_level();

	if (dtype == HETSCHED_DTYPE_BF16) {
		const uint16_t *s = src;

#ifdef LINEAR16_F16C
		if (simd == 2) {
			widen_bf16_avx512(dst, s, n);
			return;
		}
		if (simd == 1) {
			widen_bf16_avx2(dst, s, n);
			return;
		}
#endif
		for (size_t c = 0; c < n; c++)
			dst[c] = hetsched__f32_from_bits((uint32_t)s[c] << 16);
	} else if (dtype == HETSCHED_DTYPE_F16) {
#ifdef LINEAR16_F16C
		if (simd) {
			widen_f16_f16c(dst, src, n);
			return;
		}
#endif
		for (size_t c = 0; c < n; c++)
			dst[c] = hetsched__f32_from_f16(((const uint16_t *)src)[c]);
	} else {
		memcpy(dst, src, n * sizeof(float));
	}
}

/* The precision a value stored in \p dtype is rounded to before the products: 0 for none. */
static uint32_t rounding(uint32_t dtype, uint32_t precision)
{
	if (precision == HETSCHED_PRECISION_BF16 && dtype != HETSCHED_DTYPE_BF16)
		return HETSCHED_DTYPE_BF16;
	if (precision == HETSCHED_PRECISION_FP16 && dtype != HETSCHED_DTYPE_F16)
		return HETSCHED_DTYPE_F16;
	return 0;
}

int hetsched__cpu_rounds(uint32_t dtype, uint32_t precision)
{
	return rounding(dtype, precision) != 0;
}

void hetsched__cpu_widen(float *dst, size_t ldd, const void *src, size_t lds, size_t rows,
                         size_t cols, uint32_t dtype, uint32_t precision)
{
	const size_t elem = dtype == HETSCHED_DTYPE_F32 ? 4 : 2;
	const uint32_t to = rounding(dtype, precision);

	for (size_t r = 0; r < rows; r++) {
		float *d = dst + r * ldd;

		widen_row(d, (const char *)src + r * lds * elem, cols, dtype);
		if (to == HETSCHED_DTYPE_BF16)
			for (size_t c = 0; c < cols; c++)
				d[c] = hetsched__round_bf16(d[c]);
		else if (to == HETSCHED_DTYPE_F16)
			for (size_t c = 0; c < cols; c++)
				d[c] = hetsched__round_f16(d[c]);
	}
}

void hetsched__cpu_store(void *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                         size_t cols, uint32_t dtype)
{
	for (size_t r = 0; r < rows; r++) {
		const float *s = src + r * lds;

		if (dtype == HETSCHED_DTYPE_BF16) {
			uint16_t *d = (uint16_t *)dst + r * ldd;

			for (size_t c = 0; c < cols; c++)
				d[c] = hetsched__bf16_from_f32(s[c]);
		} else if (dtype == HETSCHED_DTYPE_F16) {
			uint16_t *d = (uint16_t *)dst + r * ldd;

			for (size_t c = 0; c < cols; c++)
				d[c] = hetsched__f16_from_f32(s[c]);
		} else {
			memcpy((float *)dst + r * ldd, s, cols * sizeof(float));
		}
	}
}
