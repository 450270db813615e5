/* probe.c: at hetsched_init, one small linear task (and one rand task) on one worker of each
 * kind, run twice. The first run warms what a process pays for on first use — cuBLAS loading its
 * kernels, PoCL compiling the OpenCL kernels for the device, OpenBLAS allocating its buffers —
 * so that the first timed pass of a process does not (on an H200, 1.1 s against 0.178 s for the
 * next passes). The second run measures each kind's speed, which placement.c uses before
 * StarPU's models are calibrated: a fresh STARPU_HOME has no history, dmda then sends tasks to
 * every kind to measure it, and a 4096^2 tile took a CPU core over a second while the whole pass
 * took the GPU 0.2 s.
 *
 * The probe's codelet is hetsched_cl_linear without a performance model, so that the probe's
 * tiles add nothing to StarPU's history (they are not the shapes of real work). Sizes per kind:
 * a GPU needs a large product to show its speed (launch latency dominates a 256^3 product), an
 * OpenCL CPU device (PoCL, ~10 GFLOP/s) a small one to stay short. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <starpu.h>

#include "codelets.h"
#include "internal.h"

static double kind_rate[HETSCHED_NKINDS]; /* flop/s of one worker, 0: not measured */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static enum hetsched_kind kind_of(int w)
{
	switch (starpu_worker_get_type(w)) {
	case STARPU_CUDA_WORKER:
		return HETSCHED_KIND_CUDA;
	case STARPU_OPENCL_WORKER:
		return HETSCHED_KIND_OPENCL;
	default:
		return HETSCHED_KIND_CPU;
	}
}

/* Seconds of one synchronous task on worker w: the task's own start and end when StarPU
 * profiles, the wall clock around it otherwise. Negative on failure. */
static double run_on(struct starpu_codelet *cl, starpu_data_handle_t *h, int nbuffers,
                     const enum starpu_data_access_mode *modes, void *arg, size_t arg_size, int w)
{
	struct starpu_task *task = starpu_task_create();
	double t0 = now_s(), t;

	task->cl = cl;
	task->nbuffers = nbuffers;
	for (int i = 0; i < nbuffers; i++) {
		task->handles[i] = h[i];
		task->modes[i] = modes[i];
	}
	task->cl_arg = arg;
	task->cl_arg_size = arg_size;
	task->execute_on_a_specific_worker = 1;
	task->workerid = (unsigned)w;
	task->synchronous = 1;
	task->destroy = 0;
	if (starpu_task_submit(task) != 0) {
		starpu_task_destroy(task);
		return -1;
	}
	t = now_s() - t0;
	if (task->profiling_info && task->profiling_info->end_time.tv_sec) {
		struct timespec *s = &task->profiling_info->start_time,
		                *e = &task->profiling_info->end_time;
		double d =
		    (double)(e->tv_sec - s->tv_sec) + 1e-9 * (double)(e->tv_nsec - s->tv_nsec);

		if (d > 0)
			t = d;
	}
	starpu_task_destroy(task);
	return t;
}

/* Linear tasks of n^3 (and a rand task) on worker w; the flop/s of the fastest linear. */
static double probe_worker(int w, size_t n)
{
	static struct starpu_codelet probe_linear, probe_rand;
	struct hetsched_linear_args largs;
	struct hetsched_rand_args rargs = {0};
	const enum starpu_data_access_mode lmodes[4] = {STARPU_R, STARPU_R, STARPU_R, STARPU_W};
	const enum starpu_data_access_mode rmodes[1] = {STARPU_W};
	starpu_data_handle_t h[4];
	float *buf[4];
	size_t sizes[4] = {n * n, n * n, n, n * n};
	double best = 0;

	probe_linear = hetsched_cl_linear;
	probe_linear.model = NULL;
	probe_rand = hetsched_cl_rand;
	probe_rand.model = NULL;
	for (int i = 0; i < 4; i++)
		if (starpu_malloc((void **)&buf[i], sizes[i] * sizeof(float)) != 0) {
			while (i-- > 0)
				hetsched__starpu_free(buf[i], sizes[i] * sizeof(float));
			return 0;
		}
	for (int i = 0; i < 4; i++) {
		memset(buf[i], 0, sizes[i] * sizeof(float));
		starpu_matrix_data_register(&h[i], STARPU_MAIN_RAM, (uintptr_t)buf[i],
		                            (uint32_t)(i == 2 ? n : n), (uint32_t)n,
		                            (uint32_t)(i == 2 ? 1 : n), sizeof(float));
	}
	memset(&largs, 0, sizeof(largs));
	largs.first = 1;
	largs.last = 1;
	/* memset left largs.prog empty: no epilogue. */
	largs.flops = 2.0 * (double)n * (double)n * (double)n;
	rargs.b = 1.0f;
	/* The best of five after the first: on a machine whose cores all run StarPU threads, a
	 * probe preempted once reads 50 to 100 times slower (seen on 2 cores). */
	for (int r = 0; r < 6; r++) {
		double t = run_on(&probe_linear, h, 4, lmodes, &largs, sizeof(largs), w);

		if (t <= 0)
			break;
		if (r > 0 && largs.flops / t > best)
			best = largs.flops / t;
	}
	run_on(&probe_rand, &h[3], 1, rmodes, &rargs, sizeof(rargs), w);
	for (int i = 0; i < 4; i++) {
		starpu_data_unregister(h[i]);
		hetsched__starpu_free(buf[i], sizes[i] * sizeof(float));
	}
	return best;
}

void hetsched__probe_kinds(void)
{
	static const size_t size_of_kind[HETSCHED_NKINDS] = {256, 2048, 256};
	int seen[HETSCHED_NKINDS] = {0};

	memset(kind_rate, 0, sizeof(kind_rate));
	/* In a simulation build nothing is measured here: the probe's task has no performance
	 * model, so SimGrid has no time to give it (StarPU asserts), and the node's speeds are its
	 * models anyway. No kind measured: placement.c offers every kind every task. */
#if HETSCHED_HAVE_SIMGRID
	return;
#endif
	/* Under several MPI ranks each rank's workers differ; the probe is per process anyway. */
	for (int w = 0; w < (int)starpu_worker_get_count(); w++) {
		enum hetsched_kind k = kind_of(w);

		if (seen[k])
			continue;
		seen[k] = 1;
		kind_rate[k] = probe_worker(w, size_of_kind[k]);
	}
}

double hetsched__kind_rate(enum hetsched_kind kind)
{
	return kind >= 0 && kind < HETSCHED_NKINDS ? kind_rate[kind] : 0;
}
