/* calibrate.c: `hetsched calibrate`: run the codelets over the tile shapes a run will use until
 * every (codelet, worker kind, task shape) has the samples StarPU needs to call its history-based
 * performance model calibrated (10, STARPU_CALIBRATE_MINIMUM), so that the first real run is
 * already scheduled well by the dm* policies. The models are kept in $STARPU_HOME (or
 * $STARPU_PERF_MODEL_DIR), per $STARPU_HOSTNAME. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "simulate.h"
#include "problem.h"
#include "tool.h"

#define MAX_PASSES 40

const char cli_calibrate_help[] =
    "usage: hetsched calibrate [--sizes N1,N2,...] [--tile T|auto] [--quiet] [worker options]\n"
    "\n"
    "Run forward passes of N x N -> N (default 4096) until StarPU's history holds 10 samples of\n"
    "every task shape of those passes on each worker's architecture, so that StarPU's dm*\n"
    "policies schedule the next run from calibrated models. The models live in\n"
    "$STARPU_HOME/.starpu/sampling (or $STARPU_PERF_MODEL_DIR), one set per $STARPU_HOSTNAME:\n"
    "on a cluster, put them on shared storage and give each node type its own\n"
    "STARPU_HOSTNAME.\n" CLI_WORKER_HELP;

enum { OPT_SIZES = OPT_FIRST_COMMAND_OPTION, OPT_TILE, OPT_QUIET };

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
	tile = tile < size ? tile : size;
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
		printf("size %zu, tile %zu: %s after %d pass%s (%zu task classes, %d kinds of "
		       "worker)\n",
		       size, tile, missing == 0 ? "calibrated" : "NOT fully calibrated",
		       pass > MAX_PASSES ? MAX_PASSES : pass, pass == 1 ? "" : "es", nkeys,
		       (hetsched_worker_count_kind(HETSCHED_KIND_CPU) > 0) +
		           (hetsched_worker_count_kind(HETSCHED_KIND_CUDA) > 0) +
		           (hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) > 0));
	}
	return missing == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* calibrate's own options; the driver takes --help and the worker options. */
struct calibrate_options {
	size_t sizes[32], nsizes, tile;
	int quiet;
};

static int handle_option(int opt, const char *arg, void *ctx)
{
	struct calibrate_options *o = ctx;

	switch (opt) {
	case OPT_SIZES:
		return cli_parse_size_list("calibrate", "sizes", arg, o->sizes, 32, &o->nsizes, 0,
		                           0) < 0
		           ? CLI_BAD_VALUE
		           : CLI_PARSED;
	case OPT_TILE:
		return cli_parse_tile(arg, &o->tile) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_QUIET:
		o->quiet = 1;
		return CLI_PARSED;
	default:
		return CLI_NOT_MINE;
	}
}

int cli_calibrate(int argc, char **argv)
{
	static const struct option options[] = {
	    {"sizes", required_argument, NULL, OPT_SIZES},
	    {"tile", required_argument, NULL, OPT_TILE},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct calibrate_options o = {{4096}, 1, 0, 0};
	struct cli_workers workers;
	int rc;
	const char *dir;

	rc = cli_options_parse("calibrate", argc, argv, options, handle_option, &o, &workers);
	if (rc != CLI_PARSED)
		return cli_options_exit("calibrate", rc);
	if (hetsched_is_simulation() || workers.simulate) {
		cli_error("calibrate",
		          "calibrate measures a real node; a simulation takes its models from the "
		          "node's bundle (hetsched calibrate --export on that node)");
		return EXIT_USAGE;
	}
	/* Models are recorded only under the dm* policies. */
	if (!workers.sched)
		workers.sched = "dmda";
	/* As in bench: a task that ran alone and one that ran beside 14 others sharing the memory
	 * bus differ enough for StarPU to drop their samples. */
	hetsched__perfmodel_keep_samples();
	rc = cli_start_one_process(&workers, 1, "calibrate");
	if (rc != EXIT_OK)
		return rc;
	for (size_t i = 0; i < o.nsizes; i++)
		if (calibrate_size(o.sizes[i], o.tile, o.quiet) != EXIT_OK)
			rc = EXIT_RUNTIME;
	hetsched_shutdown();
	dir = getenv("STARPU_PERF_MODEL_DIR");
	if (!o.quiet)
		printf("performance models: %s%s (hetsched_rand, hetsched_linear), host %s\n",
		       dir                     ? dir
		       : getenv("STARPU_HOME") ? getenv("STARPU_HOME")
		                               : "$HOME",
		       dir ? "" : "/.starpu/sampling/codelets",
		       getenv("STARPU_HOSTNAME") ? getenv("STARPU_HOSTNAME")
		                                 : "(this host's name)");
	return rc;
}
