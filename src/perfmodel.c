/* perfmodel.c: what the tool asks of StarPU's performance models and bus counters, so that it
 * never reaches past the library:
 * - the ONE calibration test: for each (operation, footprint) among the recorded tasks and each
 *   architecture of the workers, StarPU's own answer (starpu_perfmodel_history_based_expected_perf
 *   is NaN until its history holds STARPU_CALIBRATE_MINIMUM samples, 10 by default, which is the
 *   test the dm* policies apply before trusting a model);
 * - the bytes moved between memory nodes, read from StarPU's per-bus profiling;
 * - the keep-samples setting (STARPU_HISTORY_MAX_ERROR) of long studies;
 * - which policies schedule from the models. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "codelets.h"
#include "internal.h"
#include "tool.h"

/* A class of tasks StarPU's model tells apart: the operation and the footprint (the model's key:
 * tile shapes, and for linear the task's place in its k chain and the activation). */
struct task_class {
	enum hetsched_op op;
	uint32_t footprint;
};

static struct starpu_perfmodel *model_of(enum hetsched_op op)
{
	switch (op) {
	case HETSCHED_OP_LINEAR: /* 16-bit storage: every linear task is a linear16 one */
		return hetsched__dtype() == HETSCHED_DTYPE_F32 ? hetsched_cl_linear.model
		                                               : hetsched_cl_linear16.model;
	case HETSCHED_OP_EPILOGUE:
		return hetsched_cl_epilogue.model;
	case HETSCHED_OP_SOFTMAX:
		return hetsched_cl_softmax.model;
	default:
		return hetsched_cl_rand.model;
	}
}

/* StarPU's id of worker w's architecture, -1 if it has none. starpu_perfmodel_arch_comb_add
 * returns the id, registering it first if no task or model has yet. */
static int arch_comb(int w)
{
	struct starpu_perfmodel_arch *a =
	    starpu_worker_get_perf_archtype(w, STARPU_NMAX_SCHED_CTXS);

	return a ? starpu_perfmodel_arch_comb_add(a->ndevices, a->devices) : -1;
}

/* The STARPU_CPU / STARPU_CUDA / STARPU_OPENCL bit of worker w's kind. */
static int32_t kind_mask(int w)
{
	switch (starpu_worker_get_type(w)) {
	case STARPU_CUDA_WORKER:
		return STARPU_CUDA;
	case STARPU_OPENCL_WORKER:
		return STARPU_OPENCL;
	default:
		return STARPU_CPU;
	}
}

/* Whether an earlier worker than w has the same architecture: workers of one architecture (the
 * CPU cores) share a history, asked about once. */
static int arch_seen(int w)
{
	int comb = arch_comb(w);

	for (int v = 0; v < w && comb >= 0; v++)
		if (arch_comb(v) == comb)
			return 1;
	return 0;
}

int hetsched_perfmodel_uncalibrated(size_t *nclasses, size_t *npairs)
{
	const struct hetsched_task_record *rec;
	struct task_class *classes;
	size_t n, nc = 0, missing = 0;

	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched_perfmodel_uncalibrated: "
		                                        "hetsched is not initialised");
	n = hetsched_stats_records(&rec);
	classes = malloc((n ? n : 1) * sizeof(*classes));
	if (!classes)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < nc &&
		       !(classes[k].op == rec[i].op && classes[k].footprint == rec[i].footprint))
			k++;
		if (k == nc) {
			classes[nc].op = rec[i].op;
			classes[nc].footprint = rec[i].footprint;
			nc++;
		}
	}
	/* StarPU's history, not the tasks this process ran, decides: a shape calibrated by an
	 * earlier run counts, and a dm* policy sends it no task to measure. */
	for (int w = 0; w < hetsched_worker_count(); w++) {
		struct starpu_perfmodel_arch *arch =
		    starpu_worker_get_perf_archtype(w, STARPU_NMAX_SCHED_CTXS);

		if (arch_seen(w))
			continue;
		for (size_t i = 0; i < nc; i++) {
			/* A kind that placement.c keeps away from this shape never gets a sample
			 * of it, and needs none. */
			int32_t allowed = classes[i].op == HETSCHED_OP_LINEAR
			                      ? hetsched__placement_noted(classes[i].footprint)
			                      : -1;

			if (allowed >= 0 && !(allowed & kind_mask(w)))
				continue;
			if (!arch || isnan(starpu_perfmodel_history_based_expected_perf(
			                 model_of(classes[i].op), arch, classes[i].footprint)))
				missing++;
		}
	}
	free(classes);
	if (nclasses)
		*nclasses = nc;
	if (npairs)
		*npairs = missing;
	return 0;
}

int hetsched_bus_bytes(uint64_t *h2d, uint64_t *d2h, uint64_t *total)
{
	uint64_t to_dev = 0, to_host = 0, all = 0;

	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched_bus_bytes: hetsched is not "
		                                        "initialised");
	for (int bus = 0; bus < starpu_bus_get_count(); bus++) {
		struct starpu_profiling_bus_info info;
		int src_ram, dst_ram;

		/* Reading a bus's counters resets them (StarPU's behaviour). */
		if (starpu_bus_get_profiling_info(bus, &info) != 0 || info.transferred_bytes <= 0)
			continue;
		src_ram = starpu_node_get_kind(starpu_bus_get_src(bus)) == STARPU_CPU_RAM;
		dst_ram = starpu_node_get_kind(starpu_bus_get_dst(bus)) == STARPU_CPU_RAM;
		if (src_ram && !dst_ram)
			to_dev += (uint64_t)info.transferred_bytes;
		else if (!src_ram && dst_ram)
			to_host += (uint64_t)info.transferred_bytes;
		all += (uint64_t)info.transferred_bytes;
	}
	if (h2d)
		*h2d = to_dev;
	if (d2h)
		*d2h = to_host;
	if (total)
		*total = all;
	return 0;
}

int hetsched_sched_uses_models(const char *policy)
{
	return policy && (!strncmp(policy, "dm", 2) || strstr(policy, "heft") != NULL);
}

void hetsched__perfmodel_keep_samples(void)
{
	/* StarPU 1.3 flushes a model entry when as many samples as it holds fell more than
	 * STARPU_HISTORY_MAX_ERROR % (default 50) from its mean: tasks of a few microseconds on a
	 * loaded or sanitised machine do, and so do the times of a task that ran alone and of one
	 * that ran beside 14 others sharing the memory bus. A study then loses the calibration it
	 * began with (dm* policies measure again in the middle of it, and StarPU 1.3.10's
	 * modular-heteroprio-heft hangs on the uncalibrated entry). Samples are kept unless the
	 * user says otherwise. */
	setenv("STARPU_HISTORY_MAX_ERROR", "100000", 0);
}
