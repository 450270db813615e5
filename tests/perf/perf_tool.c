/* perf_tool.c: the measurements of `make bench` that need C, one per call, so that bench.py can
 * interleave them with the runs they are compared to (these machines are shared and noisy):
 *
 *   perf_tool sgemm N        one cblas_sgemm (y = x w^T) of N x N x N with OpenBLAS's own threads
 *                            on all cores, after a warm-up: prints "seconds gflops"
 *   perf_tool rand N         hetsched rand of an N x N tensor (one tile) on one CPU worker,
 *                            best of two after a warm-up that allocates the tile: prints
 *                            "seconds elements_per_second"
 *   perf_tool submit N R     per-task cost of hetsched's submission path (hetsched_tensor_rand
 *                            on N tiles of 1 x 1) against raw starpu_task_insert of the same
 *                            codelet on the same tiles, R interleaved rounds: prints
 *                            "hetsched_us raw_us" (medians per task)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <starpu.h>

#include "codelets.h"
#include "hetsched.h"
#include "internal.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int sgemm(size_t n)
{
	float *x = malloc(n * n * 4), *w = malloc(n * n * 4), *y = malloc(n * n * 4);
	double t = 0;

	for (size_t i = 0; i < n * n; i++) {
		x[i] = (float)(i % 7) * 0.1f;
		w[i] = (float)(i % 5) * 0.1f;
	}
	for (int r = 0; r < 2; r++) {
		double t0 = now();

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)n, 1.0f,
		            x, (int)n, w, (int)n, 0.0f, y, (int)n);
		t = now() - t0;
	}
	printf("%.6f %.3f\n", t, 2.0 * n * n * n / t * 1e-9);
	free(x);
	free(w);
	free(y);
	return 0;
}

static void start(int ncpu)
{
	struct hetsched_conf conf;

	hetsched_conf_init(&conf);
	conf.ncpu = ncpu;
	conf.nopencl = 0;
	conf.ncuda = 0;
	conf.quiet = 1;
	if (hetsched_init(&conf) < 0) {
		fprintf(stderr, "perf_tool: %s\n", hetsched_last_error());
		exit(1);
	}
}

static int rand_throughput(size_t n)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 1, 0};
	double t = 0;

	hetsched_tensor_t x;

	start(1);
	/* The first fill allocates and first-touches the tile; the timed one writes it again (as
	 * numpy's random(out=...) does on the other side). */
	hetsched_tensor_create(&x, n, n, n, n);
	for (int r = 0; r < 3; r++) {
		double t0 = now();

		hetsched_tensor_rand(x, &spec);
		hetsched_wait_all();
		t = r == 0 ? 0 : (t == 0 || now() - t0 < t ? now() - t0 : t);
	}
	hetsched_tensor_destroy(x);
	printf("%.6f %.1f\n", t, (double)n * n / t);
	hetsched_shutdown();
	return 0;
}

static int submit(size_t n, int rounds)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 1, 0};
	struct hetsched_rand_args args = {1, 0, 0, 0.0f, 1.0f, 0, 0, 0};
	double *ours = calloc(rounds, sizeof(double)), *raw = calloc(rounds, sizeof(double));
	hetsched_tensor_t t;

	start(-1);
	hetsched_tensor_create(&t, 1, n, 1, 1);
	hetsched_tensor_rand(t, &spec);
	hetsched_wait_all();
	for (int r = 0; r < rounds; r++) {
		double t0 = now();

		hetsched_tensor_rand(t, &spec);
		hetsched_wait_all();
		ours[r] = (now() - t0) / n * 1e6;
		hetsched_stats_reset();
		t0 = now();
		for (size_t j = 0; j < n; j++) {
			struct hetsched_rand_args *a = malloc(sizeof(*a));

			*a = args;
			a->col0 = j;
			starpu_task_insert(&hetsched_cl_rand, STARPU_W,
			                   hetsched__tensor_tile(t, 0, j), STARPU_CL_ARGS, a,
			                   sizeof(*a), 0);
		}
		starpu_task_wait_for_all();
		raw[r] = (now() - t0) / n * 1e6;
	}
	printf("%.3f %.3f\n", median(ours, rounds), median(raw, rounds));
	hetsched_tensor_destroy(t);
	hetsched_shutdown();
	free(ours);
	free(raw);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "sgemm"))
		return sgemm(strtoul(argv[2], NULL, 10));
	if (argc >= 3 && !strcmp(argv[1], "rand"))
		return rand_throughput(strtoul(argv[2], NULL, 10));
	if (argc >= 4 && !strcmp(argv[1], "submit"))
		return submit(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	fprintf(stderr, "usage: perf_tool sgemm N | rand N | submit N ROUNDS\n");
	return 2;
}
