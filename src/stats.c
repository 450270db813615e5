/* stats.c: per-task records (worker, start, end, tile) from StarPU's profiling, appended by
 * task callbacks that run concurrently on the workers, and their sums per worker and per kind. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "internal.h"

static struct {
	pthread_mutex_t lock;
	struct hetsched_task_record *records;
	size_t count, capacity;
	double origin_us;
} stats = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0};

const char *hetsched_op_name(enum hetsched_op op)
{
	switch (op) {
	case HETSCHED_OP_RAND:
		return "rand";
	case HETSCHED_OP_LINEAR:
		return "linear";
	default:
		return "unknown";
	}
}

void hetsched_stats_reset(void)
{
	pthread_mutex_lock(&stats.lock);
	free(stats.records);
	stats.records = NULL;
	stats.count = stats.capacity = 0;
	stats.origin_us = starpu_timing_now();
	pthread_mutex_unlock(&stats.lock);
}

static void record(enum hetsched_op op, int worker, double start_us, double end_us,
                   uint32_t tile_row, uint32_t tile_col, uint32_t tile_k, double flops,
                   uint32_t footprint)
{
	struct hetsched_task_record *r;

	pthread_mutex_lock(&stats.lock);
	if (stats.count == stats.capacity) {
		size_t capacity = stats.capacity ? 2 * stats.capacity : 1024;
		struct hetsched_task_record *grown =
		    realloc(stats.records, capacity * sizeof(*grown));

		/* Statistics are best effort: a task that cannot be recorded is dropped. */
		if (!grown) {
			pthread_mutex_unlock(&stats.lock);
			return;
		}
		stats.records = grown;
		stats.capacity = capacity;
	}
	r = &stats.records[stats.count++];
	r->op = op;
	r->worker = worker;
	r->start_s = start_us > 0 ? (start_us - stats.origin_us) * 1e-6 : 0;
	r->end_s = end_us > 0 ? (end_us - stats.origin_us) * 1e-6 : 0;
	r->tile_row = tile_row;
	r->tile_col = tile_col;
	r->tile_k = tile_k;
	r->flops = flops;
	r->footprint = footprint;
	pthread_mutex_unlock(&stats.lock);
}

size_t hetsched_stats_records(const struct hetsched_task_record **records)
{
	*records = stats.records;
	return stats.count;
}

void hetsched__stats_record(enum hetsched_op op, uint32_t tile_row, uint32_t tile_col,
                            uint32_t tile_k, double flops, uint32_t footprint)
{
	/* Called from the task's callback: its data are already released (and may be
	 * unregistered), so only StarPU's profiling of the task and the caller's figures count. */
	struct starpu_task *task = starpu_task_get_current();
	struct starpu_profiling_task_info *info = task ? task->profiling_info : NULL;

	record(op, info ? info->workerid : starpu_worker_get_id(),
	       info ? starpu_timing_timespec_to_us(&info->start_time) : 0,
	       info ? starpu_timing_timespec_to_us(&info->end_time) : 0, tile_row, tile_col, tile_k,
	       flops, footprint);
}

int hetsched_stats_totals(struct hetsched_totals *by_worker, int nworkers,
                          struct hetsched_totals by_kind[HETSCHED_NKINDS])
{
	int workers = hetsched_worker_count();

	if (nworkers < 0 || (nworkers > 0 && !by_worker))
		return hetsched__error(HETSCHED_EINVAL,
		                       "nworkers must be >= 0 with an array of that many, got %d%s",
		                       nworkers, by_worker ? "" : " and NULL");
	if (by_worker)
		memset(by_worker, 0, (size_t)nworkers * sizeof(*by_worker));
	if (by_kind)
		memset(by_kind, 0, HETSCHED_NKINDS * sizeof(*by_kind));
	pthread_mutex_lock(&stats.lock);
	for (size_t i = 0; i < stats.count; i++) {
		const struct hetsched_task_record *r = &stats.records[i];
		double busy = r->end_s - r->start_s;
		struct hetsched_worker_info info;

		if (r->worker < 0 || r->worker >= workers ||
		    hetsched_worker_get_info(r->worker, &info) < 0)
			continue;
		if (r->worker < nworkers) {
			by_worker[r->worker].tasks++;
			by_worker[r->worker].busy_s += busy;
			by_worker[r->worker].flops += r->flops;
		}
		if (by_kind) {
			by_kind[info.kind].tasks++;
			by_kind[info.kind].busy_s += busy;
			by_kind[info.kind].flops += r->flops;
		}
	}
	pthread_mutex_unlock(&stats.lock);
	return 0;
}
