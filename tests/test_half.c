/* test_half.c: the 16-bit storage of codelets/half.h and the dtype and precision names.
 *
 * - FP32 -> bfloat16 and -> binary16 against an independent reference: the value rounded in
 *   double arithmetic (nearbyint, ties to even, at the format's exponent and subnormal limit),
 *   over a stride through all 2^32 bit patterns plus the edges (ties, the largest finite, the
 *   overflow threshold, subnormals, signed zeros, infinities, NaN);
 * - 16-bit -> FP32 exact for all 65536 patterns of each format (ldexp of the fields);
 * - the names of hetsched.h, with numpy's, PyTorch's and torch.set_float32_matmul_precision's.
 */
#include "config.h"

#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "half.h"
#include "hetsched.h"
#include "tap.h"

/* x rounded to nearest-even with mant_bits explicit significand bits, exponents down to emin
 * (below: subnormal, a fixed quantum 2^(emin - mant_bits)), overflowing above max. */
static double ref_round(double x, int mant_bits, int emin, double max, double overflow)
{
	int e;
	double q, a = fabs(x);

	if (isnan(x) || isinf(x) || a == 0)
		return x;
	if (a >= overflow)
		return copysign(INFINITY, x);
	(void)frexp(a, &e); /* a = f 2^e, f in [0.5, 1): exponent of the leading bit is e - 1 */
	e -= 1;
	if (e < emin)
		e = emin;
	q = ldexp(nearbyint(ldexp(a, mant_bits - e)), e - mant_bits);
	(void)max;
	return copysign(q, x);
}

static double ref_f16(float f)
{
	/* binary16: 10 bits, emin -14, max 65504; values >= 65520 round to infinity */
	return ref_round(f, 10, -14, 65504.0, 65520.0);
}

static double ref_bf16(float f)
{
	/* bfloat16: 7 bits, FP32's range; values >= 2^128 (1 - 2^-9) round to infinity */
	return ref_round(f, 7, -133 + 7, 0x1.fep127, ldexp(1.0, 128) * (1.0 - ldexp(1.0, -9)));
}

static int same(double want, float got)
{
	if (isnan(want))
		return isnan(got);
	return want == (double)got && !signbit(want) == !signbit(got);
}

static void check_pattern(uint32_t u, long *bad_bf, long *bad_h, uint32_t *first_bf,
                          uint32_t *first_h)
{
	float f = hetsched__f32_from_bits(u);
	float bf = hetsched__f32_from_bf16(hetsched__bf16_from_f32(f));
	float h = hetsched__f32_from_f16(hetsched__f16_from_f32(f));

	if (!same(ref_bf16(f), bf) && (*bad_bf)++ == 0)
		*first_bf = u;
	if (!same(ref_f16(f), h) && (*bad_h)++ == 0)
		*first_h = u;
}

static void rounding(void)
{
	static const float edges[] = {0.0f,
	                              -0.0f,
	                              1.0f,
	                              1.00390625f,
	                              1.01171875f,
	                              1.00048828125f,
	                              1.00146484375f,
	                              65504.0f,
	                              65519.99f,
	                              65520.0f,
	                              0x1p-24f,
	                              0x1p-25f,
	                              0x1.8p-25f,
	                              0x1p-26f,
	                              0x1.ffcp-15f,
	                              0x1p-14f,
	                              3.0e38f,
	                              0x1.fefffep127f,
	                              0x1.ff0000p127f,
	                              1e-40f,
	                              INFINITY,
	                              -INFINITY,
	                              NAN,
	                              -1.5f};
	long bad_bf = 0, bad_h = 0;
	uint32_t first_bf = 0, first_h = 0;

	fesetround(FE_TONEAREST);
	for (uint64_t u = 0; u < 0x100000000ull; u += 251)
		check_pattern((uint32_t)u, &bad_bf, &bad_h, &first_bf, &first_h);
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		check_pattern(hetsched__f32_bits(edges[i]), &bad_bf, &bad_h, &first_bf, &first_h);
		check_pattern(hetsched__f32_bits(-edges[i]), &bad_bf, &bad_h, &first_bf, &first_h);
	}
	tap_ok(bad_bf == 0, "FP32 -> bfloat16 rounds to nearest even (%ld differ; first %08x)",
	       bad_bf, (unsigned)first_bf);
	tap_ok(bad_h == 0,
	       "FP32 -> binary16 rounds to nearest even, subnormals and overflow "
	       "included (%ld differ; first %08x)",
	       bad_h, (unsigned)first_h);
}

static void widening(void)
{
	long bad_bf = 0, bad_h = 0;

	for (uint32_t h = 0; h < 0x10000; h++) {
		int e = (h >> 10) & 0x1f, m = h & 0x3ff;
		double v = e == 0    ? ldexp(m, -24)
		           : e == 31 ? (m ? NAN : INFINITY)
		                     : ldexp(1024 + m, e - 25);
		float got = hetsched__f32_from_f16((uint16_t)h);
		int eb = (h >> 7) & 0xff, mb = h & 0x7f;
		double vb = eb == 0     ? ldexp(mb, -133)
		            : eb == 255 ? (mb ? NAN : INFINITY)
		                        : ldexp(128 + mb, eb - 134);
		float gotb = hetsched__f32_from_bf16((uint16_t)h);

		if (h & 0x8000) {
			v = -v;
			vb = -vb;
		}
		bad_h += !same(v, got);
		bad_bf += !same(vb, gotb);
		/* and back: every non-NaN 16-bit value is a fixed point of the round trip */
		if (!isnan(got))
			bad_h += hetsched__f16_from_f32(got) != h;
		if (!isnan(gotb))
			bad_bf += hetsched__bf16_from_f32(gotb) != h;
	}
	tap_ok(bad_h == 0, "binary16 -> FP32 exact and back, all 65536 patterns (%ld differ)",
	       bad_h);
	tap_ok(bad_bf == 0, "bfloat16 -> FP32 exact and back, all 65536 patterns (%ld differ)",
	       bad_bf);
}

static void names(void)
{
	static const struct {
		const char *name;
		int dtype;
	} dtypes[] = {{"f32", HETSCHED_DTYPE_F32},   {"float32", HETSCHED_DTYPE_F32},
	              {"BF16", HETSCHED_DTYPE_BF16}, {"bfloat16", HETSCHED_DTYPE_BF16},
	              {"f16", HETSCHED_DTYPE_F16},   {"float16", HETSCHED_DTYPE_F16},
	              {"half", HETSCHED_DTYPE_F16}};
	static const struct {
		const char *name;
		int precision;
	} precisions[] = {{"fp32", HETSCHED_PRECISION_FP32}, {"highest", HETSCHED_PRECISION_FP32},
	                  {"tf32", HETSCHED_PRECISION_TF32}, {"high", HETSCHED_PRECISION_TF32},
	                  {"bf16", HETSCHED_PRECISION_BF16}, {"Medium", HETSCHED_PRECISION_BF16},
	                  {"fp16", HETSCHED_PRECISION_FP16}};
	enum hetsched_dtype d;
	enum hetsched_precision p;
	int bad = 0;

	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		bad += hetsched_dtype_parse(dtypes[i].name, &d) != 0 || (int)d != dtypes[i].dtype;
	for (int i = 0; i < HETSCHED_NDTYPES; i++)
		bad += hetsched_dtype_parse(hetsched_dtype_name((enum hetsched_dtype)i), &d) != 0 ||
		       (int)d != i;
	tap_ok(bad == 0 && hetsched_dtype_size(HETSCHED_DTYPE_F32) == 4 &&
	           hetsched_dtype_size(HETSCHED_DTYPE_BF16) == 2 &&
	           hetsched_dtype_size(HETSCHED_DTYPE_F16) == 2,
	       "dtype names, aliases and sizes (%d wrong)", bad);
	tap_ok(hetsched_dtype_parse("f64", &d) == HETSCHED_EINVAL &&
	           strstr(hetsched_last_error(), "'f64'") != NULL,
	       "an unknown dtype is refused by name: %s", hetsched_last_error());
	bad = 0;
	for (size_t i = 0; i < sizeof(precisions) / sizeof(precisions[0]); i++)
		bad += hetsched_precision_parse(precisions[i].name, &p) != 0 ||
		       (int)p != precisions[i].precision;
	for (int i = 0; i < HETSCHED_NPRECISIONS; i++)
		bad += hetsched_precision_parse(hetsched_precision_name((enum hetsched_precision)i),
		                                &p) != 0 ||
		       (int)p != i;
	tap_ok(bad == 0, "precision names and PyTorch's matmul precisions (%d wrong)", bad);
	tap_ok(hetsched_precision_parse("int8", &p) == HETSCHED_EINVAL &&
	           strstr(hetsched_last_error(), "'int8'") != NULL,
	       "an unknown precision is refused by name: %s", hetsched_last_error());
}

int main(void)
{
	rounding();
	widening();
	names();
	return tap_done();
}
