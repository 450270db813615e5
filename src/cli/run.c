/* run.c: `hetsched run`, the main job: y = model(x) over every worker of the node, with a
 * report of what ran where, an optional check against an independent reference, and outputs
 * that are either complete or absent. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "simulate.h"
#include "problem.h"
#include "report.h"
#include "tool.h"

const char cli_run_help[] =
    "usage: hetsched run [options]\n"
    "\n"
    "y = model(x), tile by tile on every worker: x random (--batch x --in) or read from\n"
    "--input; the model random (--in, --hidden, --out) or read from --model.\n"
    "\n"
    "problem:\n"
    "  --batch N          rows of x (default 4096)\n"
    "  --in K             features in (default 4096)\n"
    "  --out M            features out (default 4096)\n"
    "  --hidden H1,H2,..  hidden layer widths (default: none, one layer)\n"
    "  --activation A     relu or none, between layers (default relu)\n"
    "  --input x.npy      input batch (2-D float32/float64, C order; 1-D is one row)\n"
    "  --model PATH       .safetensors of an nn.Sequential, or a folder of <i>.weight.npy\n"
    "                     and <i>.bias.npy\n"
    "  --seed S           seed of x and of the weights (default 0)\n"
    "execution:\n"
    "  --tile T|auto      square tile size (default auto)\n"
    "  --repeat R         run the forward pass R times (default 1)\n"
    "  --check            verify y against an independent reference; exit 1 if "
    "wrong\n" CLI_WORKER_HELP CLI_SIMULATE_HELP "output:\n"
    "  --save y.npy       write y (y.safetensors: as a safetensors file, tensor \"y\")\n"
    "  --save-input x.npy write the input batch (x.safetensors: tensor \"x\")\n"
    "  --json             one JSON object on stdout instead of the summary\n"
    "  --trace t.json     Chrome trace events (Perfetto, chrome://tracing)\n"
    "  --quiet            no summary\n";

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
};

struct run_options {
	size_t batch, in, out;
	size_t hidden[CLI_MAX_LAYERS - 1];
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

/* ------------------------------------------------------------------ options */

static int run_option(int opt, const char *arg, void *ctx)
{
	struct run_options *o = ctx;

	switch (opt) {
	case OPT_BATCH:
		o->given_batch = 1;
		return cli_parse_size("batch", arg, &o->batch) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_IN:
		o->given_in = 1;
		return cli_parse_size("in", arg, &o->in) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_OUT:
		o->given_out = 1;
		return cli_parse_size("out", arg, &o->out) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_HIDDEN:
		o->given_hidden = 1;
		return cli_parse_size_list("run", "hidden", arg, o->hidden, CLI_MAX_LAYERS - 1,
		                           &o->nhidden, 0, 0) < 0
		           ? CLI_BAD_VALUE
		           : CLI_PARSED;
	case OPT_ACTIVATION:
		if (!strcmp(arg, "relu"))
			o->activation = HETSCHED_ACT_RELU;
		else if (!strcmp(arg, "none"))
			o->activation = HETSCHED_ACT_NONE;
		else {
			cli_error("run", "--activation must be relu or none, got '%s'", arg);
			return CLI_BAD_VALUE;
		}
		return CLI_PARSED;
	case OPT_INPUT:
		o->input = arg;
		return CLI_PARSED;
	case OPT_MODEL:
		o->model = arg;
		return CLI_PARSED;
	case OPT_SEED:
		return cli_parse_u64("seed", arg, &o->seed) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_TILE:
		return cli_parse_tile(arg, &o->tile) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_REPEAT:
		return cli_parse_size("repeat", arg, &o->repeat) < 0 ? CLI_BAD_VALUE : CLI_PARSED;
	case OPT_CHECK:
		o->check = 1;
		return CLI_PARSED;
	case OPT_SAVE:
		o->save = arg;
		return CLI_PARSED;
	case OPT_SAVE_INPUT:
		o->save_input = arg;
		return CLI_PARSED;
	case OPT_JSON:
		o->json = 1;
		return CLI_PARSED;
	case OPT_TRACE:
		o->trace = arg;
		return CLI_PARSED;
	case OPT_QUIET:
		o->quiet = 1;
		return CLI_PARSED;
	default:
		return CLI_NOT_MINE;
	}
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
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};

	memset(o, 0, sizeof(*o));
	o->batch = o->in = o->out = 4096;
	o->activation = HETSCHED_ACT_RELU;
	o->repeat = 1;
	return cli_options_parse("run", argc, argv, options, run_option, o, &o->workers);
}

/* ------------------------------------------------------------------ the problem */

/* The problem the options describe, its files read and matched; -1 after printing why not. */
static int describe_problem(const struct run_options *o, struct cli_problem *p)
{
	size_t dims[CLI_MAX_LAYERS + 1];

	for (size_t l = 0; l < o->nhidden; l++)
		dims[l + 1] = o->hidden[l];
	dims[0] = o->in;
	dims[o->nhidden + 1] = o->out;
	cli_problem_random(p, o->batch, dims, o->nhidden + 1, o->activation, o->seed);
	if (o->input) {
		if (cli_problem_load_input(p, "run", o->input) < 0)
			return -1;
		if (o->given_batch && p->rows != o->batch) {
			cli_error("run", "--batch %zu does not match %s, which has %zu rows",
			          o->batch, o->input, p->rows);
			return -1;
		}
		if (o->given_in && p->dims[0] != o->in) {
			cli_error("run", "--in %zu does not match %s, which has %zu columns", o->in,
			          o->input, p->dims[0]);
			return -1;
		}
	}
	if (!o->model)
		return 0;
	if (o->given_hidden) {
		cli_error("run", "--hidden cannot be combined with --model (the model gives the "
		                 "layers)");
		return -1;
	}
	{
		size_t width = p->dims[0];

		if (cli_problem_load_model(p, "run", o->model) < 0)
			return -1;
		if (p->dims[0] != width) {
			cli_error(
			    "run",
			    "input width %zu does not match the model: its first layer expects "
			    "%zu features",
			    width, p->dims[0]);
			return -1;
		}
	}
	if (o->given_out && p->dims[p->nlayers] != o->out) {
		cli_error("run", "--out %zu does not match the model's last layer (%zu)", o->out,
		          p->dims[p->nlayers]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ the run */

/* --save and --save-input: a .safetensors file (one tensor, \p name) for that extension, what
 * PyTorch users load with safetensors.torch.load_file; a .npy file otherwise. */
static int save_array(const char *path, const char *name, const float *data, size_t rows,
                      size_t cols, size_t ld)
{
	size_t len = strlen(path);

	if (len >= 12 && !strcasecmp(path + len - 12, ".safetensors"))
		return hetsched_safetensors_save(path, name, data, rows, cols, ld);
	return hetsched_npy_save(path, data, rows, cols, ld);
}

/* StarPU's own warnings are silenced (see cli_start): one line of ours instead, when the
 * policy schedules from performance models that lack samples for the tasks of this run. */
static void report_calibration(const struct cli_problem *p)
{
	size_t nclasses = 0, npairs = 0;
	int square = p->nlayers == 1 && p->rows == p->dims[0] && p->rows == p->dims[1];

	if (!hetsched_sched_uses_models(hetsched_sched_name()) ||
	    hetsched_perfmodel_uncalibrated(&nclasses, &npairs) < 0 || npairs == 0)
		return;
	if (square)
		fprintf(
		    stderr,
		    "hetsched: run: StarPU's performance models are not calibrated yet for this "
		    "shape (%zu x %zu -> %zu, tile %zu: %zu of the (task shape, worker kind) pairs "
		    "lack samples), so the first runs may be slower; `hetsched calibrate --sizes "
		    "%zu --tile %zu` calibrates them\n",
		    p->rows, p->dims[0], p->dims[1], p->tile, npairs, p->rows, p->tile);
	else
		fprintf(
		    stderr,
		    "hetsched: run: StarPU's performance models are not calibrated yet for this "
		    "shape (batch %zu, tile %zu: %zu of the (task shape, worker kind) pairs lack "
		    "samples), so the first runs may be slower; `hetsched calibrate --tile %zu` "
		    "calibrates them\n",
		    p->rows, p->tile, npairs, p->tile);
}

static int fail_runtime(const char *what)
{
	cli_error("run", "%s: %s", what, hetsched_last_error());
	return EXIT_RUNTIME;
}

int cli_run(int argc, char **argv)
{
	struct run_options o;
	struct cli_problem p;
	struct hetsched__check_result check = {0};
	struct hetsched_rank_info *ranks = NULL;
	double *times = NULL, node_bytes;
	const char *what;
	hetsched_tensor_t y;
	const float *ydata = NULL;
	size_t ldy = 0;
	int rc, started = 0;

	/* A bad value is one line naming it; an unknown option also shows the usage. */
	rc = parse_options(argc, argv, &o);
	if (rc != CLI_PARSED)
		return cli_options_exit("run", rc);
	/* Nothing is computed in a simulation: there is no y to check or save, nor an input. */
	if (hetsched_is_simulation() && (o.check || o.save || o.save_input)) {
		cli_error("run",
		          "%s: this is a simulation build (StarPU runs with SimGrid): codelets do not "
		          "compute, so there is %s",
		          o.check ? "--check" : o.save ? "--save" : "--save-input",
		          o.check ? "no result to check" : "no tensor to save");
		return EXIT_USAGE;
	}
	rc = cli_simulate_enter("run", &o.workers);
	if (rc != CLI_SIM_CONTINUE)
		return rc;
	cli_signals_install("hetsched: run: interrupted, no output written\n");
	memset(&p, 0, sizeof(p));
	rc = EXIT_USAGE;

	/* Everything that can be refused is refused before StarPU starts. */
	if (describe_problem(&o, &p) < 0)
		goto out;
	if (o.tile && cli_check_tile("run", o.tile, cli_problem_largest(&p)) < 0)
		goto out;
	if (!cli_memory_fits(cli_problem_bytes(&p), &node_bytes)) {
		cli_error(
		    "run",
		    "problem too large: it needs %.2f GiB but this node has %.2f GiB of memory",
		    cli_problem_bytes(&p) / (1 << 30), node_bytes / (1 << 30));
		goto out;
	}
	{
		const char *outputs[] = {o.save, o.save_input, o.trace};

		for (size_t i = 0; i < 3; i++)
			if (outputs[i] && hetsched__check_writable(outputs[i]) < 0) {
				cli_error("run", "%s", hetsched_last_error());
				goto out;
			}
	}

	rc = cli_start(&o.workers, o.json || o.quiet);
	if (rc != EXIT_OK)
		goto out;
	started = 1;
	rc = EXIT_RUNTIME;
	/* Under MPI only rank 0 speaks. */
	if (hetsched_rank() != 0)
		o.quiet = 1, o.json = 0, o.trace = NULL;
	if (cli_problem_create(&p, o.tile, &what) < 0) {
		rc = fail_runtime(what);
		goto out;
	}

	times = calloc(o.repeat, sizeof(double));
	if (!times) {
		cli_error("run", "out of memory");
		goto out;
	}
	for (size_t r = 0; r < o.repeat; r++) {
		hetsched_stats_reset();
		if (cli_problem_pass(&p, &times[r]) < 0) {
			rc = fail_runtime("forward pass failed");
			goto out;
		}
		if (!o.json && !o.quiet && o.repeat > 1)
			fprintf(stderr, "repeat %zu/%zu: %.3f s\n", r + 1, o.repeat, times[r]);
	}
	if (!o.quiet && hetsched_rank() == 0)
		report_calibration(&p);
	y = cli_problem_output(&p);
	if (hetsched_rank() == 0)
		hetsched_tensor_data(y, &ydata, &ldy);
	ranks = calloc((size_t)hetsched_nranks(), sizeof(*ranks));
	if (!ranks) {
		cli_error("run", "out of memory");
		goto out;
	}
	hetsched_ranks_gather(ranks);

	if (o.check && cli_problem_check(&p, &check) < 0) {
		rc = fail_runtime("check failed to run");
		goto out;
	}

	/* Outputs: complete or absent, even if a signal arrives now. */
	cli_signals_block(1);
	if (o.save_input && hetsched_tensor_to_host(p.x) < 0) {
		cli_signals_block(0);
		rc = fail_runtime("cannot gather the input");
		goto out;
	}
	if (hetsched_rank() != 0) {
		/* Other ranks computed and sent their tiles; rank 0 reports and writes. */
		cli_signals_block(0);
		rc = EXIT_OK;
		goto out;
	}
	if (o.save && save_array(o.save, "y", ydata, p.rows, p.dims[p.nlayers], ldy) < 0) {
		cli_signals_block(0);
		rc = fail_runtime("cannot save the result");
		goto out;
	}
	if (o.save_input) {
		const float *xdata;
		size_t ldx;

		if (hetsched_tensor_data(p.x, &xdata, &ldx) < 0 ||
		    save_array(o.save_input, "x", xdata, p.rows, p.dims[0], ldx) < 0) {
			cli_signals_block(0);
			rc = fail_runtime("cannot save the input");
			goto out;
		}
	}
	{
		struct run_report report = {
		    .batch = p.rows,
		    .dims = p.dims,
		    .nlayers = p.nlayers,
		    .tile = p.tile,
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
			cli_signals_block(0);
			rc = fail_runtime("cannot write the trace");
			goto out;
		}
		if (o.json)
			report_print_json(&report);
		else if (!o.quiet)
			report_print_text(&report);
	}
	cli_signals_block(0);
	rc = o.check && !check.ok ? EXIT_RUNTIME : EXIT_OK;
	if (rc != EXIT_OK)
		cli_error("run", "check FAILED: max relative error %.3g above tolerance %.3g",
		          check.max_rel_err, check.tolerance);

out:
	cli_problem_free(&p);
	if (started)
		hetsched_shutdown();
	free(times);
	free(ranks);
	return rc;
}
