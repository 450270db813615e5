/* heteroprio.c: StarPU's heteroprio policy configured from the performance models, as its
 * authors intend (Agullo et al., "Task-based FMM for heterogeneous architectures", 2016).
 *
 * Left to itself (no sched_policy_init hook), heteroprio gives every kind of worker one bucket
 * per priority and no speed difference, so any worker takes any task: on the H200 node it ran
 * like eager (8192, tile 1024: 7.1 TFLOP/s against dmda's 29.8), with the cores holding 64 of
 * 512 GPU-sized tasks. Here all of hetsched's tasks go to one bucket (they have priority 0);
 * its faster architecture is the one the history model of linear says is faster, and each
 * slower one gets, as slow factor, how many times longer it takes on average (the geometric mean
 * over the task shapes both have measured). A slower worker then takes a task only while the
 * bucket holds more than slow factor x (faster workers) tasks: only when it would finish its
 * task before the faster workers reach the end of the queue.
 *
 * Without measurements for two kinds (no model yet, one kind of worker), the bucket is shared
 * with no slow factor, as StarPU's default does. HETSCHED_HETEROPRIO=starpu keeps StarPU's own
 * default (to compare with studies made before). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>
#include <starpu_heteroprio.h>

#include "internal.h"

struct kind_of_worker {
	enum starpu_worker_archtype type;
	enum starpu_heteroprio_types index;
	const char *name;
};

static const struct kind_of_worker kinds[] = {
    {STARPU_CPU_WORKER, STARPU_CPU_IDX, "cpu"},
    {STARPU_CUDA_WORKER, STARPU_CUDA_IDX, "cuda"},
    {STARPU_OPENCL_WORKER, STARPU_OPENCL_IDX, "opencl"},
};
#define NKINDS (sizeof(kinds) / sizeof(*kinds))

static char summary[256];

const char *hetsched__heteroprio_summary(void)
{
	return summary;
}

/* The mean time of each footprint of linear on the architecture of worker \p w, from the model
 * \p m: the list of that architecture's history. */
static struct starpu_perfmodel_history_list *history_of(struct starpu_perfmodel *m, int w,
                                                        unsigned ctx)
{
	struct starpu_perfmodel_arch *arch = starpu_worker_get_perf_archtype(w, ctx);
	struct starpu_perfmodel_per_arch *pa =
	    arch ? starpu_perfmodel_get_model_per_arch(m, arch, 0) : NULL;

	return pa ? pa->list : NULL;
}

/* Geometric mean over the footprints measured on both of time(slow) / time(fast); NAN when no
 * footprint is. */
static double slowdown(struct starpu_perfmodel_history_list *slow,
                       struct starpu_perfmodel_history_list *fast)
{
	double sum = 0;
	int n = 0;

	for (; slow; slow = slow->next)
		for (struct starpu_perfmodel_history_list *f = fast; f; f = f->next)
			if (f->entry->footprint == slow->entry->footprint && f->entry->mean > 0 &&
			    slow->entry->mean > 0 && slow->entry->nsample > 0 &&
			    f->entry->nsample > 0) {
				sum += log(slow->entry->mean / f->entry->mean);
				n++;
			}
	return n ? exp(sum / n) : NAN;
}

static void configure(unsigned ctx)
{
	struct starpu_perfmodel model;
	struct starpu_perfmodel_history_list *hist[NKINDS] = {NULL};
	int present[NKINDS] = {0}, loaded, fastest = -1;
	double factor[NKINDS];

	for (size_t k = 0; k < NKINDS; k++) {
		int w = starpu_worker_get_by_type(kinds[k].type, 0);

		present[k] = w >= 0;
		factor[k] = NAN;
		if (present[k]) {
			starpu_heteroprio_set_nb_prios(ctx, kinds[k].index, 1);
			starpu_heteroprio_set_mapping(ctx, kinds[k].index, 0, 0);
		}
	}
	memset(&model, 0, sizeof(model));
	loaded = starpu_perfmodel_load_symbol("hetsched_linear", &model) == 0;
	for (size_t k = 0; k < NKINDS && loaded; k++)
		if (present[k])
			hist[k] = history_of(&model, starpu_worker_get_by_type(kinds[k].type, 0), ctx);
	/* The fastest kind: the one every other is slower than (factor > 1 against it). */
	for (size_t k = 0; k < NKINDS; k++) {
		int faster_than_all = present[k] && hist[k];

		for (size_t j = 0; j < NKINDS && faster_than_all; j++)
			if (j != k && present[j])
				faster_than_all = hist[j] && slowdown(hist[j], hist[k]) >= 1;
		if (faster_than_all) {
			fastest = (int)k;
			break;
		}
	}
	if (fastest < 0) {
		/* Nothing to go by: every kind shares the bucket (StarPU's default). */
		for (size_t k = 0; k < NKINDS; k++)
			if (present[k]) {
				starpu_heteroprio_set_faster_arch(ctx, kinds[k].index, 0);
				break;
			}
		snprintf(summary, sizeof(summary), "heteroprio: one bucket, no slow factor (no "
		                                   "model measured on two kinds of worker)");
	} else {
		int used = snprintf(summary, sizeof(summary), "heteroprio: one bucket, %s fastest",
		                    kinds[fastest].name);

		starpu_heteroprio_set_faster_arch(ctx, kinds[fastest].index, 0);
		for (size_t k = 0; k < NKINDS; k++)
			if (present[k] && (int)k != fastest) {
				factor[k] = slowdown(hist[k], hist[fastest]);
				starpu_heteroprio_set_arch_slow_factor(ctx, kinds[k].index, 0,
				                                       (float)factor[k]);
				if (used < (int)sizeof(summary))
					used += snprintf(summary + used, sizeof(summary) - used,
					                 ", %s %.3g times slower", kinds[k].name,
					                 factor[k]);
			}
	}
	if (loaded)
		starpu_perfmodel_unload_model(&model);
}

void hetsched__heteroprio_hook(struct starpu_conf *sconf, const char *sched)
{
	const char *mode = getenv("HETSCHED_HETEROPRIO");

	summary[0] = '\0';
	if (strcmp(sched, "heteroprio") || (mode && !strcmp(mode, "starpu")))
		return;
	sconf->sched_policy_init = configure;
}
