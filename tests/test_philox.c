/* test_philox.c: checks the counter-based generator of the rand codelet.
 *
 * - Philox4x32-10 against the known-answer vectors of Random123 (kat_vectors);
 * - each implementation of the vectorised CPU kernel (AVX-512, AVX2, plain C: whichever this CPU
 *   runs) against the one-element reference (hetsched__ref_rand), bit for bit, for uniform and
 *   normal, at odd tile offsets (col0 % 4 != 0, rows past 2^32, counters that wrap), ragged sizes
 *   and padded leading dimensions;
 * - tiling invariance, range [a, b) including values that round up to b, distinct streams/seeds;
 * - statistics of 10^6 samples: mean and variance, chi-square on 100 bins (uniform), moments and
 *   Kolmogorov-Smirnov distance (normal). The seed is fixed, so the outcome is deterministic; the
 *   bounds are set at about 5 standard deviations (p ~ 1e-6 for a good generator).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codelets.h"
#include "hetsched.h"
#include "philox.h"
#include "reference.h"
#include "tap.h"

#define NSAMPLES 1000000

static void kat(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
                uint32_t e0, uint32_t e1, uint32_t e2, uint32_t e3, const char *name)
{
	hetsched__philox4_t ctr = {{c0, c1, c2, c3}};
	hetsched__philox4_t out = hetsched__philox4x32_10(ctr, k0, k1);

	TAP_EQ_U32_HEX(out.v[0], e0, "Philox4x32-10 KAT %s, word 0", name);
	TAP_EQ_U32_HEX(out.v[1], e1, "Philox4x32-10 KAT %s, word 1", name);
	TAP_EQ_U32_HEX(out.v[2], e2, "Philox4x32-10 KAT %s, word 2", name);
	TAP_EQ_U32_HEX(out.v[3], e3, "Philox4x32-10 KAT %s, word 3", name);
}

static void kat_vectors(void)
{
	kat(0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8, "zero");
	kat(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
	    0x41c83b0e, 0xa20bc7c6, 0x6d5451fd, "ones");
	kat(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
	    0x94fdcceb, 0x5001e420, 0x24126ea1, "pi");
	/* The seed is the key, low word first; the counter is (col >> 2, row, row >> 32, stream).
	 */
	{
		hetsched__philox4_t w =
		    hetsched__philox_block(0x299f31d0a4093822ull, 0x03707344u,
		                           0x13198a2e85a308d3ull, (uint64_t)0x243f6a88u << 2 | 3u);

		TAP_EQ_U32_HEX(w.v[3], 0x24126ea1, "philox_block maps (seed, stream, row, col)");
	}
}

static struct hetsched_rand_args rand_args(uint64_t seed, uint32_t stream, uint32_t dist, float a,
                                           float b, uint64_t row0, uint64_t col0)
{
	struct hetsched_rand_args args;

	memset(&args, 0, sizeof(args));
	args.seed = seed;
	args.stream = stream;
	args.dist = dist;
	args.a = a;
	args.b = b;
	args.row0 = row0;
	args.col0 = col0;
	return args;
}

/* Fill a rows x cols tile with one implementation of the CPU kernel and with the reference,
 * leading dimension cols + pad, and count the elements that differ bit-wise (the padding must be
 * left alone). Returns -1 when this CPU lacks the implementation. */
static long compare_tile(const char *isa, const struct hetsched_rand_args *args, uint32_t rows,
                         uint32_t cols, uint32_t pad)
{
	const uint32_t ld = cols + pad;
	const size_t size = (size_t)rows * ld;
	float *fast = malloc(size * sizeof(float)), *ref = malloc(size * sizeof(float));
	size_t i, bad = 0, first_bad = 0;
	long rc;

	if (!fast || !ref) {
		free(fast);
		free(ref);
		return (long)size;
	}
	for (i = 0; i < size; i++)
		fast[i] = ref[i] = -12345.0f; /* sentinel in the padding */
	if (hetsched__rand_cpu_fill_isa(fast, cols, rows, ld, args, isa) != 0) {
		free(fast);
		free(ref);
		return -1;
	}
	hetsched__ref_rand(ref, ld, rows, cols, args->row0, args->col0, args);
	for (i = 0; i < size; i++)
		if (memcmp(&fast[i], &ref[i], sizeof(float)) != 0 && bad++ == 0)
			first_bad = i;
	if (bad)
		tap_diag("  %s: %ux%u tile at (%" PRIu64 ", %" PRIu64 "), ld %u: %zu elements "
		         "differ; first at (%zu, %zu): %.9g vs %.9g",
		         isa, rows, cols, args->row0, args->col0, ld, bad, first_bad / ld,
		         first_bad % ld, fast[first_bad], ref[first_bad]);
	rc = (long)bad;
	free(fast);
	free(ref);
	return rc;
}

/* Every implementation of the CPU kernel (AVX-512, AVX2, plain C) against the reference. */
static void kernel_vs_reference(void)
{
	static const char *const isas[] = {"avx512f", "avx2", "generic", "best"};
	static const struct {
		uint32_t dist;
		float a, b;
	} dists[] = {
	    {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f},        {HETSCHED_DIST_UNIFORM, -1.0f, 1.0f},
	    {HETSCHED_DIST_UNIFORM, -0.0625f, 0.0625f}, /* nn.Linear's bound for 256 inputs */
	    {HETSCHED_DIST_UNIFORM, 1.0f, 2.0f},        /* a + (b - a) u rounds up to b */
	    {HETSCHED_DIST_UNIFORM, 1000.0f, 1000.5f},  {HETSCHED_DIST_NORMAL, 0.0f, 1.0f},
	    {HETSCHED_DIST_NORMAL, 3.0f, 0.25f},
	};
	/* Offsets with col0 % 4 = 0..3, widths around the 128-element batch, padded rows. */
	static const struct {
		uint64_t row0, col0;
		uint32_t rows, cols, pad;
	} tiles[] = {
	    {0, 0, 7, 256, 0},
	    {0, 1, 3, 1, 2},
	    {5, 2, 4, 2, 0},
	    {9, 3, 5, 3, 1},
	    {17, 7, 3, 65, 3},
	    {1, 5, 2, 127, 0},
	    {2, 6, 2, 128, 5},
	    {3, 4, 1, 129, 0},
	    {4, 125, 2, 300, 0},
	    {100, 1001, 9, 1000, 11},
	    {0xffffffffull, 3, 3, 130, 0},                 /* rows cross 2^32: counter word 2 */
	    {0x123456789ull, (1ull << 34) - 9, 2, 400, 0}, /* col >> 2 wraps modulo 2^32 */
	};
	size_t s, d, t;

	for (s = 0; s < sizeof(isas) / sizeof(isas[0]); s++)
		for (d = 0; d < sizeof(dists) / sizeof(dists[0]); d++) {
			long bad = 0, rc = 0;

			for (t = 0; t < sizeof(tiles) / sizeof(tiles[0]) && rc >= 0; t++) {
				struct hetsched_rand_args args =
				    rand_args(0x0123456789abcdefull + d, (uint32_t)t, dists[d].dist,
				              dists[d].a, dists[d].b, tiles[t].row0, tiles[t].col0);

				rc = compare_tile(isas[s], &args, tiles[t].rows, tiles[t].cols,
				                  tiles[t].pad);
				bad += rc > 0 ? rc : 0;
			}
			if (rc < 0)
				tap_skip("CPU kernel %s: not on this CPU", isas[s]);
			else
				tap_ok(bad == 0,
				       "CPU kernel %s, %s(%g, %g) == reference bit for bit on %zu "
				       "tiles (%ld elements differ)",
				       isas[s],
				       dists[d].dist == HETSCHED_DIST_NORMAL ? "normal" : "uniform",
				       dists[d].a, dists[d].b, sizeof(tiles) / sizeof(tiles[0]),
				       bad);
		}
}

/* The whole tensor, filled at once and tile by tile with uneven tiles, is the same. */
static void tiling_invariance(void)
{
	const uint32_t rows = 37, cols = 301;
	static const uint32_t tr[] = {1, 5, 16, 37}, tc[] = {1, 3, 64, 301};
	float *whole = malloc((size_t)rows * cols * sizeof(float));
	float *tiled = malloc((size_t)rows * cols * sizeof(float));
	uint32_t dist;
	size_t s;

	for (dist = 0; dist < 2; dist++) {
		struct hetsched_rand_args args = rand_args(42, 7, dist, -2.0f, 3.0f, 0, 0);

		hetsched__rand_cpu_fill(whole, cols, rows, cols, &args);
		for (s = 0; s < 4; s++) {
			uint32_t r, c;

			memset(tiled, 0, (size_t)rows * cols * sizeof(float));
			for (r = 0; r < rows; r += tr[s])
				for (c = 0; c < cols; c += tc[s]) {
					uint32_t h = rows - r < tr[s] ? rows - r : tr[s];
					uint32_t w = cols - c < tc[s] ? cols - c : tc[s];

					args.row0 = r;
					args.col0 = c;
					hetsched__rand_cpu_fill(tiled + (size_t)r * cols + c, w, h,
					                        cols, &args);
				}
			tap_ok(memcmp(whole, tiled, (size_t)rows * cols * sizeof(float)) == 0,
			       "%s: %ux%u tiles give the tensor of one %ux%u tile",
			       dist ? "normal" : "uniform", tr[s], tc[s], rows, cols);
		}
	}
	free(whole);
	free(tiled);
}

static float *draw(uint64_t seed, uint32_t stream, uint32_t dist, float a, float b)
{
	/* 1000 x 1000, the shape of a tensor (the statistics see rows and columns alike). */
	float *v = malloc(NSAMPLES * sizeof(float));
	struct hetsched_rand_args args = rand_args(seed, stream, dist, a, b, 0, 0);

	if (v)
		hetsched__rand_cpu_fill(v, 1000, NSAMPLES / 1000, 1000, &args);
	return v;
}

static void moments(const float *v, size_t n, double *mean, double *var, double *skew,
                    double *exkurt)
{
	double s = 0, m2 = 0, m3 = 0, m4 = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += v[i];
	*mean = s / n;
	for (i = 0; i < n; i++) {
		double d = v[i] - *mean;

		m2 += d * d;
		m3 += d * d * d;
		m4 += d * d * d * d;
	}
	m2 /= n;
	m3 /= n;
	m4 /= n;
	*var = m2;
	*skew = m3 / pow(m2, 1.5);
	*exkurt = m4 / (m2 * m2) - 3.0;
}

static void uniform_range(void)
{
	static const float bounds[][2] = {{0.0f, 1.0f}, {1.0f, 2.0f}, {-3.0f, -2.5f}};
	size_t t, i;

	for (t = 0; t < sizeof(bounds) / sizeof(bounds[0]); t++) {
		float a = bounds[t][0], b = bounds[t][1];
		float *v = draw(99, 0, HETSCHED_DIST_UNIFORM, a, b);
		size_t out = 0;
		float lo = INFINITY, hi = -INFINITY;

		if (!v) {
			tap_ok(0, "out of memory");
			continue;
		}
		for (i = 0; i < NSAMPLES; i++) {
			if (!(v[i] >= a && v[i] < b))
				out++;
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
		if (!tap_ok(out == 0, "uniform [%g, %g): all 10^6 values inside", a, b))
			tap_diag("  %zu outside; min %.9g max %.9g", out, lo, hi);
		free(v);
	}
}

/* In [1, 2), 1 + u rounds up to 2 for the largest u, 1 - 2^-24 (a tie, to even): that value
 * must become nextafterf(2, 1). Find an element whose word has its top 24 bits set (one in 2^24)
 * and draw it through the CPU kernel. */
static void uniform_round_up(void)
{
	const uint64_t seed = 77;
	uint64_t g;
	unsigned j = 0;

	TAP_CMP_DBL(hetsched__uniform(0xffffffffu, 1.0f, 2.0f, nextafterf(2.0f, 1.0f)), ==,
	            nextafterf(2.0f, 1.0f), "uniform [1, 2): the top word gives nextafterf(2, 1)");
	for (g = 0; g < (1u << 26); g++) {
		hetsched__philox4_t w = hetsched__philox_block(seed, 0, 0, g << 2);

		for (j = 0; j < 4; j++)
			if ((w.v[j] >> 8) == 0xffffffu)
				break;
		if (j < 4)
			break;
	}
	if (!tap_ok(g < (1u << 26), "found an element with a top word"))
		return;
	{
		/* A 3 x 70 tile around it, starting at an odd column. */
		uint64_t col = g * 4 + j;
		struct hetsched_rand_args args = rand_args(seed, 0, HETSCHED_DIST_UNIFORM, 1.0f,
		                                           2.0f, 0, col > 33 ? col - 33 : 0);
		float tile[3 * 70];

		hetsched__rand_cpu_fill(tile, 70, 3, 70, &args);
		TAP_CMP_DBL(tile[col - args.col0], ==, nextafterf(2.0f, 1.0f),
		            "uniform [1, 2): CPU kernel clamps element (0, %" PRIu64 ") below 2",
		            col);
	}
}

static void uniform_statistics(void)
{
	float *v = draw(2024, 3, HETSCHED_DIST_UNIFORM, 0.0f, 1.0f);
	double mean, var, skew, exkurt, chi2 = 0, expected = NSAMPLES / 100.0;
	size_t bins[100] = {0}, i;

	if (!v) {
		tap_ok(0, "out of memory");
		return;
	}
	moments(v, NSAMPLES, &mean, &var, &skew, &exkurt);
	/* sd of the mean: sqrt(1/12 / n) = 2.9e-4; of the variance: sqrt((1/80 - 1/144) / n) =
	 * 7.5e-5. */
	TAP_NEAR(mean, 0.5, 5 * 2.9e-4, "uniform [0, 1): mean of 10^6 samples");
	TAP_NEAR(var, 1.0 / 12.0, 5 * 7.5e-5, "uniform [0, 1): variance of 10^6 samples");
	for (i = 0; i < NSAMPLES; i++)
		bins[(size_t)(v[i] * 100.0f) < 100 ? (size_t)(v[i] * 100.0f) : 99]++;
	for (i = 0; i < 100; i++)
		chi2 += (bins[i] - expected) * (bins[i] - expected) / expected;
	/* 99 degrees of freedom: P(chi2 > 181) ~ P(chi2 < 45.7) ~ 1e-6 (Wilson-Hilferty). */
	TAP_CMP_DBL(chi2, <, 181.0, "uniform [0, 1): chi-square on 100 bins not too large");
	TAP_CMP_DBL(chi2, >, 45.7, "uniform [0, 1): chi-square on 100 bins not too small");
	free(v);
}

static int cmp_float(const void *pa, const void *pb)
{
	float a = *(const float *)pa, b = *(const float *)pb;

	return (a > b) - (a < b);
}

static void normal_statistics(void)
{
	float *v = draw(2025, 1, HETSCHED_DIST_NORMAL, 0.0f, 1.0f);
	double mean, var, skew, exkurt, ks = 0;
	size_t i, nonfinite = 0;

	if (!v) {
		tap_ok(0, "out of memory");
		return;
	}
	for (i = 0; i < NSAMPLES; i++)
		nonfinite += !isfinite(v[i]);
	TAP_EQ_INT(nonfinite, 0, "normal(0, 1): every value finite");
	moments(v, NSAMPLES, &mean, &var, &skew, &exkurt);
	/* sd of mean 1/sqrt(n), variance sqrt(2/n), skewness sqrt(6/n), excess kurtosis
	 * sqrt(24/n). */
	TAP_NEAR(mean, 0.0, 5 * 1e-3, "normal(0, 1): mean of 10^6 samples");
	TAP_NEAR(var, 1.0, 5 * 1.42e-3, "normal(0, 1): variance");
	TAP_NEAR(skew, 0.0, 5 * 2.45e-3, "normal(0, 1): skewness");
	TAP_NEAR(exkurt, 0.0, 5 * 4.9e-3, "normal(0, 1): excess kurtosis");
	/* Kolmogorov-Smirnov: P(sqrt(n) D > 2.69) ~ 2 exp(-2 * 2.69^2) ~ 1e-6. */
	qsort(v, NSAMPLES, sizeof(float), cmp_float);
	for (i = 0; i < NSAMPLES; i++) {
		double cdf = 0.5 * erfc(-v[i] / sqrt(2.0));
		double lo = cdf - (double)i / NSAMPLES, hi = (double)(i + 1) / NSAMPLES - cdf;

		ks = lo > ks ? lo : ks;
		ks = hi > ks ? hi : ks;
	}
	TAP_CMP_DBL(ks * sqrt((double)NSAMPLES), <, 2.69,
	            "normal(0, 1): Kolmogorov-Smirnov sqrt(n) D");
	free(v);

	v = draw(2025, 2, HETSCHED_DIST_NORMAL, 3.0f, 2.0f);
	if (!v) {
		tap_ok(0, "out of memory");
		return;
	}
	moments(v, NSAMPLES, &mean, &var, &skew, &exkurt);
	TAP_NEAR(mean, 3.0, 5 * 2e-3, "normal(3, 2): mean");
	TAP_NEAR(var, 4.0, 5 * 4 * 1.42e-3, "normal(3, 2): variance");
	free(v);
}

/* Streams and both halves of the seed select different sequences. */
static void streams_and_seeds(void)
{
	const size_t n = 4096;
	float *ref = malloc(n * sizeof(float)), *other = malloc(n * sizeof(float));
	struct hetsched_rand_args base = rand_args(5, 0, HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 0, 0);
	struct hetsched_rand_args vary[3];
	static const char *what[3] = {"stream", "seed's low word", "seed's high word"};
	size_t t, i, same;

	vary[0] = base;
	vary[0].stream = 1;
	vary[1] = base;
	vary[1].seed = 6;
	vary[2] = base;
	vary[2].seed = 5 + (1ull << 32);
	hetsched__rand_cpu_fill(ref, (uint32_t)n, 1, (uint32_t)n, &base);
	for (t = 0; t < 3; t++) {
		hetsched__rand_cpu_fill(other, (uint32_t)n, 1, (uint32_t)n, &vary[t]);
		for (i = 0, same = 0; i < n; i++)
			same += ref[i] == other[i];
		/* Two independent 24-bit values agree with probability 2^-24. */
		TAP_CMP_DBL(same, <=, 2, "another %s gives another sequence", what[t]);
	}
	free(ref);
	free(other);
}

int main(void)
{
	kat_vectors();
	kernel_vs_reference();
	tiling_invariance();
	streams_and_seeds();
	uniform_range();
	uniform_round_up();
	uniform_statistics();
	normal_statistics();
	return tap_done();
}
