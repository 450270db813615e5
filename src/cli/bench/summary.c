/* summary.c: the table printed on stdout after a study written to --csv: the medians of each
 * configuration and the best policy of each size. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bench.h"

void bench_print_summary(const struct bench *b)
{
	size_t width = 6;

	printf(
	    "hetsched bench: %zu polic%s, %zu size%s, %zu timed passes, %zu layer%s, on %d cpu + "
	    "%d cuda + %d opencl workers (%s%s)\n",
	    b->o.nsched, b->o.nsched == 1 ? "y" : "ies", b->o.nsizes, b->o.nsizes == 1 ? "" : "s",
	    b->nrows, b->o.layers, b->o.layers == 1 ? "" : "s", b->nkind[HETSCHED_KIND_CPU],
	    b->nkind[HETSCHED_KIND_CUDA], b->nkind[HETSCHED_KIND_OPENCL], b->host,
	    hetsched_is_simulation() ? ", simulated" : "");
	for (size_t p = 0; p < b->o.nsched; p++)
		width = strlen(b->o.scheds[p]) > width ? strlen(b->o.scheds[p]) : width;
	printf("\n  %-*s %6s %6s %10s %9s %19s %7s\n", (int)width, "policy", "N", "tile",
	       "median_s", "GFLOP/s", "(min - max)", "checks");
	for (size_t i = 0; i < b->ngroups; i++) {
		const struct bench_group *g = &b->groups[i];
		char range[64];

		snprintf(range, sizeof(range), "(%.2f - %.2f)", g->min_gflops, g->max_gflops);
		printf("  %-*s %6zu %6zu %10.4f %9.2f %19s ", (int)width, b->o.scheds[g->sched],
		       g->size, g->tile, g->med_s, g->med_gflops, range);
		if (hetsched_is_simulation())
			printf("%7s\n", "none");
		else
			printf("%3zu/%zu\n", g->nok, g->n);
	}
	printf("\nbest policy per size (median GFLOP/s):\n");
	for (size_t s = 0; s < b->o.nsizes; s++) {
		const struct bench_group *second,
		    *best = bench_best_of_size(b, b->o.sizes[s], &second);

		if (!best)
			continue;
		printf("  N=%-6zu %s, tile %zu: %.2f GFLOP/s", b->o.sizes[s],
		       b->o.scheds[best->sched], best->tile, best->med_gflops);
		if (second)
			printf(" (next: %s, tile %zu: %.2f, %+.1f%%)", b->o.scheds[second->sched],
			       second->tile, second->med_gflops,
			       100.0 * (second->med_gflops / best->med_gflops - 1));
		printf("\n");
	}
	if (b->o.csv)
		printf("\ncsv: %s\n", b->o.csv);
	if (b->o.plot_file)
		printf("plot: %s/%s\n", b->o.plot, b->o.plot_file);
	else if (b->o.plot)
		printf("report: %s/index.html\n", b->o.plot);
	if (b->o.trace_dir)
		printf("traces: %s\n", b->o.trace_dir);
}
