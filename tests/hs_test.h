/* hs_test.h: what the library-level tests share beyond TAP output (tap.h): starting hetsched on
 * the worker sets of the test's world (hs-test-env sets HS_WORKERS to "cpu", "opencl" or
 * "cuda"), gathering a tensor, comparing against a reference. */
#ifndef HS_TEST_H
#define HS_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hetsched.h"
#include "tap.h"

/* Abort the test with a message when a library call fails: later assertions would be noise. */
#define HS_CHECK(expr)                                                                             \
	do {                                                                                       \
		int hs_rc_ = (expr);                                                               \
		if (hs_rc_ < 0) {                                                                  \
			tap_bail_out("%s:%d: %s -> %s: %s", __FILE__, __LINE__, #expr,             \
			             hetsched_strerror(hs_rc_), hetsched_last_error());            \
		}                                                                                  \
	} while (0)

/* Worker sets a test body runs on. "mixed" is the CPU + OpenCL set of the opencl world. */
enum hs_workers { HS_CPU_ONLY, HS_OPENCL_ONLY, HS_MIXED, HS_CUDA_ONLY, HS_CPU_CUDA };

static inline const char *hs_workers_name(enum hs_workers w)
{
	switch (w) {
	case HS_CPU_ONLY:
		return "cpu-only";
	case HS_OPENCL_ONLY:
		return "opencl-only";
	case HS_MIXED:
		return "cpu+opencl";
	case HS_CUDA_ONLY:
		return "cuda-only";
	default:
		return "cpu+cuda";
	}
}

/* The worker sets of this world: {cpu-only} in the cpu world; {mixed, opencl-only, cpu-only}
 * in the opencl world; {cpu+cuda, cuda-only, cpu-only} in the cuda world (a GPU node, see
 * tests/gpu/run-on-gpu.sh). Returns how many were written to sets. */
static inline int hs_worker_sets(enum hs_workers sets[3])
{
	const char *world = getenv("HS_WORKERS");

	if (world && !strcmp(world, "cuda")) {
		sets[0] = HS_CPU_CUDA;
		sets[1] = HS_CUDA_ONLY;
		sets[2] = HS_CPU_ONLY;
		return 3;
	}

	if (world && !strcmp(world, "opencl")) {
		sets[0] = HS_MIXED;
		sets[1] = HS_OPENCL_ONLY;
		sets[2] = HS_CPU_ONLY;
		return 3;
	}
	sets[0] = HS_CPU_ONLY;
	return 1;
}

/* A world with two kinds of worker and two memory nodes (CPU + OpenCL, or CPU + CUDA). */
static inline int hs_opencl_world(void)
{
	const char *world = getenv("HS_WORKERS");

	return world && (!strcmp(world, "opencl") || !strcmp(world, "cuda"));
}

static inline int hs_cuda_world(void)
{
	const char *world = getenv("HS_WORKERS");

	return world && !strcmp(world, "cuda");
}

/* Start hetsched with a policy on a worker set, tensors stored as dtype and linear layers
 * computed in precision. */
static inline void hs_start_numerics(const char *sched, enum hs_workers w,
                                     enum hetsched_dtype dtype, enum hetsched_precision precision)
{
	struct hetsched_conf conf;

	hetsched_conf_init(&conf);
	conf.sched = sched;
	conf.quiet = 1;
	conf.dtype = dtype;
	conf.precision = precision;
	if (w == HS_CPU_ONLY) {
		conf.nopencl = 0;
		conf.ncuda = 0;
	} else if (w == HS_CUDA_ONLY) {
		conf.ncpu = 0;
		conf.ncuda = 1;
		conf.nopencl = 0;
	} else if (w == HS_CPU_CUDA) {
		conf.ncuda = 1;
		conf.nopencl = 0;
	} else if (w == HS_OPENCL_ONLY) {
		conf.ncpu = 0;
		conf.nopencl = 1;
		conf.opencl_on_cpu = 1;
	} else {
		conf.ncpu = 1;
		conf.nopencl = 1;
		conf.opencl_on_cpu = 1;
	}
	HS_CHECK(hetsched_init(&conf));
}

/* Start hetsched with a policy on a worker set (FP32 storage and products). */
static inline void hs_start(const char *sched, enum hs_workers w)
{
	hs_start_numerics(sched, w, HETSCHED_DTYPE_F32, HETSCHED_PRECISION_FP32);
}

/* Gather a tensor into a malloc'd contiguous copy (rows x cols). */
static inline float *hs_gather(hetsched_tensor_t t)
{
	const float *data;
	size_t rows, cols, ld;
	float *copy;

	hetsched_tensor_shape(t, &rows, &cols, NULL, NULL);
	HS_CHECK(hetsched_tensor_to_host(t));
	HS_CHECK(hetsched_tensor_data(t, &data, &ld));
	copy = malloc(rows * cols * sizeof(float));
	for (size_t r = 0; r < rows; r++)
		memcpy(copy + r * cols, data + r * ld, cols * sizeof(float));
	return copy;
}

/* Largest |a - b| / max |b| over n values (relative to the reference's largest magnitude). */
static inline double hs_max_rel_err(const float *a, const float *b, size_t n, double *max_abs)
{
	double scale = 1e-30, err = 0;

	for (size_t i = 0; i < n; i++)
		scale = fabs(b[i]) > scale ? fabs(b[i]) : scale;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)a[i] - (double)b[i]);

		if (!(e == e))
			e = INFINITY;
		err = e > err ? e : err;
	}
	if (max_abs)
		*max_abs = err;
	return err / scale;
}

#endif
