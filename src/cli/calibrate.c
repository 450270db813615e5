/* calibrate.c: `hetsched calibrate`: run the codelets over the tile shapes a run will use until
 * every (codelet, worker kind, task shape) has the samples StarPU needs to call its history-based
 * performance model calibrated (10, STARPU_CALIBRATE_MINIMUM), so that the first real run is
 * already scheduled well by the dm* policies. The models are kept in $STARPU_HOME (or
 * $STARPU_PERF_MODEL_DIR), per $STARPU_HOSTNAME. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "cli.h"
#include "codelets.h"

#define MIN_SAMPLES 10
#define MAX_PASSES 40
#define MAX_KEYS 512

enum { OPT_SIZES = OPT_FIRST_COMMAND_OPTION, OPT_TILE, OPT_QUIET, OPT_HELP };

/* A class of tasks StarPU's model tells apart: operation, kind of worker, tile shape and the
 * linear task's position in its k chain (first, middle, last). */
struct key {
	int op, kind;
	size_t m, n, k;
	int first, last;
	size_t samples;
};

static size_t extent(size_t total, size_t tile, size_t index)
{
	return total - index * tile < tile ? total - index * tile : tile;
}

static struct key *find(struct key *keys, size_t *nkeys, const struct key *want)
{
	for (size_t i = 0; i < *nkeys; i++)
		if (keys[i].op == want->op && keys[i].kind == want->kind && keys[i].m == want->m &&
		    keys[i].n == want->n && keys[i].k == want->k && keys[i].first == want->first &&
		    keys[i].last == want->last)
			return &keys[i];
	if (*nkeys == MAX_KEYS)
		return NULL;
	keys[*nkeys] = *want;
	keys[*nkeys].samples = 0;
	return &keys[(*nkeys)++];
}

/* Count the samples of one size; returns the fewest samples of any class on any kind present. */
static size_t count(struct key *keys, size_t *nkeys, size_t size, size_t tile)
{
	const struct hetsched_task_record *rec;
	size_t n = hetsched_stats_records(&rec), ntiles = (size + tile - 1) / tile,
	       fewest = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		struct hetsched_worker_info info;
		struct key want = {0};
		struct key *k;

		if (hetsched_worker_get_info(rec[i].worker, &info) < 0)
			continue;
		want.op = rec[i].op;
		want.kind = info.kind;
		want.m = extent(size, tile, rec[i].tile_row);
		want.n = extent(size, tile, rec[i].tile_col);
		if (rec[i].op == HETSCHED_OP_LINEAR) {
			want.k = extent(size, tile, rec[i].tile_k);
			want.first = rec[i].tile_k == 0;
			want.last = rec[i].tile_k + 1 == ntiles;
		}
		k = find(keys, nkeys, &want);
		if (k)
			k->samples++;
	}
	/* Every class must be calibrated on every kind of worker present. */
	for (size_t i = 0; i < *nkeys; i++)
		for (int kind = 0; kind < HETSCHED_NKINDS; kind++) {
			struct key want = keys[i];
			struct key *k;

			if (!hetsched_worker_count_kind((enum hetsched_kind)kind))
				continue;
			want.kind = kind;
			k = find(keys, nkeys, &want);
			if (k && k->samples < fewest)
				fewest = k->samples;
		}
	return fewest;
}

/* The fewest samples StarPU itself holds in the history of \p model, over the task shapes it has
 * seen on the worker kinds present (StarPU drops a shape's samples when they deviate too much,
 * so counting the tasks we ran is not enough). SIZE_MAX when it holds none. */
static size_t model_fewest(struct starpu_perfmodel *model)
{
	size_t fewest = SIZE_MAX;
	int seen[HETSCHED_NKINDS] = {0};

	for (int w = 0; w < hetsched_worker_count(); w++) {
		struct hetsched_worker_info info;
		struct starpu_perfmodel_arch *arch;
		struct starpu_perfmodel_per_arch *per_arch;

		if (hetsched_worker_get_info(w, &info) < 0 || seen[info.kind])
			continue;
		seen[info.kind] = 1;
		arch = starpu_worker_get_perf_archtype(w, 0);
		per_arch = arch ? starpu_perfmodel_get_model_per_arch(model, arch, 0) : NULL;
		if (!per_arch || !per_arch->list) {
			fewest = 0;
			continue;
		}
		for (struct starpu_perfmodel_history_list *l = per_arch->list; l; l = l->next)
			if (l->entry && l->entry->nsample < fewest)
				fewest = l->entry->nsample;
	}
	return fewest;
}

static int calibrate_size(size_t size, size_t tile_arg, int quiet)
{
	static struct key keys[MAX_KEYS];
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 0, 0};
	size_t nkeys = 0, dims[2] = {size, size}, tile, fewest = 0;
	int pass;

	tile = tile_arg ? tile_arg : cli_auto_tile(size, dims, 1);
	tile = tile < size ? tile : size;
	hetsched_stats_reset();
	for (pass = 1; pass <= MAX_PASSES; pass++) {
		hetsched_tensor_t x, y;
		hetsched_linear_t layer;

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
		nkeys = 0;
		fewest = count(keys, &nkeys, size, tile);
		if (fewest >= MIN_SAMPLES) {
			size_t held = model_fewest(hetsched_cl_linear.model);

			fewest = held < fewest ? held : fewest;
		}
		if (!quiet)
			fprintf(stderr,
			        "calibrate: size %zu, tile %zu, pass %d: %zu task classes, "
			        "fewest samples %zu of %d\n",
			        size, tile, pass, nkeys, fewest, MIN_SAMPLES);
		if (fewest >= MIN_SAMPLES)
			break;
	}
	if (!quiet) {
		printf("size %zu, tile %zu: %s after %d pass%s (%zu task classes, %d kinds of "
		       "worker)\n",
		       size, tile, fewest >= MIN_SAMPLES ? "calibrated" : "NOT fully calibrated",
		       pass > MAX_PASSES ? MAX_PASSES : pass, pass == 1 ? "" : "es", nkeys,
		       (hetsched_worker_count_kind(HETSCHED_KIND_CPU) > 0) +
		           (hetsched_worker_count_kind(HETSCHED_KIND_CUDA) > 0) +
		           (hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) > 0));
	}
	return fewest >= MIN_SAMPLES ? EXIT_OK : EXIT_RUNTIME;
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
