/* calibrate.c: `hetsched calibrate`: run the codelets over the tile shapes a run will use until
 * every (codelet, worker kind, task shape) has the samples StarPU needs to call its history-based
 * performance model calibrated (10, STARPU_CALIBRATE_MINIMUM), so that the first real run is
 * already scheduled well by the dm* policies. The models are kept in $STARPU_HOME (or
 * $STARPU_PERF_MODEL_DIR), per $STARPU_HOSTNAME. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "simulate.h"
#include "problem.h"
#include "tool.h"

#define MAX_PASSES 40

/* The gaps between consecutive tasks of one worker, per kind of worker, over the passes:
 * calibrate --export reports their median as the per-task overhead of that kind (launching and
 * completing a task costs time that StarPU's model of the kernel does not hold). */
struct gaps {
	double *v[HETSCHED_NKINDS];
	size_t n[HETSCHED_NKINDS], cap[HETSCHED_NKINDS];
};
static struct gaps gaps;

static int by_worker_then_start(const void *a, const void *b)
{
	const struct hetsched_task_record *x = a, *y = b;

	if (x->worker != y->worker)
		return x->worker < y->worker ? -1 : 1;
	return x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
}

static void record_gaps(void)
{
	const struct hetsched_task_record *rec;
	size_t n = hetsched_stats_records(&rec);
	struct hetsched_task_record *sorted = malloc((n ? n : 1) * sizeof(*sorted));

	if (!sorted)
		return;
	memcpy(sorted, rec, n * sizeof(*rec));
	qsort(sorted, n, sizeof(*sorted), by_worker_then_start);
	for (size_t i = 1; i < n; i++) {
		struct hetsched_worker_info info;
		int k;

		if (sorted[i].worker != sorted[i - 1].worker ||
		    hetsched_worker_get_info(sorted[i].worker, &info) < 0)
			continue;
		k = (int)info.kind;
		if (cli_reserve(&gaps.v[k], &gaps.cap[k], gaps.n[k], sizeof(double)) < 0)
			break;
		gaps.v[k][gaps.n[k]++] = sorted[i].start_s - sorted[i - 1].end_s;
	}
	free(sorted);
}

const char cli_calibrate_help[] =
    "usage: hetsched calibrate [--sizes N1,N2,...] [--tile T|auto] [--export NODE.tar.gz]\n"
    "                          [--quiet] [worker options]\n"
    "\n"
    "Run forward passes of N x N -> N (default 4096) until StarPU's history holds 10 samples of\n"
    "every task shape of those passes on each worker's architecture, so that StarPU's dm*\n"
    "policies schedule the next run from calibrated models. The models live in\n"
    "$STARPU_HOME/.starpu/sampling (or $STARPU_PERF_MODEL_DIR), one set per $STARPU_HOSTNAME:\n"
    "on a cluster, put them on shared storage and give each node type its own\n"
    "STARPU_HOSTNAME.\n"
    "\n"
    "  --export NODE.tar.gz  then write what a simulation of this node needs (hetsched bench\n"
    "                     --simulate NODE.tar.gz in a simulation build): the models, StarPU's\n"
    "                     bus files and platform, the hetsched and StarPU versions, the\n"
    "                     footprint scheme, and each kind of worker's per-task overhead (median\n"
    "                     gap between two of its tasks in these passes)\n" CLI_NUMERICS_HELP
        CLI_WORKER_HELP;

enum { OPT_SIZES = OPT_FIRST_COMMAND_OPTION, OPT_TILE, OPT_QUIET, OPT_EXPORT };

/* A pass runs the set-up (rand) and a layer (linear) with the records reset first, so that the
 * library's calibration test sees every class of task (operation and footprint, the model's key:
 * tile shapes, and for linear the task's place in its k chain and the activation) that a run of
 * this size and tile will submit. StarPU's history, not the tasks this process ran, decides: a
 * shape calibrated by an earlier run or another size counts, and a dm* policy sends it no task to
 * measure. */
static int calibrate_size(size_t size, size_t tile_arg, int quiet)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 0, 0};
	size_t nkeys = 0, dims[2] = {size, size}, tile, missing = SIZE_MAX;
	int pass;

	tile = tile_arg ? tile_arg : cli_auto_tile(size, dims, 1);
	tile = tile < size ? tile : size; /* an auto tile; a given one was checked */
	for (pass = 1; pass <= MAX_PASSES; pass++) {
		hetsched_tensor_t x, y;
		hetsched_linear_t layer;

		hetsched_stats_reset();
		if (hetsched_tensor_create(&x, size, size, tile, tile) < 0 ||
		    hetsched_tensor_rand(x, &spec) < 0 ||
		    hetsched_linear_create(&layer, size, size, HETSCHED_ACT_NONE, tile, tile) < 0 ||
		    hetsched_linear_init_default(layer, 0, 0) < 0 ||
		    hetsched_linear_forward(layer, x, &y) < 0 || hetsched_tensor_to_host(y) < 0) {
			fprintf(stderr, "hetsched: calibrate: %s\n", hetsched_last_error());
			return EXIT_RUNTIME;
		}
		hetsched_wait_all();
		record_gaps();
		hetsched_tensor_destroy(y);
		hetsched_tensor_destroy(x);
		hetsched_linear_destroy(layer);
		if (hetsched_perfmodel_uncalibrated(&nkeys, &missing) < 0) {
			fprintf(stderr, "hetsched: calibrate: %s\n", hetsched_last_error());
			return EXIT_RUNTIME;
		}
		if (!quiet)
			fprintf(
			    stderr,
			    "calibrate: size %zu, tile %zu, pass %d: %zu task classes, %zu (class, "
			    "architecture) pairs not calibrated yet\n",
			    size, tile, pass, nkeys, missing);
		if (missing == 0)
			break;
	}
	if (!quiet) {
		int kinds = (hetsched_worker_count_kind(HETSCHED_KIND_CPU) > 0) +
		            (hetsched_worker_count_kind(HETSCHED_KIND_CUDA) > 0) +
		            (hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) > 0);

		printf("size %zu, tile %zu: %s after %d pass%s (%zu task class%s, %d kind%s of "
		       "worker)\n",
		       size, tile, missing == 0 ? "calibrated" : "NOT fully calibrated",
		       pass > MAX_PASSES ? MAX_PASSES : pass, pass == 1 ? "" : "es", nkeys,
		       nkeys == 1 ? "" : "es", kinds, kinds == 1 ? "" : "s");
	}
	return missing == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* calibrate's own options; the driver takes --help and the worker options. */
struct calibrate_options {
	size_t sizes[32], nsizes, tile;
	int quiet;
	const char *export_path;
};

#define CALIBRATE(opt, kind, name, field)                                                          \
	{                                                                                          \
		opt, kind, name, offsetof(struct calibrate_options, field), CLI_NOT_GIVEN          \
	}
static const struct cli_binding calibrate_bindings[] = {
    CALIBRATE(OPT_TILE, CLI_TILE, "tile", tile),
    CALIBRATE(OPT_QUIET, CLI_FLAG, "quiet", quiet),
    CALIBRATE(OPT_EXPORT, CLI_TEXT, "export", export_path),
    {0, CLI_FLAG, NULL, 0, CLI_NOT_GIVEN},
};

static int handle_option(int opt, const char *arg, void *ctx)
{
	struct calibrate_options *o = ctx;
	int rc = cli_bind(calibrate_bindings, opt, arg, o);

	if (rc != CLI_NOT_MINE || opt != OPT_SIZES)
		return rc;
	return cli_parse_size_list("calibrate", "sizes", arg, o->sizes, 32, &o->nsizes, 0, 0) < 0
	           ? CLI_BAD_VALUE
	           : CLI_PARSED;
}

int cli_calibrate(int argc, char **argv)
{
	static const struct option options[] = {
	    {"sizes", required_argument, NULL, OPT_SIZES},
	    {"tile", required_argument, NULL, OPT_TILE},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"export", required_argument, NULL, OPT_EXPORT},
	    CLI_NUMERICS_OPTIONS,
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct calibrate_options o = {{4096}, 1, 0, 0, NULL};
	double overhead_us[HETSCHED_NKINDS];
	char *node_json = NULL;
	struct cli_workers workers;
	int rc;

	rc = cli_options_parse("calibrate", argc, argv, options, handle_option, &o, &workers);
	if (rc != CLI_PARSED)
		return cli_options_exit("calibrate", rc);
	if (hetsched_is_simulation() || workers.simulate) {
		cli_error("calibrate",
		          "calibrate measures a real node; a simulation takes its models from the "
		          "node's bundle (hetsched calibrate --export on that node)");
		return EXIT_USAGE;
	}
	/* run's rule: a tile larger than the problem is refused, not cut down. */
	for (size_t i = 0; i < o.nsizes; i++)
		if (o.tile && cli_check_tile("calibrate", o.tile, o.sizes[i]) < 0)
			return EXIT_USAGE;
	/* Models are recorded only under the dm* policies. */
	if (!workers.sched)
		workers.sched = "dmda";
	/* As in bench: a task that ran alone and one that ran beside 14 others sharing the memory
	 * bus differ enough for StarPU to drop their samples. */
	hetsched__perfmodel_keep_samples();
	if (o.export_path && hetsched__check_writable(o.export_path) < 0) {
		cli_error("calibrate", "--export: %s", hetsched_last_error());
		return EXIT_USAGE;
	}
	/* Calibrating is the point here, off any user's critical path: every kind of worker is
	 * offered every task, so that each is measured on each shape (a run offers a slow kind
	 * only a share of the tasks, see hetsched_conf.all_kinds). */
	workers.all_kinds = 1;
	rc = cli_start_one_process(&workers, 1, "calibrate");
	if (rc != EXIT_OK)
		return rc;
	for (size_t i = 0; i < o.nsizes; i++)
		if (calibrate_size(o.sizes[i], o.tile, o.quiet) != EXIT_OK)
			rc = EXIT_RUNTIME;
	for (int k = 0; k < HETSCHED_NKINDS; k++) {
		overhead_us[k] = gaps.n[k] ? cli_sort_median(gaps.v[k], gaps.n[k]) * 1e6 : NAN;
		free(gaps.v[k]);
	}
	if (rc == EXIT_OK && o.export_path &&
	    hetsched__node_describe(overhead_us, &node_json) < 0) {
		cli_error("calibrate", "--export: %s", hetsched_last_error());
		rc = EXIT_RUNTIME;
	}
	hetsched_shutdown();
	/* StarPU wrote its models at shutdown: now they can be packed. */
	if (node_json) {
		if (cli_export_bundle("calibrate", o.export_path, node_json) < 0)
			rc = EXIT_RUNTIME;
		else if (!o.quiet) {
			printf("node bundle: %s; per-task overhead:", o.export_path);
			for (int k = 0; k < HETSCHED_NKINDS; k++)
				if (!isnan(overhead_us[k]))
					printf(" %s %.3g us",
					       hetsched_kind_name((enum hetsched_kind)k),
					       overhead_us[k]);
			printf("\n");
		}
		free(node_json);
	}
	if (!o.quiet) {
		char models[4096], host[256];

		if (hetsched__home_models_dir(models, sizeof(models)) &&
		    hetsched__home_host(host, sizeof(host)))
			printf("performance models: %scodelets/45 (hetsched_rand.%s, "
			       "hetsched_linear%s.%s)\n",
			       models, host, workers.dtype == HETSCHED_DTYPE_F32 ? "" : "16", host);
	}
	return rc;
}
