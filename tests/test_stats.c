/* test_stats.c: hetsched_stats_totals against totals this test adds up itself from the records
 * of hetsched_stats_records(), after a rand and a forward pass on the test's workers: per worker
 * and per kind, tasks, busy time and flops; the kinds' sums equal the workers'; a shorter
 * by_worker array and a NULL by_kind are accepted, a negative count is refused. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hetsched.h"
#include "tap.h"

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		if (rc_ < 0) {                                                                     \
			tap_diag("%s: %s", #expr, hetsched_last_error());                          \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static int same(const struct hetsched_totals *a, const struct hetsched_totals *b)
{
	return a->tasks == b->tasks && a->busy_s == b->busy_s && a->flops == b->flops;
}

int main(void)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, -1.0f, 1.0f, 7, 0};
	struct hetsched_totals mine_kind[HETSCHED_NKINDS], lib_kind[HETSCHED_NKINDS];
	struct hetsched_totals *mine_w, *lib_w, sum_w = {0, 0, 0}, sum_k = {0, 0, 0};
	const struct hetsched_task_record *rec;
	struct hetsched_conf conf;
	hetsched_tensor_t x, y;
	hetsched_linear_t layer;
	int nworkers, ok_w = 1, ok_k = 1;
	size_t n;

	hetsched_conf_init(&conf);
	conf.quiet = 1;
	CHECK(hetsched_init(&conf));
	CHECK(hetsched_tensor_create(&x, 300, 200, 64, 64));
	CHECK(hetsched_tensor_rand(x, &spec));
	CHECK(hetsched_linear_create(&layer, 200, 150, HETSCHED_ACT_RELU, 64, 64));
	CHECK(hetsched_linear_init_default(layer, 7, 0));
	CHECK(hetsched_linear_forward(layer, x, &y));
	CHECK(hetsched_wait_all());

	nworkers = hetsched_worker_count();
	mine_w = calloc((size_t)nworkers, sizeof(*mine_w));
	lib_w = calloc((size_t)nworkers, sizeof(*lib_w));
	if (!mine_w || !lib_w)
		return 1;
	memset(mine_kind, 0, sizeof(mine_kind));
	n = hetsched_stats_records(&rec);
	for (size_t i = 0; i < n; i++) {
		struct hetsched_worker_info info;

		if (hetsched_worker_get_info(rec[i].worker, &info) < 0)
			continue;
		mine_w[rec[i].worker].tasks++;
		mine_w[rec[i].worker].busy_s += rec[i].end_s - rec[i].start_s;
		mine_w[rec[i].worker].flops += rec[i].flops;
		mine_kind[info.kind].tasks++;
		mine_kind[info.kind].busy_s += rec[i].end_s - rec[i].start_s;
		mine_kind[info.kind].flops += rec[i].flops;
	}
	tap_diag("%zu records, %d workers", n, nworkers);
	tap_ok(n > 0, "tasks were recorded (%zu)", n);

	TAP_EQ_INT(hetsched_stats_totals(lib_w, nworkers, lib_kind), 0, "totals of every worker");
	for (int w = 0; w < nworkers; w++) {
		ok_w &= same(&mine_w[w], &lib_w[w]);
		tap_diag("worker %d: %zu tasks, %.6f s, %.0f flops (test: %zu, %.6f, %.0f)", w,
		         lib_w[w].tasks, lib_w[w].busy_s, lib_w[w].flops, mine_w[w].tasks,
		         mine_w[w].busy_s, mine_w[w].flops);
		sum_w.tasks += lib_w[w].tasks;
		sum_w.flops += lib_w[w].flops;
	}
	tap_ok(ok_w, "per worker: tasks, busy time and flops equal the test's sums");
	for (int k = 0; k < HETSCHED_NKINDS; k++) {
		ok_k &= same(&mine_kind[k], &lib_kind[k]);
		tap_diag("%s: %zu tasks, %.6f s, %.0f flops (test: %zu, %.6f, %.0f)",
		         hetsched_kind_name((enum hetsched_kind)k), lib_kind[k].tasks,
		         lib_kind[k].busy_s, lib_kind[k].flops, mine_kind[k].tasks,
		         mine_kind[k].busy_s, mine_kind[k].flops);
		sum_k.tasks += lib_kind[k].tasks;
		sum_k.flops += lib_kind[k].flops;
	}
	tap_ok(ok_k, "per kind: tasks, busy time and flops equal the test's sums");
	tap_ok(sum_k.tasks == sum_w.tasks && sum_k.tasks == n && sum_k.flops == sum_w.flops,
	       "the kinds add up to the workers: %zu tasks (%zu records), %.0f flops", sum_k.tasks,
	       n, sum_k.flops);

	/* One worker's entry only, and no kinds: the first worker's figures, the same. */
	memset(lib_w, 0xff, (size_t)nworkers * sizeof(*lib_w));
	TAP_EQ_INT(hetsched_stats_totals(lib_w, 1, NULL), 0, "by_worker of 1 entry, by_kind NULL");
	tap_ok(same(&mine_w[0], &lib_w[0]), "worker 0 alone: %zu tasks", lib_w[0].tasks);
	TAP_EQ_INT(hetsched_stats_totals(NULL, 0, lib_kind), 0, "by_worker NULL with 0 workers");
	tap_ok(same(&mine_kind[0], &lib_kind[0]) && same(&mine_kind[1], &lib_kind[1]) &&
	           same(&mine_kind[2], &lib_kind[2]),
	       "by_kind alone: the same sums");
	TAP_EQ_INT(hetsched_stats_totals(lib_w, -1, lib_kind), HETSCHED_EINVAL,
	           "nworkers -1 is refused");
	TAP_EQ_INT(hetsched_stats_totals(NULL, 2, lib_kind), HETSCHED_EINVAL,
	           "NULL by_worker with 2 workers is refused");

	hetsched_tensor_destroy(y);
	hetsched_tensor_destroy(x);
	hetsched_linear_destroy(layer);
	free(mine_w);
	free(lib_w);
	CHECK(hetsched_shutdown());
	return tap_done();
}
