/* run.c: `hetsched run`, the main job: y = model(x) over every worker of the node, with a
 * report of what ran where, an optional check against an independent reference, and outputs
 * that are either complete or absent. */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "cli.h"
#include "internal.h"
#include "io/model.h"
#include "report.h"
#include "tool.h"

enum {
	OPT_BATCH = OPT_FIRST_COMMAND_OPTION,
	OPT_IN,
	OPT_OUT,
	OPT_HIDDEN,
	OPT_ACTIVATION,
	OPT_INPUT,
	OPT_MODEL,
	OPT_SEED,
	OPT_TILE,
	OPT_REPEAT,
	OPT_CHECK,
	OPT_SAVE,
	OPT_SAVE_INPUT,
	OPT_JSON,
	OPT_TRACE,
	OPT_QUIET,
	OPT_HELP,
};

struct run_options {
	size_t batch, in, out;
	size_t hidden[64];
	size_t nhidden;
	int given_batch, given_in, given_out, given_hidden;
	enum hetsched_activation activation;
	const char *input, *model;
	uint64_t seed;
	size_t tile; /* 0: auto */
	size_t repeat;
	int check, json, quiet;
	const char *save, *save_input, *trace;
	struct cli_workers workers;
};

/* The whole problem, on the host side, before any tensor exists. */
struct problem {
	size_t rows; /* batch */
	size_t nlayers;
	size_t dims[66]; /* dims[0] = in, dims[l + 1] = out of layer l */
	float *x;        /* loaded input, or NULL for a random one */
	struct hetsched__model model;
	int have_model;
};

/* ------------------------------------------------------------------ signals */

/* SIGINT and SIGTERM end the run at once with exit code 1. Outputs are written to a temporary
 * name and renamed, with these signals blocked, so an interrupted run leaves no partial file. */
static void on_signal(int sig)
{
	static const char msg[] = "hetsched: run: interrupted, no output written\n";
	ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)ignored;
	_exit(EXIT_RUNTIME);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void block_signals(int block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* ------------------------------------------------------------------ options */

static int parse_hidden(const char *arg, struct run_options *o)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -1;
	o->nhidden = 0;
	if (!*arg) {
		cli_error("run", "--hidden needs a comma-separated list of widths, got ''");
		rc = -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		if (o->nhidden == sizeof(o->hidden) / sizeof(o->hidden[0])) {
			cli_error("run", "--hidden allows at most 64 layers");
			rc = -1;
		} else if (cli_parse_size("hidden", tok, &o->hidden[o->nhidden]) < 0) {
			rc = -1;
		} else {
			o->nhidden++;
		}
	}
	/* "1,,2" or a trailing comma leaves an empty width: refuse it rather than skip it. */
	if (rc == 0 && (strstr(arg, ",,") || arg[0] == ',' || arg[strlen(arg) - 1] == ',')) {
		cli_error("run", "--hidden has an empty width in '%s'", arg);
		rc = -1;
	}
	free(copy);
	return rc;
}

static int parse_options(int argc, char **argv, struct run_options *o)
{
	static const struct option options[] = {
	    {"batch", required_argument, NULL, OPT_BATCH},
	    {"in", required_argument, NULL, OPT_IN},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"hidden", required_argument, NULL, OPT_HIDDEN},
	    {"activation", required_argument, NULL, OPT_ACTIVATION},
	    {"input", required_argument, NULL, OPT_INPUT},
	    {"model", required_argument, NULL, OPT_MODEL},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"tile", required_argument, NULL, OPT_TILE},
	    {"repeat", required_argument, NULL, OPT_REPEAT},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"save", required_argument, NULL, OPT_SAVE},
	    {"save-input", required_argument, NULL, OPT_SAVE_INPUT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"trace", required_argument, NULL, OPT_TRACE},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"help", no_argument, NULL, OPT_HELP},
	    CLI_WORKER_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->batch = o->in = o->out = 4096;
	o->activation = HETSCHED_ACT_RELU;
	o->repeat = 1;
	cli_workers_init(&o->workers);
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets a previous scan */
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		int handled = cli_workers_option(&o->workers, opt, optarg);

		if (handled < 0)
			return -1;
		if (handled)
			continue;
		switch (opt) {
		case OPT_BATCH:
			o->given_batch = 1;
			if (cli_parse_size("batch", optarg, &o->batch) < 0)
				return -1;
			break;
		case OPT_IN:
			o->given_in = 1;
			if (cli_parse_size("in", optarg, &o->in) < 0)
				return -1;
			break;
		case OPT_OUT:
			o->given_out = 1;
			if (cli_parse_size("out", optarg, &o->out) < 0)
				return -1;
			break;
		case OPT_HIDDEN:
			o->given_hidden = 1;
			if (parse_hidden(optarg, o) < 0)
				return -1;
			break;
		case OPT_ACTIVATION:
			if (!strcmp(optarg, "relu"))
				o->activation = HETSCHED_ACT_RELU;
			else if (!strcmp(optarg, "none"))
				o->activation = HETSCHED_ACT_NONE;
			else {
				cli_error("run", "--activation must be relu or none, got '%s'",
				          optarg);
				return -1;
			}
			break;
		case OPT_INPUT:
			o->input = optarg;
			break;
		case OPT_MODEL:
			o->model = optarg;
			break;
		case OPT_SEED:
			if (cli_parse_u64("seed", optarg, &o->seed) < 0)
				return -1;
			break;
		case OPT_TILE:
			if (!strcmp(optarg, "auto"))
				o->tile = 0;
			else if (cli_parse_size("tile", optarg, &o->tile) < 0)
				return -1;
			break;
		case OPT_REPEAT:
			if (cli_parse_size("repeat", optarg, &o->repeat) < 0)
				return -1;
			break;
		case OPT_CHECK:
			o->check = 1;
			break;
		case OPT_SAVE:
			o->save = optarg;
			break;
		case OPT_SAVE_INPUT:
			o->save_input = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_TRACE:
			o->trace = optarg;
			break;
		case OPT_QUIET:
			o->quiet = 1;
			break;
		case 'h':
		case OPT_HELP:
			fputs(cli_help_text("run"), stdout);
			exit(EXIT_OK);
		case ':':
			cli_error("run", "option '%s' needs a value", cli_bad_option(argv));
			return -2;
		default:
			cli_error("run", "unknown option '%s'", cli_bad_option(argv));
			return -2;
		}
	}
	if (optind < argc) {
		cli_error("run", "unexpected argument '%s'", argv[optind]);
		return -2;
	}
	return 0;
}

/* ------------------------------------------------------------------ problem set-up */

static int load_problem(const struct run_options *o, struct problem *p)
{
	size_t x_rows = o->batch, x_cols = o->in;
	int rc;

	memset(p, 0, sizeof(*p));
	if (o->input) {
		rc = hetsched_npy_load(o->input, &p->x, &x_rows, &x_cols);
		if (rc < 0) {
			cli_error("run", "%s", hetsched_last_error());
			return -1;
		}
		if (o->given_batch && x_rows != o->batch) {
			cli_error("run", "--batch %zu does not match %s, which has %zu rows",
			          o->batch, o->input, x_rows);
			return -1;
		}
		if (o->given_in && x_cols != o->in) {
			cli_error("run", "--in %zu does not match %s, which has %zu columns", o->in,
			          o->input, x_cols);
			return -1;
		}
	}
	p->rows = x_rows;
	p->dims[0] = x_cols;
	if (o->model) {
		if (o->given_hidden) {
			cli_error("run",
			          "--hidden cannot be combined with --model (the model gives the "
			          "layers)");
			return -1;
		}
		rc = hetsched__model_load(o->model, &p->model);
		if (rc < 0) {
			cli_error("run", "%s", hetsched_last_error());
			return -1;
		}
		p->have_model = 1;
		if (p->model.nlayers > 65) {
			cli_error("run", "%s has %zu layers; at most 65 are supported", o->model,
			          p->model.nlayers);
			return -1;
		}
		p->nlayers = p->model.nlayers;
		if (p->model.layers[0].in_features != x_cols) {
			cli_error(
			    "run",
			    "input width %zu does not match the model: its first layer expects "
			    "%zu features",
			    x_cols, p->model.layers[0].in_features);
			return -1;
		}
		if (o->given_out && p->model.layers[p->nlayers - 1].out_features != o->out) {
			cli_error("run", "--out %zu does not match the model's last layer (%zu)",
			          o->out, p->model.layers[p->nlayers - 1].out_features);
			return -1;
		}
		for (size_t l = 0; l < p->nlayers; l++)
			p->dims[l + 1] = p->model.layers[l].out_features;
	} else {
		p->nlayers = o->nhidden + 1;
		for (size_t l = 0; l < o->nhidden; l++)
			p->dims[l + 1] = o->hidden[l];
		p->dims[p->nlayers] = o->out;
	}
	return 0;
}

/* Bytes the run holds at its peak: x, every layer's weight and bias, every activation, the
 * gathered output, and the host copies of --input and --model. */
static double problem_bytes(const struct run_options *o, const struct problem *p, size_t rows)
{
	double bytes = 4.0 * rows * p->dims[0];

	for (size_t l = 0; l < p->nlayers; l++) {
		bytes += 4.0 * (p->dims[l] * p->dims[l + 1] + p->dims[l + 1]);
		bytes += 4.0 * rows * p->dims[l + 1];
	}
	if (p->have_model)
		for (size_t l = 0; l < p->nlayers; l++)
			bytes += 4.0 * (p->dims[l] * p->dims[l + 1] + p->dims[l + 1]);
	if (p->x)
		bytes += 4.0 * rows * p->dims[0];
	return bytes;
}

static size_t max_dimension(size_t rows, const struct problem *p)
{
	size_t largest = rows;

	for (size_t l = 0; l <= p->nlayers; l++)
		largest = p->dims[l] > largest ? p->dims[l] : largest;
	return largest;
}

/* ------------------------------------------------------------------ the run */

static int fail_runtime(const char *what)
{
	cli_error("run", "%s: %s", what, hetsched_last_error());
	return EXIT_RUNTIME;
}

/* Run the check of --check: a full double reference when it is cheap, a random projection for a
 * single linear layer, and a sample of rows through the whole MLP otherwise. */
static int run_check(const struct run_options *o, const struct problem *p, hetsched_tensor_t x,
                     hetsched_linear_t *layers, const float *y, size_t ldy, size_t rows,
                     struct hetsched__check_result *res)
{
	struct hetsched__check_layer cl[65];
	const float *xdata;
	size_t ldx;
	double flops = 0;
	int rc = 0;

	/* Gathering is collective under MPI: every rank takes part, rank 0 alone checks. */
	if (hetsched_tensor_to_host(x) < 0)
		return -1;
	for (size_t l = 0; l < p->nlayers; l++)
		if (hetsched_tensor_to_host(hetsched_linear_weight(layers[l])) < 0 ||
		    hetsched_tensor_to_host(hetsched_linear_bias(layers[l])) < 0)
			return -1;
	if (hetsched_rank() != 0)
		return 0;
	if (hetsched_tensor_data(x, &xdata, &ldx) < 0)
		return -1;
	for (size_t l = 0; l < p->nlayers; l++) {
		hetsched_tensor_t w = hetsched_linear_weight(layers[l]);
		hetsched_tensor_t b = hetsched_linear_bias(layers[l]);
		const float *wd, *bd;
		size_t ld;
		enum hetsched_activation act;

		if (hetsched_tensor_data(w, &wd, &ld) < 0 || hetsched_tensor_data(b, &bd, &ld) < 0)
			return -1;
		hetsched_linear_shape(layers[l], &cl[l].in, &cl[l].out, &act);
		cl[l].w = wd;
		cl[l].b = bd;
		cl[l].relu = act == HETSCHED_ACT_RELU;
		flops += 2.0 * rows * cl[l].in * cl[l].out;
	}
	if (flops <= 4e8) {
		rc = hetsched__check_rows(xdata, ldx, rows, y, ldy, cl, p->nlayers, NULL, 0, res);
	} else if (p->nlayers == 1 && !cl[0].relu) {
		rc = hetsched__check_projection(xdata, ldx, rows, y, ldy, &cl[0], o->seed ^ 0x5eed,
		                                res);
	} else {
		/* Rows spread over the batch, the first and the last included. */
		size_t n = rows < 256 ? rows : 256, ids[256];

		for (size_t i = 0; i < n; i++)
			ids[i] = n == 1 ? 0 : i * (rows - 1) / (n - 1);
		rc = hetsched__check_rows(xdata, ldx, rows, y, ldy, cl, p->nlayers, ids, n, res);
	}
	return rc;
}

int cli_run(int argc, char **argv)
{
	struct run_options o;
	struct problem p;
	struct hetsched_topology topo;
	struct hetsched__check_result check = {0};
	hetsched_linear_t layers[65] = {NULL};
	hetsched_tensor_t x = NULL, y = NULL;
	struct hetsched_rank_info *ranks = NULL;
	double *times = NULL, bytes;
	size_t rows, tile, ldy;
	const float *ydata = NULL;
	int rc = EXIT_USAGE, started = 0;

	/* A bad value is one line naming it; an unknown option also shows the usage. */
	rc = parse_options(argc, argv, &o);
	if (rc == -2)
		return cli_usage_error("run");
	if (rc < 0)
		return EXIT_USAGE;
	rc = EXIT_USAGE;
	install_signals();

	/* Everything that can be refused is refused before StarPU starts. */
	if (load_problem(&o, &p) < 0)
		goto out;
	rows = p.rows;
	if (o.tile && o.tile > max_dimension(rows, &p)) {
		cli_error("run",
		          "--tile %zu is larger than every dimension of the problem (largest %zu)",
		          o.tile, max_dimension(rows, &p));
		goto out;
	}
	if (hetsched_topology_get(&topo) == 0) {
		bytes = problem_bytes(&o, &p, rows);
		if (bytes > 0.9 * (double)topo.memory_bytes) {
			cli_error(
			    "run",
			    "problem too large: it needs %.2f GiB but this node has %.2f GiB of "
			    "memory",
			    bytes / (1 << 30), (double)topo.memory_bytes / (1 << 30));
			goto out;
		}
	}
	if (o.save && hetsched__check_writable(o.save) < 0) {
		cli_error("run", "%s", hetsched_last_error());
		goto out;
	}
	if (o.save_input && hetsched__check_writable(o.save_input) < 0) {
		cli_error("run", "%s", hetsched_last_error());
		goto out;
	}
	if (o.trace && hetsched__check_writable(o.trace) < 0) {
		cli_error("run", "%s", hetsched_last_error());
		goto out;
	}

	rc = cli_start(&o.workers, o.json || o.quiet);
	if (rc != EXIT_OK)
		goto out;
	started = 1;
	rc = EXIT_RUNTIME;
	/* Under MPI only rank 0 speaks. */
	if (hetsched_rank() != 0)
		o.quiet = 1, o.json = 0, o.trace = NULL;
	tile = o.tile ? o.tile : cli_auto_tile(rows, p.dims, p.nlayers);

	/* Input and weights: generated where the policy puts their tiles, or copied in. */
	if (p.x) {
		if (hetsched_tensor_from_host(&x, p.x, rows, p.dims[0], p.dims[0], tile, tile) <
		    0) {
			rc = fail_runtime("cannot create the input");
			goto out;
		}
		free(p.x);
		p.x = NULL;
	} else {
		struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, o.seed, 0};

		if (hetsched_tensor_create(&x, rows, p.dims[0], tile, tile) < 0 ||
		    hetsched_tensor_rand(x, &spec) < 0) {
			rc = fail_runtime("cannot create the input");
			goto out;
		}
	}
	for (size_t l = 0; l < p.nlayers; l++) {
		enum hetsched_activation act = l + 1 < p.nlayers ? o.activation : HETSCHED_ACT_NONE;

		if (hetsched_linear_create(&layers[l], p.dims[l], p.dims[l + 1], act, tile, tile) <
		    0) {
			rc = fail_runtime("cannot create a layer");
			goto out;
		}
		if (p.have_model
		        ? hetsched_linear_load(layers[l], p.model.layers[l].weight,
		                               p.model.layers[l].bias) < 0
		        : hetsched_linear_init_default(layers[l], o.seed, (uint32_t)l) < 0) {
			rc = fail_runtime("cannot initialise a layer");
			goto out;
		}
	}
	if (p.have_model)
		hetsched__model_free(&p.model), p.have_model = 0;
	hetsched_wait_all();

	times = calloc(o.repeat, sizeof(double));
	if (!times) {
		cli_error("run", "out of memory");
		goto out;
	}
	for (size_t r = 0; r < o.repeat; r++) {
		hetsched_tensor_t cur = x;
		double t0;

		hetsched_tensor_destroy(y);
		y = NULL;
		hetsched_stats_reset();
		t0 = cli_now_s();
		for (size_t l = 0; l < p.nlayers; l++) {
			hetsched_tensor_t next;

			if (hetsched_linear_forward(layers[l], cur, &next) < 0) {
				rc = fail_runtime("forward pass failed");
				goto out;
			}
			if (cur != x)
				hetsched_tensor_destroy(cur);
			cur = next;
		}
		y = cur;
		if (hetsched_tensor_to_host(y) < 0) {
			rc = fail_runtime("cannot bring the result to the host");
			goto out;
		}
		times[r] = cli_now_s() - t0;
		/* Task callbacks (statistics) may still be running: let them finish. */
		hetsched_wait_all();
		if (!o.json && !o.quiet && o.repeat > 1)
			fprintf(stderr, "repeat %zu/%zu: %.3f s\n", r + 1, o.repeat, times[r]);
	}
	if (hetsched_rank() == 0)
		hetsched_tensor_data(y, &ydata, &ldy);
	ranks = calloc((size_t)hetsched_nranks(), sizeof(*ranks));
	if (!ranks) {
		cli_error("run", "out of memory");
		goto out;
	}
	hetsched_ranks_gather(ranks);

	if (o.check && run_check(&o, &p, x, layers, ydata, ldy, rows, &check) < 0) {
		rc = fail_runtime("check failed to run");
		goto out;
	}

	/* Outputs: complete or absent, even if a signal arrives now. */
	block_signals(1);
	if (o.save_input && hetsched_tensor_to_host(x) < 0) {
		block_signals(0);
		rc = fail_runtime("cannot gather the input");
		goto out;
	}
	if (hetsched_rank() != 0) {
		/* Other ranks computed and sent their tiles; rank 0 reports and writes. */
		block_signals(0);
		rc = EXIT_OK;
		goto out;
	}
	if (o.save && hetsched_npy_save(o.save, ydata, rows, p.dims[p.nlayers], ldy) < 0) {
		block_signals(0);
		rc = fail_runtime("cannot save the result");
		goto out;
	}
	if (o.save_input) {
		const float *xdata;
		size_t ldx;

		if (hetsched_tensor_data(x, &xdata, &ldx) < 0 ||
		    hetsched_npy_save(o.save_input, xdata, rows, p.dims[0], ldx) < 0) {
			block_signals(0);
			rc = fail_runtime("cannot save the input");
			goto out;
		}
	}
	{
		struct run_report report = {
		    .batch = rows,
		    .dims = p.dims,
		    .nlayers = p.nlayers,
		    .tile = tile,
		    .tile_auto = o.tile == 0,
		    .seed = o.seed,
		    .times = times,
		    .repeat = o.repeat,
		    .last_s = times[o.repeat - 1], /* before the sort below */
		    .check = o.check ? &check : NULL,
		    .save = o.save,
		    .ranks = ranks,
		    .nranks = (size_t)hetsched_nranks(),
		};

		qsort(times, o.repeat, sizeof(double), cli_cmp_double);
		if (o.trace && report_write_trace(o.trace) < 0) {
			block_signals(0);
			rc = fail_runtime("cannot write the trace");
			goto out;
		}
		if (o.json)
			report_print_json(&report);
		else if (!o.quiet)
			report_print_text(&report);
	}
	block_signals(0);
	rc = o.check && !check.ok ? EXIT_RUNTIME : EXIT_OK;
	if (rc != EXIT_OK)
		cli_error("run", "check FAILED: max relative error %.3g above tolerance %.3g",
		          check.max_rel_err, check.tolerance);

out:
	hetsched_tensor_destroy(y);
	if (started) {
		for (size_t l = 0; l < p.nlayers && l < 65; l++)
			hetsched_linear_destroy(layers[l]);
		hetsched_tensor_destroy(x);
		hetsched_shutdown();
	}
	free(times);
	free(ranks);
	free(p.x);
	if (p.have_model)
		hetsched__model_free(&p.model);
	return rc;
}
