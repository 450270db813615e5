/* test_rand.c: the rand codelet gives the same tensor whatever the tiling, the worker set and the
 * policy: uniform values bit for bit equal to the plain reference kernel, normal values within
 * 4 ulp of it; and 10^6 uniform samples have the mean and variance of U[a, b). */
#include "config.h"

#include <stdint.h>

#include "codelets.h"
#include "hs_test.h"
#include "reference.h"

#define ROWS 300
#define COLS 257

/* Distance in units in the last place between two floats of the same sign. */
static uint32_t ulp_distance(float a, float b)
{
	int32_t ia, ib;

	memcpy(&ia, &a, 4);
	memcpy(&ib, &b, 4);
	if (ia < 0)
		ia = INT32_MIN - ia;
	if (ib < 0)
		ib = INT32_MIN - ib;
	return ia > ib ? (uint32_t)(ia - ib) : (uint32_t)(ib - ia);
}

static float *make(const struct hetsched_rand_spec *spec, size_t rows, size_t cols, size_t tr,
                   size_t tc)
{
	hetsched_tensor_t t;
	float *copy;

	HS_CHECK(hetsched_tensor_create(&t, rows, cols, tr, tc));
	HS_CHECK(hetsched_tensor_rand(t, spec));
	copy = hs_gather(t);
	hetsched_tensor_destroy(t);
	return copy;
}

static void reference(const struct hetsched_rand_spec *spec, float *out, size_t rows, size_t cols)
{
	struct hetsched_rand_args args = {
	    spec->seed, spec->stream, (uint32_t)spec->dist, spec->a, spec->b, 0, 0, 0};

	hetsched__ref_rand(out, cols, rows, cols, 0, 0, &args);
}

int main(void)
{
	static const size_t tiles[][2] = {{ROWS, COLS}, {7, 13}, {64, 64}, {256, 256}};
	static const char *const policies[] = {"eager", "dmda", "dmdas", "lws", "random"};
	const struct hetsched_rand_spec uniform = {HETSCHED_DIST_UNIFORM, -0.5f, 2.0f, 42, 3};
	const struct hetsched_rand_spec normal = {HETSCHED_DIST_NORMAL, 1.0f, 0.25f, 7, 0};
	static float ref_u[ROWS * COLS], ref_n[ROWS * COLS];
	enum hs_workers sets[3];
	int nsets = hs_worker_sets(sets);

	tap_plan(nsets * (4 + 5 + 1) + 1);
	reference(&uniform, ref_u, ROWS, COLS);
	reference(&normal, ref_n, ROWS, COLS);
	for (int s = 0; s < nsets; s++) {
		/* Every tiling under dmda, then every policy with 7x13 tiles. */
		hs_start("dmda", sets[s]);
		for (size_t t = 0; t < 4; t++) {
			float *u = make(&uniform, ROWS, COLS, tiles[t][0], tiles[t][1]);
			size_t bad = 0;

			for (size_t i = 0; i < ROWS * COLS; i++)
				bad += memcmp(&u[i], &ref_u[i], 4) != 0;
			tap_ok(bad == 0,
			       "%s: uniform bit-identical to the reference with %zux%zu tiles "
			       "(%zu differ)",
			       hs_workers_name(sets[s]), tiles[t][0], tiles[t][1], bad);
			free(u);
		}
		{
			float *n = make(&normal, ROWS, COLS, 64, 64);
			uint32_t worst = 0;

			for (size_t i = 0; i < ROWS * COLS; i++) {
				uint32_t d = ulp_distance(n[i], ref_n[i]);

				worst = d > worst ? d : worst;
			}
			tap_ok(worst <= 4, "%s: normal within 4 ulp of the reference (worst %u)",
			       hs_workers_name(sets[s]), worst);
			free(n);
		}
		hetsched_shutdown();
		for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
			float *u;
			size_t bad = 0;

			hs_start(policies[p], sets[s]);
			u = make(&uniform, ROWS, COLS, 7, 13);
			for (size_t i = 0; i < ROWS * COLS; i++)
				bad += memcmp(&u[i], &ref_u[i], 4) != 0;
			tap_ok(bad == 0, "%s, policy %s: uniform bit-identical (%zu differ)",
			       hs_workers_name(sets[s]), policies[p], bad);
			free(u);
			hetsched_shutdown();
		}
	}

	/* Statistics of 10^6 samples of U[-0.5, 2): mean 0.75, variance 2.5^2 / 12. */
	{
		const size_t n = 1000, m = 1000;
		double mean = 0, var = 0, want_var = 2.5 * 2.5 / 12;
		float *u;
		int in_range = 1;

		hs_start("dmda", sets[0]);
		u = make(&uniform, n, m, 256, 256);
		for (size_t i = 0; i < n * m; i++) {
			mean += u[i];
			in_range &= u[i] >= -0.5f && u[i] < 2.0f;
		}
		mean /= n * m;
		for (size_t i = 0; i < n * m; i++)
			var += (u[i] - mean) * (u[i] - mean);
		var /= n * m - 1;
		/* Standard error of the mean: sqrt(var / 1e6) = 7.2e-4; allow 5 of them. */
		tap_ok(in_range && fabs(mean - 0.75) < 5 * 7.2e-4 &&
		           fabs(var / want_var - 1) < 0.01,
		       "10^6 uniform samples in range, mean %.5f (0.75), variance %.5f (%.5f)",
		       mean, var, want_var);
		free(u);
		hetsched_shutdown();
	}
	return tap_done();
}
