/* results.c: the results of a study: one row per timed pass (tasks, busy time and work per
 * kind of worker from the task records), and the medians of each (policy, size, tile). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* A time as ISO 8601 in UTC, as the CSV and the report show it. */
void bench_iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Floating-point operations of one pass: L layers of an N x N by N x N product. */
double bench_pass_flops(size_t n, size_t layers)
{
	return 2.0 * (double)n * (double)n * (double)n * (double)layers;
}

/* Append a row; -1 when out of memory. */
int bench_add_row(struct bench *b, const struct bench_row *row)
{
	if (cli_reserve(&b->rows, &b->rows_cap, b->nrows, sizeof(*b->rows)) < 0)
		return -1;
	b->rows[b->nrows++] = *row;
	return 0;
}

/* Tasks, busy time and work per kind of worker, from the records of the last pass. */
void bench_summarize_records(const struct bench *b, struct bench_row *row)
{
	struct hetsched_totals kind[HETSCHED_NKINDS];

	hetsched_stats_totals(NULL, 0, kind);
	for (int k = 0; k < HETSCHED_NKINDS; k++) {
		row->tasks[k] = kind[k].tasks;
		row->flops[k] = kind[k].flops;
		row->busy[k] = b->nkind[k] > 0 && row->elapsed_s > 0
		                   ? kind[k].busy_s / (row->elapsed_s * b->nkind[k])
		                   : 0.0;
	}
}

/* Medians per (policy, size, tile), in the order of the sweep. */
int bench_compute_groups(struct bench *b)
{
	double *v = malloc(b->o.repeat * sizeof(double) + 1);

	b->groups = calloc(b->nrows + 1, sizeof(*b->groups));
	if (!v || !b->groups) {
		free(v);
		return -1;
	}
	b->ngroups = 0;
	for (size_t i = 0; i < b->nrows;) {
		struct bench_group *g = &b->groups[b->ngroups++];
		size_t j = i;

		g->sched = b->rows[i].sched;
		g->size = b->rows[i].size;
		g->tile = b->rows[i].tile;
		while (j < b->nrows && b->rows[j].sched == g->sched && b->rows[j].size == g->size &&
		       b->rows[j].tile == g->tile)
			j++;
		g->n = j - i;
		g->min_gflops = HUGE_VAL;
		for (size_t r = i; r < j; r++) {
			g->nok += b->rows[r].check_ok > 0;
			g->min_gflops = fmin(g->min_gflops, b->rows[r].gflops);
			g->max_gflops = fmax(g->max_gflops, b->rows[r].gflops);
			for (int k = 0; k < HETSCHED_NKINDS; k++)
				g->flops[k] += b->rows[r].flops[k];
		}
		for (size_t r = i; r < j; r++)
			v[r - i] = b->rows[r].elapsed_s;
		g->med_s = cli_sort_median(v, g->n);
		for (size_t r = i; r < j; r++)
			v[r - i] = b->rows[r].gflops;
		g->med_gflops = cli_sort_median(v, g->n);
		for (size_t r = i; r < j; r++)
			v[r - i] = (double)b->rows[r].bytes_moved;
		g->med_bytes = cli_sort_median(v, g->n);
		for (int k = 0; k < HETSCHED_NKINDS; k++) {
			for (size_t r = i; r < j; r++)
				v[r - i] = b->rows[r].busy[k];
			g->med_busy[k] = cli_sort_median(v, g->n);
			for (size_t r = i; r < j; r++)
				v[r - i] = (double)b->rows[r].tasks[k];
			g->med_tasks[k] = cli_sort_median(v, g->n);
		}
		i = j;
	}
	/* The best tile of each (policy, size). */
	for (size_t i = 0; i < b->ngroups; i++) {
		struct bench_group *g = &b->groups[i];
		int best = 1;

		for (size_t k = 0; k < b->ngroups; k++)
			if (k != i && b->groups[k].sched == g->sched &&
			    b->groups[k].size == g->size &&
			    (b->groups[k].med_gflops > g->med_gflops ||
			     (b->groups[k].med_gflops == g->med_gflops && k < i)))
				best = 0;
		g->best_tile = best;
	}
	free(v);
	return 0;
}

/* The best (policy, tile) of size n by median GFLOP/s, and the best of the other policies. */
const struct bench_group *bench_best_of_size(const struct bench *b, size_t n,
                                             const struct bench_group **runner_up)
{
	const struct bench_group *best = NULL;

	*runner_up = NULL;
	for (size_t i = 0; i < b->ngroups; i++)
		if (b->groups[i].size == n && (!best || b->groups[i].med_gflops > best->med_gflops))
			best = &b->groups[i];
	for (size_t i = 0; best && i < b->ngroups; i++)
		if (b->groups[i].size == n && b->groups[i].sched != best->sched &&
		    (!*runner_up || b->groups[i].med_gflops > (*runner_up)->med_gflops))
			*runner_up = &b->groups[i];
	return best;
}
