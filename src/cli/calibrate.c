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

int cli_calibrate(int argc, char **argv)
{
	static const struct option options[] = {
	    {"sizes", required_argument, NULL, OPT_SIZES},
	    {"tile", required_argument, NULL, OPT_TILE},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"help", no_argument, NULL, OPT_HELP},
	    CLI_WORKER_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_workers workers;
	size_t sizes[32] = {4096}, nsizes = 1, tile = 0;
	int quiet = 0, opt, rc = EXIT_OK;
	const char *dir;

	cli_workers_init(&workers);
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets a previous scan */
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		int handled = cli_workers_option(&workers, opt, optarg);

		if (handled < 0)
			return EXIT_USAGE;
		if (handled)
			continue;
		switch (opt) {
		case OPT_SIZES: {
			char *copy = strdup(optarg), *save = NULL, *tok;

			nsizes = 0;
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (nsizes == 32 ||
				    cli_parse_size("sizes", tok, &sizes[nsizes]) < 0) {
					free(copy);
					if (nsizes == 32)
						cli_error("calibrate",
						          "--sizes takes at most 32 sizes");
					return EXIT_USAGE;
				}
				nsizes++;
			}
			free(copy);
			if (nsizes == 0 || strstr(optarg, ",,") ||
			    optarg[strlen(optarg) - 1] == ',') {
				cli_error("calibrate",
				          "--sizes must be a list like 1024,4096, got '%s'",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_TILE:
			if (strcmp(optarg, "auto") && cli_parse_size("tile", optarg, &tile) < 0)
				return EXIT_USAGE;
			break;
		case OPT_QUIET:
			quiet = 1;
			break;
		case 'h':
		case OPT_HELP:
			fputs(cli_help_text("calibrate"), stdout);
			return EXIT_OK;
		case ':':
			cli_error("calibrate", "option '%s' needs a value", cli_bad_option(argv));
			return cli_usage_error("calibrate");
		default:
			cli_error("calibrate", "unknown option '%s'", cli_bad_option(argv));
			return cli_usage_error("calibrate");
		}
	}
	if (optind < argc) {
		cli_error("calibrate", "unexpected argument '%s'", argv[optind]);
		return cli_usage_error("calibrate");
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
	for (size_t i = 0; i < nsizes; i++)
		if (calibrate_size(sizes[i], tile, quiet) != EXIT_OK)
			rc = EXIT_RUNTIME;
	hetsched_shutdown();
	dir = getenv("STARPU_PERF_MODEL_DIR");
	if (!quiet)
		printf("performance models: %s%s (hetsched_rand, hetsched_linear), host %s\n",
		       dir                     ? dir
		       : getenv("STARPU_HOME") ? getenv("STARPU_HOME")
		                               : "$HOME",
		       dir ? "" : "/.starpu/sampling/codelets",
		       getenv("STARPU_HOSTNAME") ? getenv("STARPU_HOSTNAME")
		                                 : "(this host's name)");
	return rc;
}
