/* placement.c: which kinds of worker may run a task, from the size of its buffers and of the
 * memory nodes. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "internal.h"

/* StarPU 1.3 never fails a task whose buffers cannot fit the memory node of the worker it
 * picks: it evicts, retries and spins for ever (seen with STARPU_LIMIT_OPENCL_MEM below one
 * tile). Nor is one task's size enough on a device: below about twice that, it livelocks
 * evicting the inputs it prefetched for the next tasks (12 MiB tasks on a 3072^2 problem hung
 * with 20 MiB of device memory and ran with 25). So a kind of worker is used only when every one
 * of its memory nodes holds a task's buffers, twice for a device; the other kinds run the task,
 * and when none can, the call fails with the numbers rather than hangs. */
int hetsched__task_where(size_t bytes, const char *what, int32_t *where)
{
	static const struct {
		enum starpu_worker_archtype type;
		int32_t mask;
		double factor;
	} kinds[] = {{STARPU_CPU_WORKER, STARPU_CPU, 1.0},
	             {STARPU_CUDA_WORKER, STARPU_CUDA, 2.0},
	             {STARPU_OPENCL_WORKER, STARPU_OPENCL, 2.0}};
	unsigned nworkers = starpu_worker_get_count();
	starpu_ssize_t largest = -1;
	char largest_name[64] = "";
	int32_t mask = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int present = 0, fits = 1;

		for (unsigned w = 0; w < nworkers; w++) {
			unsigned node = starpu_worker_get_memory_node(w);
			starpu_ssize_t total = starpu_memory_get_total(node);

			if (starpu_worker_get_type((int)w) != kinds[k].type)
				continue;
			present = 1;
			/* -1: StarPU does not know the node's size, and does not limit it. */
			if (total >= 0 && (double)total < kinds[k].factor * (double)bytes)
				fits = 0;
			if (total > largest) {
				largest = total;
				starpu_memory_node_get_name(node, largest_name,
				                            sizeof(largest_name));
			}
		}
		if (present && fits)
			mask |= kinds[k].mask;
	}
	if (!mask)
		return hetsched__error(
		    HETSCHED_ENOMEM,
		    "%s holds %.1f MiB of tiles, which needs %.1f MiB on a device "
		    "(twice, to evict) or %.1f MiB in main memory, but the largest "
		    "memory node (%s) has %.1f MiB: use smaller tiles",
		    what, (double)bytes / (1 << 20), 2.0 * (double)bytes / (1 << 20),
		    (double)bytes / (1 << 20), largest_name, (double)largest / (1 << 20));
	*where = mask;
	return 0;
}

/* ------------------------------------------------------------------ slow kinds */

/* On a fresh STARPU_HOME (a new node, a user's first run) dm* policies know nothing of the
 * workers' speeds and send each kind tasks to measure it: on an H200 beside 15 cores a 4096^2
 * tile took a core over a second while the GPU did the whole 16384 pass in 0.2 s, and the first
 * pass with the cores took 11 to 16 times as long as without them. Eager-like policies do the
 * same at every pass. So, from the speeds the probe measured at hetsched_init (probe.c):
 *  - a kind gets no task whose estimated time exceeds the estimated time of the whole operation
 *    on the kind that would run it fastest (all its workers together): such a task can only
 *    lengthen the run;
 *  - a slower kind may get the others, but only every n-th task is offered to it, so that even
 *    if the policy gave it every task it is offered, its workers would be busy for at most half
 *    the operation's estimated time: it is measured (and so calibrated) on a few tasks at a
 *    time, never on the critical path, and a calibrated dm* policy still picks among them.
 * A kind the probe did not measure is always offered every task. */
static int all_kinds;

static const struct {
	enum hetsched_kind kind;
	int32_t mask;
} kinds[] = {{HETSCHED_KIND_CPU, STARPU_CPU},
             {HETSCHED_KIND_CUDA, STARPU_CUDA},
             {HETSCHED_KIND_OPENCL, STARPU_OPENCL}};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

void hetsched__placement_set_all_kinds(int value)
{
	const char *env = getenv("HETSCHED_ALL_KINDS");

	all_kinds = value || (env && atoi(env) > 0);
}

void hetsched__placement_plan(struct hetsched__placement *plan, int32_t where, double task_flops,
                              double op_flops, size_t ntasks)
{
	double best = 0; /* flop/s of the fastest kind, all its workers */
	size_t fastest = 0;

	memset(plan, 0, sizeof(*plan));
	plan->where = where;
	for (size_t k = 0; k < NKINDS; k++)
		plan->share[k] = 1.0;
	if (all_kinds)
		return;
	for (size_t k = 0; k < NKINDS; k++) {
		double rate =
		    hetsched__kind_rate(kinds[k].kind) * hetsched_worker_count_kind(kinds[k].kind);

		if ((where & kinds[k].mask) && rate > best) {
			best = rate;
			fastest = k;
		}
	}
	if (best <= 0)
		return;
	for (size_t k = 0; k < NKINDS; k++) {
		double rate = hetsched__kind_rate(kinds[k].kind), op_s = op_flops / best, task_s;
		int n = hetsched_worker_count_kind(kinds[k].kind);

		if (k == fastest || !(where & kinds[k].mask) || rate <= 0 || n <= 0)
			continue;
		task_s = task_flops / rate;
		if (task_s > op_s) {
			plan->where &= ~kinds[k].mask;
			plan->share[k] = 0;
		} else if (ntasks > 0) {
			double share = 0.5 * n * op_s / ((double)ntasks * task_s);

			plan->share[k] = share < 1.0 ? share : 1.0;
		}
	}
}

int32_t hetsched__placement_next(struct hetsched__placement *plan)
{
	int32_t where = plan->where;

	for (size_t k = 0; k < NKINDS; k++) {
		if (!(where & kinds[k].mask) || plan->share[k] >= 1.0)
			continue;
		plan->credit[k] += plan->share[k];
		if (plan->credit[k] >= 1.0)
			plan->credit[k] -= 1.0;
		else if (where & ~kinds[k].mask)
			where &= ~kinds[k].mask;
	}
	return where;
}

/* The kinds allowed to each footprint of linear tasks, most recent first; a small table is
 * enough (a run has a few tile shapes). */
#define NOTES 64
static struct {
	uint32_t footprint;
	int32_t where;
} notes[NOTES];
static int nnotes;
static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;

void hetsched__placement_note(uint32_t footprint, int32_t where)
{
	int i;

	pthread_mutex_lock(&notes_lock);
	for (i = 0; i < nnotes && notes[i].footprint != footprint; i++)
		;
	if (i == nnotes) {
		if (nnotes < NOTES)
			nnotes++;
		else
			i = (int)(footprint % NOTES);
	}
	notes[i].footprint = footprint;
	notes[i].where = where;
	pthread_mutex_unlock(&notes_lock);
}

int32_t hetsched__placement_noted(uint32_t footprint)
{
	int32_t where = -1;

	pthread_mutex_lock(&notes_lock);
	for (int i = 0; i < nnotes; i++)
		if (notes[i].footprint == footprint)
			where = notes[i].where;
	pthread_mutex_unlock(&notes_lock);
	return where;
}
