/* test_rand16.c: 16-bit tensors (dtype bf16 and f16). rand stores each element's FP32 value
 * rounded to nearest even: every element equals the rounded plain reference (hetsched__ref_rand),
 * bit for bit, whatever the tiling (edge tiles, rows longer than the CPU kernel's chunk), on
 * every worker set of the world (normal values computed by a device may differ from the CPU's
 * in their last FP32 bits, so there they may round to the neighbouring 16-bit value). And
 * hetsched_tensor_from_host / hetsched_tensor_data round-trip to the rounded values, with
 * hetsched_tensor_dtype() saying the conf's dtype. */
#include "config.h"

#include <stdint.h>

#include "codelets.h"
#include "half.h"
#include "hs_numerics.h"
#include "reference.h"

#define ROWS 300
#define COLS 257

/* Distance between two 16-bit values, in units of the 16-bit format (same sign assumed). */
static uint32_t dist16(enum hetsched_dtype dtype, float a, float b)
{
	int32_t ia, ib;

	if (dtype == HETSCHED_DTYPE_BF16) {
		ia = hetsched__bf16_from_f32(a);
		ib = hetsched__bf16_from_f32(b);
	} else {
		ia = hetsched__f16_from_f32(a);
		ib = hetsched__f16_from_f32(b);
	}
	ia = ia & 0x8000 ? -(ia & 0x7fff) : ia;
	ib = ib & 0x8000 ? -(ib & 0x7fff) : ib;
	return ia > ib ? (uint32_t)(ia - ib) : (uint32_t)(ib - ia);
}

/* Elements of a (rows x cols) that differ from the rounded reference: bitwise when exact,
 * else by more than one 16-bit unit. */
static size_t count_bad(enum hetsched_dtype dtype, const float *a, const float *ref, size_t n,
                        int exact)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		float want = hs_round_to(dtype, ref[i]);

		if (exact)
			bad += memcmp(&a[i], &want, 4) != 0;
		else
			bad += dist16(dtype, a[i], want) > 1;
	}
	return bad;
}

static float *make(const struct hetsched_rand_spec *spec, size_t rows, size_t cols, size_t tr,
                   size_t tc, enum hetsched_dtype dtype)
{
	hetsched_tensor_t t;
	float *copy;

	HS_CHECK(hetsched_tensor_create(&t, rows, cols, tr, tc));
	tap_ok(hetsched_tensor_dtype(t) == dtype, "tensor_dtype says %s",
	       hetsched_dtype_name(hetsched_tensor_dtype(t)));
	HS_CHECK(hetsched_tensor_rand(t, spec));
	copy = hs_gather(t);
	hetsched_tensor_destroy(t);
	return copy;
}

static float *reference(const struct hetsched_rand_spec *spec, size_t rows, size_t cols)
{
	struct hetsched_rand_args args = {
	    spec->seed, spec->stream, (uint32_t)spec->dist, spec->a, spec->b, 0, 0, 0};
	float *out = malloc(rows * cols * sizeof(float));

	hetsched__ref_rand(out, cols, rows, cols, 0, 0, &args);
	return out;
}

int main(void)
{
	static const size_t tiles[][2] = {{ROWS, COLS}, {7, 13}, {64, 64}};
	static const enum hetsched_dtype dtypes[] = {HETSCHED_DTYPE_BF16, HETSCHED_DTYPE_F16};
	const struct hetsched_rand_spec uniform = {HETSCHED_DIST_UNIFORM, -0.5f, 2.0f, 42, 3};
	/* Wide enough that f16 meets its subnormals and large values. */
	const struct hetsched_rand_spec normal = {HETSCHED_DIST_NORMAL, 1.0f, 300.0f, 7, 0};
	const struct hetsched_rand_spec tiny = {HETSCHED_DIST_NORMAL, 0.0f, 1e-5f, 9, 1};
	float *ref_u = reference(&uniform, ROWS, COLS), *ref_n = reference(&normal, ROWS, COLS);
	float *ref_t = reference(&tiny, 5, 2500);
	enum hs_workers sets[3];
	int nsets = hs_worker_sets(sets);

	int plan = 0;

	for (int s = 0; s < nsets; s++)
		for (int d = 0; d < 2; d++)
			plan +=
			    hs_numerics_nodev(sets[s], dtypes[d], HETSCHED_PRECISION_FP32) ? 4 : 13;
	tap_plan(plan);
	for (int s = 0; s < nsets; s++)
		for (int d = 0; d < 2; d++) {
			const enum hetsched_dtype dtype = dtypes[d];
			const char *ws = hs_workers_name(sets[s]), *dn = hetsched_dtype_name(dtype);
			const int cpu = sets[s] == HS_CPU_ONLY;

			hs_start_numerics("dmda", sets[s], dtype, HETSCHED_PRECISION_FP32);
			if (hs_numerics_nodev(sets[s], dtype, HETSCHED_PRECISION_FP32)) {
				/* No worker can store 16-bit values: a clear error, not a hang. */
				hetsched_tensor_t t;
				int rc;

				HS_CHECK(hetsched_tensor_create(&t, 10, 10, 4, 4));
				rc = hetsched_tensor_rand(t, &uniform);
				tap_ok(rc == HETSCHED_ENODEV &&
				           strstr(hetsched_last_error(), "needs a CPU worker"),
				       "%s %s: rand refused (%s: %s)", ws, dn,
				       hetsched_strerror(rc), hetsched_last_error());
				hetsched_tensor_destroy(t);
				goto from_host;
			}
			for (size_t t = 0; t < 3; t++) {
				float *u =
				    make(&uniform, ROWS, COLS, tiles[t][0], tiles[t][1], dtype);
				size_t bad = count_bad(dtype, u, ref_u, ROWS * COLS, 1);

				tap_ok(bad == 0,
				       "%s %s: uniform = rounded reference, %zux%zu tiles (%zu "
				       "differ)",
				       ws, dn, tiles[t][0], tiles[t][1], bad);
				free(u);
			}
			{
				float *n = make(&normal, ROWS, COLS, 7, 13, dtype);
				size_t bad = count_bad(dtype, n, ref_n, ROWS * COLS, cpu);

				tap_ok(bad == 0, "%s %s: normal = rounded reference%s (%zu differ)",
				       ws, dn, cpu ? ", bit for bit" : " within one 16-bit unit",
				       bad);
				free(n);
			}
			{
				/* Rows of 2500: the tile (1100 columns from column 1100) crosses
				 * the CPU kernel's chunks of 1024 columns. */
				float *n = make(&tiny, 5, 2500, 5, 1100, dtype);
				size_t bad = count_bad(dtype, n, ref_t, 5 * 2500, cpu);

				tap_ok(bad == 0, "%s %s: long rows, tiny values (%zu differ)", ws,
				       dn, bad);
				free(n);
			}
		from_host : {
			/* from_host rounds; data widens; ld is cols. */
			hetsched_tensor_t t;
			const float *data;
			size_t ld, bad = 0;

			HS_CHECK(hetsched_tensor_from_host(&t, ref_n, 11, 250, COLS, 4, 64));
			tap_ok(hetsched_tensor_dtype(t) == dtype, "%s %s: from_host keeps %s", ws,
			       dn, hetsched_dtype_name(hetsched_tensor_dtype(t)));
			HS_CHECK(hetsched_tensor_to_host(t));
			HS_CHECK(hetsched_tensor_data(t, &data, &ld));
			for (size_t r = 0; r < 11; r++)
				for (size_t c = 0; c < 250; c++) {
					float want = hs_round_to(dtype, ref_n[r * COLS + c]);

					bad += memcmp(&data[r * ld + c], &want, 4) != 0;
				}
			tap_ok(bad == 0 && ld == 250,
			       "%s %s: from_host then data = rounded values (%zu differ, ld %zu)",
			       ws, dn, bad, ld);
			/* Prefetched to every node and evicted: still the same values. */
			for (int node = 0; node < hetsched_memory_node_count(); node++)
				HS_CHECK(hetsched_tensor_to_device(t, node));
			HS_CHECK(hetsched_tensor_evict(t));
			HS_CHECK(hetsched_tensor_to_host(t));
			HS_CHECK(hetsched_tensor_data(t, &data, &ld));
			bad = 0;
			for (size_t r = 0; r < 11; r++)
				for (size_t c = 0; c < 250; c++) {
					float want = hs_round_to(dtype, ref_n[r * COLS + c]);

					bad += memcmp(&data[r * ld + c], &want, 4) != 0;
				}
			tap_ok(bad == 0, "%s %s: the same after to_device and evict (%zu differ)",
			       ws, dn, bad);
			hetsched_tensor_destroy(t);
		}
			hetsched_shutdown();
		}
	free(ref_u);
	free(ref_n);
	free(ref_t);
	return tap_done();
}
