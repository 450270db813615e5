/* heteroprio.c: StarPU's heteroprio policy configured from the performance models, as its
 * authors intend (Agullo et al., "Task-based FMM for heterogeneous architectures", 2016).
 *
 * Left to itself (no sched_policy_init hook; sched_policy_callback in 1.4), heteroprio gives every
 * kind of worker one bucket per priority and no speed difference, so any worker takes any task: on
 * the H200 node it ran like eager (8192, tile 1024: 7.1 TFLOP/s against dmda's 29.8), with the
 * cores holding 64 of 512 GPU-sized tasks. Here all of hetsched's tasks go to one bucket (they have
 * priority 0); its faster architecture is the one the history model of linear says is faster, and
 * each slower one gets, as slow factor, how many times longer it takes on average (the geometric
 * mean over the task shapes both have measured). A slower worker then takes a task only while the
 * bucket holds more than slow factor x (faster workers) tasks: only when it would finish its
 * task before the faster workers reach the end of the queue.
 *
 * Without measurements for two kinds (no model yet, one kind of worker), the bucket is shared
 * with no slow factor, as StarPU's default does. HETSCHED_HETEROPRIO=starpu keeps StarPU's own
 * default (to compare with studies made before). */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codelets.h"
#include "internal.h"

struct kind_of_worker {
	enum starpu_worker_archtype type;
	hetsched__heteroprio_arch index;
	const char *name;
};

static const struct kind_of_worker kinds[] = {
    {STARPU_CPU_WORKER, HETSCHED_HETEROPRIO_CPU, "cpu"},
    {STARPU_CUDA_WORKER, HETSCHED_HETEROPRIO_CUDA, "cuda"},
    {STARPU_OPENCL_WORKER, HETSCHED_HETEROPRIO_OPENCL, "opencl"},
};
#define NKINDS (sizeof(kinds) / sizeof(*kinds))

static char summary[256];

const char *hetsched__heteroprio_summary(void)
{
	return summary;
}

/* The history of linear per device type (CPU 0, CUDA 1, OpenCL 2 in StarPU's files), read from
 * the model file before StarPU starts: loading a model from inside the hook crashes StarPU 1.3
 * from its second start in a process on (its architecture table is not set up yet then). The
 * layout is StarPU's format 45: "# device type" precedes each combination's type, "# hash"
 * heads its table of entries (footprint, size, flops, mean us, ...). */
#define MAX_ENTRIES 256
struct history {
	uint32_t footprint[MAX_ENTRIES];
	double mean[MAX_ENTRIES];
	int n;
};
static struct history histories[NKINDS];
static int have_history[NKINDS];

static void read_histories(void)
{
	char dir[4096], host[256], path[8192], line[1024];
	FILE *f;
	int want_type = 0, in_table = 0, type = -1;

	memset(histories, 0, sizeof(histories));
	memset(have_history, 0, sizeof(have_history));
	if (!hetsched__home_models_dir(dir, sizeof(dir)) ||
	    !hetsched__home_host(host, sizeof(host)))
		return;
	snprintf(path, sizeof(path), "%scodelets/45/hetsched_linear.%s", dir, host);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned hash, nsample;
		unsigned long size;
		double flops, mean, dev, sum, sum2;

		if (want_type && line[0] != '#') {
			type = atoi(line);
			want_type = 0;
		}
		if (!strncmp(line, "# device type", 13))
			want_type = 1;
		if (!strncmp(line, "# hash", 6)) {
			in_table = 1;
			continue;
		}
		if (in_table && type >= 0 && type < (int)NKINDS &&
		    sscanf(line, "%x %lu %le %le %le %le %le %u", &hash, &size, &flops, &mean, &dev,
		           &sum, &sum2, &nsample) == 8) {
			struct history *h = &histories[type];

			if (nsample > 0 && mean > 0 && h->n < MAX_ENTRIES) {
				h->footprint[h->n] = hash;
				h->mean[h->n++] = mean;
				have_history[type] = 1;
			}
			continue;
		}
		in_table = 0;
	}
	fclose(f);
}

/* Geometric mean over the footprints measured on both of time(slow) / time(fast); NAN when no
 * footprint is. */
static double slowdown(const struct history *slow, const struct history *fast)
{
	double sum = 0;
	int n = 0;

	for (int i = 0; i < slow->n; i++)
		for (int j = 0; j < fast->n; j++)
			if (slow->footprint[i] == fast->footprint[j]) {
				sum += log(slow->mean[i] / fast->mean[j]);
				n++;
			}
	return n ? exp(sum / n) : NAN;
}

/* StarPU's mask of a worker type (task->where). */
static int32_t kind_mask(enum starpu_worker_archtype type)
{
	return type == STARPU_CUDA_WORKER     ? STARPU_CUDA
	       : type == STARPU_OPENCL_WORKER ? STARPU_OPENCL
	                                      : STARPU_CPU;
}

static void configure(unsigned ctx)
{
	int present[NKINDS] = {0}, fastest = -1;

	for (size_t k = 0; k < NKINDS; k++) {
		/* A kind whose kernels do not compute the run's dtype and precision gets no
		 * bucket: its tasks are offered the other kinds only (codelets.h). */
		present[k] = starpu_worker_get_by_type(kinds[k].type, 0) >= 0 &&
		             (hetsched__numerics_kinds((uint32_t)hetsched__dtype(),
		                                       (uint32_t)hetsched__precision()) &
		              kind_mask(kinds[k].type));
		if (present[k]) {
			starpu_heteroprio_set_nb_prios(ctx, kinds[k].index, 1);
			starpu_heteroprio_set_mapping(ctx, kinds[k].index, 0, 0);
		}
	}
	/* The fastest kind: the one every other present kind is slower than. */
	for (size_t k = 0; k < NKINDS && fastest < 0; k++) {
		int faster_than_all = present[k] && have_history[k];

		for (size_t j = 0; j < NKINDS && faster_than_all; j++)
			if (j != k && present[j])
				faster_than_all =
				    have_history[j] && slowdown(&histories[j], &histories[k]) >= 1;
		if (faster_than_all)
			fastest = (int)k;
	}
	if (fastest < 0) {
		/* Nothing to go by: every kind shares the bucket (StarPU's default). */
		for (size_t k = 0; k < NKINDS; k++)
			if (present[k]) {
				starpu_heteroprio_set_faster_arch(ctx, kinds[k].index, 0);
				break;
			}
		snprintf(summary, sizeof(summary),
		         "heteroprio: one bucket, no slow factor (no "
		         "model measured on the kinds of worker)");
		return;
	}
	{
		int used = snprintf(summary, sizeof(summary), "heteroprio: one bucket, %s fastest",
		                    kinds[fastest].name);

		starpu_heteroprio_set_faster_arch(ctx, kinds[fastest].index, 0);
		for (size_t k = 0; k < NKINDS; k++)
			if (present[k] && (int)k != fastest) {
				double factor = slowdown(&histories[k], &histories[fastest]);

				starpu_heteroprio_set_arch_slow_factor(ctx, kinds[k].index, 0,
				                                       (float)factor);
				if (used < (int)sizeof(summary))
					used += snprintf(summary + used, sizeof(summary) - used,
					                 ", %s %.3g times slower", kinds[k].name,
					                 factor);
			}
	}
}

void hetsched__heteroprio_hook(struct starpu_conf *sconf, const char *sched)
{
	const char *mode = getenv("HETSCHED_HETEROPRIO");

	summary[0] = '\0';
	if (strcmp(sched, "heteroprio") || (mode && !strcmp(mode, "starpu")))
		return;
	read_histories();
	sconf->HETSCHED_STARPU_SCHED_POLICY_HOOK = configure;
}
