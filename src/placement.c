/* placement.c: which kinds of worker may run a task, from the size of its buffers and of the
 * memory nodes. */
#include "config.h"

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
