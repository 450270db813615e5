/* sweep.c: the study itself. When some policies schedule from the performance models, a
 * calibration phase under dmda runs every (size, tile) first; then each policy runs in a fresh
 * StarPU: each (size, tile) gets its warm-up passes (more while StarPU does not call the models
 * calibrated) and its timed passes, each checked and recorded as a row. A set-up or a pass that
 * takes longer than --pass-timeout ends the study. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "../problem.h"
#include "../report.h"

static int record_workers(struct bench *b)
{
	int n = hetsched_worker_count();

	free(b->worker_kind);
	free(b->worker_name);
	free(b->worker_full_name);
	b->worker_kind = calloc((size_t)n, sizeof(*b->worker_kind));
	b->worker_name = calloc((size_t)n, sizeof(*b->worker_name));
	b->worker_full_name = calloc((size_t)n, sizeof(*b->worker_full_name));
	if (!b->worker_kind || !b->worker_name || !b->worker_full_name) {
		cli_error("bench", "out of memory");
		return -1;
	}
	b->nworkers = n;
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		b->nkind[k] = hetsched_worker_count_kind((enum hetsched_kind)k);
	for (int i = 0; i < n; i++) {
		struct hetsched_worker_info info;
		size_t len;

		hetsched_worker_get_info(i, &info);
		b->worker_kind[i] = info.kind;
		snprintf(b->worker_full_name[i], sizeof(b->worker_full_name[i]), "%s", info.name);
		/* Charts show "OpenCL 0" for "OpenCL 0 (pthread-skylake-avx512 ...)". */
		len = strlen(info.name) < NAME_LEN - 1 ? strlen(info.name) : NAME_LEN - 1;
		if (strstr(info.name, " (") && (size_t)(strstr(info.name, " (") - info.name) < len)
			len = (size_t)(strstr(info.name, " (") - info.name);
		memcpy(b->worker_name[i], info.name, len);
		b->worker_name[i][len] = '\0';
	}
	return 0;
}

/* The tiles of each size, "auto" resolved by the rule of `hetsched run --tile auto` for an
 * N x N x N layer; a tile listed twice that way runs once. */
static void resolve_tiles(struct bench *b)
{
	b->total_work = 0;
	b->total_configs = 0;
	for (size_t s = 0; s < b->o.nsizes; s++) {
		b->nrtiles[s] = 0;
		for (size_t t = 0; t < b->o.ntiles; t++) {
			size_t n = b->o.sizes[s], dims[2] = {n, n};
			size_t tile = b->o.tiles[t] ? b->o.tiles[t] : cli_auto_tile(n, dims, 1);
			int dup = 0;

			for (size_t k = 0; k < b->nrtiles[s]; k++)
				dup |= b->rtiles[s][k] == tile;
			if (!dup)
				b->rtiles[s][b->nrtiles[s]++] = tile;
		}
		b->total_configs += b->nrtiles[s];
		b->total_work +=
		    b->nrtiles[s] * b->o.repeat * bench_pass_flops(b->o.sizes[s], b->o.layers);
	}
	b->total_configs *= b->o.nsched;
	b->total_work *= b->o.nsched;
	b->total_runs = b->total_configs * b->o.repeat;
	b->resolved = 1;
}

/* The problem of one (size, tile): an N x N random input through the layers of N -> N, ReLU
 * between them, and the host copies the check of every timed pass reads. */
static int problem_setup(const struct bench *b, struct cli_problem *p, size_t n, size_t tile)
{
	size_t dims[MAX_LAYERS + 1];
	const char *what;

	for (size_t l = 0; l <= b->o.layers; l++)
		dims[l] = n;
	cli_problem_random(p, n, dims, b->o.layers, HETSCHED_ACT_RELU, b->o.seed);
	if (cli_problem_create(p, tile, &what) < 0)
		return -1;
	/* In a simulation nothing is computed, so nothing is checked. */
	if (!hetsched_is_simulation() && cli_problem_keep_check_copies(p) < 0)
		return -1;
	return 0;
}

/* Arm the pass deadline, with the message that names this configuration. */
static void deadline_arm(const struct bench *b, const char *sched, size_t n, size_t tile,
                         const char *what)
{
	char msg[512];

	if (!b->o.pass_timeout)
		return;
	snprintf(msg, sizeof(msg),
	         "hetsched: bench: policy %s, n=%zu tile=%zu: %s did not finish within %u s (a "
	         "scheduler that hangs on these workers? leave it out of --sched, or raise "
	         "--pass-timeout); no CSV, plot or report written\n",
	         sched, n, tile, what, b->o.pass_timeout);
	hetsched__deadline_arm(b->o.pass_timeout, msg);
}

/* Whether StarPU calls the models calibrated for every task shape of the last pass (the tasks
 * recorded since the last hetsched_stats_reset()), on every architecture of the workers. */
static int models_calibrated(int *calibrated)
{
	size_t missing;

	if (hetsched_perfmodel_uncalibrated(NULL, &missing) < 0)
		return -1;
	*calibrated = missing == 0;
	return 0;
}

static int save_trace(struct bench *b, size_t sched, size_t n, size_t tile, double elapsed)
{
	const struct hetsched_task_record *rec;
	size_t nrec = hetsched_stats_records(&rec);
	struct bench_trace *t;
	char path[4096];

	if (bench_make_folder(b->o.trace_dir) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/trace-%s-n%zu-t%zu.json", b->o.trace_dir,
	         b->o.scheds[sched], n, tile);
	if (report_write_trace(path) < 0) {
		cli_error("bench", "%s", hetsched_last_error());
		return -1;
	}
	/* The records are kept for the Gantt charts, drawn with the other plots at the end. */
	if (!b->o.plot)
		return 0;
	if (cli_reserve(&b->traces, &b->traces_cap, b->ntraces, sizeof(*b->traces)) < 0)
		return -1;
	t = &b->traces[b->ntraces];
	t->records = malloc((nrec ? nrec : 1) * sizeof(*rec));
	if (!t->records)
		return -1;
	memcpy(t->records, rec, nrec * sizeof(*rec));
	t->nrecords = nrec;
	t->sched = sched;
	t->size = n;
	t->tile = tile;
	t->elapsed_s = elapsed;
	b->ntraces++;
	return 0;
}

static int fail_runtime(const char *what)
{
	bench_progress_clear();
	cli_error("bench", "%s: %s", what, hetsched_last_error());
	return EXIT_RUNTIME;
}

/* One pass of the study's scenario (statistics reset first): resident, the pass as it comes
 * after the warm-up (x and W where earlier tasks left them); cold, x and W brought back to the
 * host first (not timed); stream, x's host copy streamed in batches through the resident
 * weights. With \p row, its bytes moved are filled in. */
static int scenario_pass(const struct bench *b, struct cli_problem *p, double *elapsed,
                         struct bench_row *row)
{
	uint64_t h2d = 0, d2h = 0, moved = 0;

	if (!strcmp(b->o.scenario, "cold") && cli_problem_evict(p) < 0)
		return -1;
	hetsched_stats_reset();
	if (!strcmp(b->o.scenario, "stream")) {
		size_t batch = b->o.batch_size ? b->o.batch_size : (p->rows + 3) / 4;

		/* Whole tiles per batch: the same tasks as the in-memory pass. */
		batch = (batch + p->tile - 1) / p->tile * p->tile;
		if (cli_problem_stream_pass(p, batch, elapsed, &h2d, &d2h) < 0)
			return -1;
		moved = h2d + d2h;
	} else {
		hetsched_bus_bytes(NULL, NULL, NULL); /* reading resets the counters */
		if (cli_problem_pass(p, elapsed) < 0 || hetsched_bus_bytes(&h2d, &d2h, &moved) < 0)
			return -1;
	}
	if (row) {
		row->bytes_moved = (long long)moved;
		row->h2d_bytes = (long long)h2d;
		row->d2h_bytes = (long long)d2h;
	}
	return 0;
}

/* Warm-up passes, then the timed ones, of one (policy, size, tile). */
static int run_config(struct bench *b, size_t sched, size_t n, size_t tile)
{
	const char *name = b->o.scheds[sched];
	struct cli_problem p;
	double elapsed, *times = calloc(2 * b->o.repeat, sizeof(double)), *gflops;
	size_t warmups = 0, ok = 0;
	int calibrated = 1, rc = EXIT_RUNTIME;
	char phase[64];

	if (!times) {
		cli_error("bench", "out of memory");
		return EXIT_RUNTIME;
	}
	gflops = times + b->o.repeat;
	deadline_arm(b, name, n, tile, "the set-up");
	if (problem_setup(b, &p, n, tile) < 0) {
		rc = fail_runtime("cannot create the problem");
		goto out;
	}

	/* Warm-up: device kernels compiled, tiles allocated, and the models of the dm* policies
	 * calibrated, before anything is timed. The records of each warm-up pass tell which task
	 * shapes it ran, for the calibration test. */
	for (;;) {
		snprintf(phase, sizeof(phase), "warm-up %zu", warmups + 1);
		bench_progress(b, name, n, tile, phase);
		hetsched_stats_reset();
		deadline_arm(b, name, n, tile, "a warm-up pass");
		if (scenario_pass(b, &p, &elapsed, NULL) < 0) {
			rc = fail_runtime("warm-up pass failed");
			goto out;
		}
		hetsched__deadline_disarm();
		cli_problem_release_pass(&p);
		warmups++;
		if (warmups < b->o.warmup)
			continue;
		if (!hetsched_sched_uses_models(name)) {
			calibrated = -1; /* nothing to calibrate */
			break;
		}
		if (models_calibrated(&calibrated) < 0) {
			rc = fail_runtime("cannot read the performance models");
			goto out;
		}
		if (calibrated || warmups >= b->o.max_warmup)
			break;
	}

	for (size_t r = 0; r < b->o.repeat; r++) {
		struct bench_row row;
		struct hetsched__check_result check;

		memset(&row, 0, sizeof(row));
		row.sched = sched;
		row.size = n;
		row.tile = tile;
		row.repeat = r + 1;
		snprintf(phase, sizeof(phase), "run %zu/%zu", r + 1, b->o.repeat);
		bench_progress(b, name, n, tile, phase);
		row.when = time(NULL);
		deadline_arm(b, name, n, tile, "a timed pass");
		if (scenario_pass(b, &p, &row.elapsed_s, &row) < 0) {
			rc = fail_runtime("forward pass failed");
			goto out;
		}
		hetsched__deadline_disarm();
		row.gflops = bench_pass_flops(n, b->o.layers) / row.elapsed_s * 1e-9;
		bench_summarize_records(b, &row);
		if (hetsched_is_simulation()) {
			row.check_ok = -1; /* nothing was computed */
		} else if (cli_problem_check_projection(&p, b->o.seed ^ (0x5eedull + r), &check) <
		           0) {
			rc = fail_runtime("check failed to run");
			goto out;
		} else {
			row.check_ok = check.ok;
		}
		if (r + 1 == b->o.repeat && b->o.trace_dir &&
		    save_trace(b, sched, n, tile, row.elapsed_s) < 0) {
			rc = EXIT_RUNTIME;
			goto out;
		}
		cli_problem_release_pass(&p);
		if (bench_add_row(b, &row) < 0) {
			cli_error("bench", "out of memory");
			goto out;
		}
		ok += row.check_ok > 0;
		times[r] = row.elapsed_s;
		gflops[r] = row.gflops;
		b->done_runs++;
		b->done_work += bench_pass_flops(n, b->o.layers);
	}
	b->done_configs++;
	b->nmodel_configs += calibrated >= 0;
	b->nuncalibrated += calibrated == 0;

	if (!b->o.quiet && b->tty && calibrated == 0) {
		bench_progress_clear();
		fprintf(
		    stderr,
		    "hetsched: bench: %s n=%zu tile=%zu: models NOT calibrated after %zu warm-up "
		    "passes (raise --max-warmup)\n",
		    name, n, tile, warmups);
	}
	if (!b->o.quiet && !b->tty) {
		double med = cli_sort_median(times, b->o.repeat),
		       med_gflops = cli_sort_median(gflops, b->o.repeat);
		char checks[64];

		if (hetsched_is_simulation())
			snprintf(checks, sizeof(checks), "none (simulated)");
		else
			snprintf(checks, sizeof(checks), "%s (%zu/%zu)",
			         ok == b->o.repeat ? "ok" : "FAILED", ok, b->o.repeat);
		fprintf(
		    stderr,
		    "hetsched: bench: [%zu/%zu] %s n=%zu tile=%zu: %zu warm-up pass%s%s, median "
		    "%.4g s, %.3g GFLOP/s, check %s\n",
		    b->done_configs, b->total_configs, name, n, tile, warmups,
		    warmups == 1 ? "" : "es",
		    calibrated < 0 ? ""
		    : calibrated   ? " (models calibrated)"
		                   : " (models NOT calibrated: raise --max-warmup)",
		    med, med_gflops, checks);
	}
	rc = EXIT_OK;
out:
	hetsched__deadline_disarm();
	cli_problem_free(&p);
	free(times);
	return rc;
}

/* A fresh StarPU under \p sched with the study's workers; the first one tells the workers, and
 * so the tiles of "auto". */
static int start_policy(struct bench *b, const char *sched, int all_kinds)
{
	struct cli_workers w = b->o.workers;
	int rc;

	w.sched = sched;
	w.all_kinds = all_kinds;
	rc = cli_start_one_process(&w, 1, "bench");
	if (rc != EXIT_OK || b->resolved)
		return rc;
	if (record_workers(b) < 0) {
		hetsched_shutdown();
		return EXIT_RUNTIME;
	}
	resolve_tiles(b);
	return EXIT_OK;
}

/* The calibration phase, before any policy when some of them schedule from the performance
 * models: one StarPU under dmda (which sends each task shape to every kind of worker until it
 * is measured) runs the set-up and a pass of every (size, tile) until both models are calibrated,
 * at most 3 x --max-warmup times. Every policy then starts from the same calibrated models (they
 * live in $STARPU_HOME and outlast each StarPU), and none pays for the measuring. It also keeps
 * modular-heteroprio-heft of StarPU 1.3, which hangs on uncalibrated models, usable. */
int bench_calibrate(struct bench *b)
{
	int rc;

	/* The calibration phase offers every kind every task, to measure each on each shape. */
	rc = start_policy(b, "dmda", 1);
	if (rc != EXIT_OK)
		return rc;
	for (size_t s = 0; s < b->o.nsizes && rc == EXIT_OK; s++)
		for (size_t t = 0; t < b->nrtiles[s] && rc == EXIT_OK; t++) {
			size_t n = b->o.sizes[s], tile = b->rtiles[s][t], passes = 0;
			int calibrated = 0;
			char phase[64];

			while (!calibrated && passes < 3 * b->o.max_warmup) {
				struct cli_problem p;
				double elapsed;

				snprintf(phase, sizeof(phase), "calibration %zu", passes + 1);
				bench_progress(b, "dmda", n, tile, phase);
				hetsched_stats_reset();
				deadline_arm(b, "dmda", n, tile, "a calibration pass");
				if (problem_setup(b, &p, n, tile) < 0 ||
				    cli_problem_pass(&p, &elapsed) < 0)
					rc = fail_runtime("calibration pass failed");
				hetsched__deadline_disarm();
				cli_problem_free(&p);
				if (rc != EXIT_OK)
					break;
				passes++;
				if (models_calibrated(&calibrated) < 0) {
					rc = fail_runtime("cannot read the performance models");
					break;
				}
			}
			if (rc == EXIT_OK && !b->o.quiet && (!b->tty || !calibrated)) {
				bench_progress_clear();
				fprintf(
				    stderr,
				    "hetsched: bench: calibration n=%zu tile=%zu: %zu pass%s under "
				    "dmda, models %s\n",
				    n, tile, passes, passes == 1 ? "" : "es",
				    calibrated ? "calibrated"
				               : "NOT calibrated (raise --max-warmup)");
			}
		}
	hetsched_shutdown();
	return rc;
}

/* One policy: a fresh StarPU, every (size, tile), StarPU stopped again. */
int bench_run_policy(struct bench *b, size_t sched)
{
	int rc;

	/* StarPU's own messages would break the progress line: keep it quiet. */
	bench_progress_clear();
	rc = start_policy(b, b->o.scheds[sched], 0);
	if (rc != EXIT_OK)
		return rc;
	rc = EXIT_OK;
	for (size_t s = 0; s < b->o.nsizes && rc == EXIT_OK; s++)
		for (size_t t = 0; t < b->nrtiles[s] && rc == EXIT_OK; t++)
			rc = run_config(b, sched, b->o.sizes[s], b->rtiles[s][t]);
	hetsched_shutdown();
	return rc;
}
