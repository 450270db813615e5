/* run.c: `hetsched run`, the main job: y = model(x) over every worker of the node, with a
 * report of what ran where, an optional check against an independent reference, and outputs
 * that are either complete or absent. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "run.h"
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
    "  --activation A,..  after each layer: one per gap between layers, then an optional\n"
    "                     final one (one name: every gap); relu, leaky_relu, elu, selu,\n"
    "                     tanh, sigmoid, hardsigmoid, gelu, gelu_tanh, silu, softmax,\n"
    "                     log_softmax, none (random model default: relu between layers)\n"
    "  --input x.npy      input batch (float16/32/64, C order; 1-D is one row, N-D runs\n"
    "                     as rows of its last dimension)\n"
    "  --input NAME=F.npy another input of an ONNX graph (a Gemm's B or C)\n"
    "  --model PATH       .onnx (torch.onnx.export), .safetensors of a state_dict, or a\n"
    "                     folder of <i>.weight.npy and <i>.bias.npy\n"
    "  --layers N1,N2,..  the order of a state_dict's named layers (fc1,fc2,head)\n"
    "  --seed S           seed of x and of the weights (default 0)\n"
    "  --batch-size B     stream --input to --save B rows at a time: the input is mapped,\n"
    "                     not loaded, a few batches are in flight, the weights stay on\n"
    "                     the devices; memory does not grow with the input\n"
    "execution:\n"
    "  --tile T|auto      square tile size (default auto)\n"
    "  --repeat R         run the forward pass R times (default 1)\n"
    "  --check            verify y against an independent reference; exit 1 if "
    "wrong\n" CLI_NUMERICS_HELP CLI_WORKER_HELP CLI_SIMULATE_HELP "output:\n"
    "  --save y.npy       write y (y.safetensors: as a safetensors file, tensor \"y\")\n"
    "  --save-input x.npy write the input batch (x.safetensors: tensor \"x\")\n"
    "  --save-dtype D     f32, bf16 or f16: the dtype of --save and --save-input (default:\n"
    "                     the storage dtype; a model file of bf16 or f16 weights sets it\n"
    "                     when --dtype is not given). .npy has no bf16: --save-dtype f32\n"
    "                     or a .safetensors file\n"
    "  --json             one JSON object on stdout instead of the summary\n"
    "  --trace t.json     Chrome trace events (Perfetto, chrome://tracing)\n"
    "  --quiet            no summary\n"
    "\n"
    "elapsed: one forward pass, from its first task to y gathered in main memory; StarPU's\n"
    "start, the libraries' warm-up (cuBLAS, OpenCL compilation) and reading the files come\n"
    "before it. With --batch-size: the whole stream, first row read to the output synced.\n"
    "Each pass reports the bytes it moved host->device and device->host and where its data\n"
    "started: cold (x and W on the host), resident (on the devices), stream (x streamed).\n";

enum {
	OPT_BATCH = OPT_FIRST_COMMAND_OPTION,
	OPT_IN,
	OPT_OUT,
	OPT_HIDDEN,
	OPT_ACTIVATION,
	OPT_INPUT,
	OPT_MODEL,
	OPT_LAYERS,
	OPT_SEED,
	OPT_TILE,
	OPT_REPEAT,
	OPT_CHECK,
	OPT_SAVE,
	OPT_SAVE_INPUT,
	OPT_JSON,
	OPT_TRACE,
	OPT_QUIET,
	OPT_BATCH_SIZE,
	OPT_SAVE_DTYPE,
};

/* ------------------------------------------------------------------ options */

/* --input FILE, or --input NAME=FILE (a name never has '/'; a file with '=' in its name that
 * exists is a file). */
static int input_option(struct run_options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : 0;

	if (!eq || len == 0 || memchr(arg, '/', len) || access(arg, F_OK) == 0) {
		if (o->input) {
			cli_error("run",
			          "--input given twice ('%s', '%s'); other graph inputs are "
			          "--input NAME=FILE",
			          o->input, arg);
			return CLI_BAD_VALUE;
		}
		o->input = arg;
		return CLI_PARSED;
	}
	if (o->ninputs == CLI_MAX_INPUTS || len >= sizeof(o->input_buf[0])) {
		cli_error("run", "too many --input NAME=FILE, or a name too long: '%s'", arg);
		return CLI_BAD_VALUE;
	}
	memcpy(o->input_buf[o->ninputs], arg, len);
	o->input_buf[o->ninputs][len] = '\0';
	o->input_names[o->ninputs] = o->input_buf[o->ninputs];
	o->input_paths[o->ninputs++] = eq + 1;
	return CLI_PARSED;
}

#define RUN(opt, kind, name, field, given)                                                         \
	{                                                                                          \
		opt, kind, name, offsetof(struct run_options, field), given                        \
	}
#define GIVEN(field) ((ptrdiff_t)offsetof(struct run_options, field))
static const struct cli_binding run_bindings[] = {
    RUN(OPT_BATCH, CLI_SIZE, "batch", batch, GIVEN(given_batch)),
    RUN(OPT_IN, CLI_SIZE, "in", in, GIVEN(given_in)),
    RUN(OPT_OUT, CLI_SIZE, "out", out, GIVEN(given_out)),
    RUN(OPT_ACTIVATION, CLI_TEXT, "activation", activation, CLI_NOT_GIVEN),
    RUN(OPT_LAYERS, CLI_TEXT, "layers", layers, CLI_NOT_GIVEN),
    RUN(OPT_MODEL, CLI_TEXT, "model", model, CLI_NOT_GIVEN),
    RUN(OPT_SEED, CLI_U64, "seed", seed, CLI_NOT_GIVEN),
    RUN(OPT_TILE, CLI_TILE, "tile", tile, CLI_NOT_GIVEN),
    RUN(OPT_REPEAT, CLI_SIZE, "repeat", repeat, CLI_NOT_GIVEN),
    RUN(OPT_CHECK, CLI_FLAG, "check", check, CLI_NOT_GIVEN),
    RUN(OPT_SAVE, CLI_TEXT, "save", save, CLI_NOT_GIVEN),
    RUN(OPT_SAVE_INPUT, CLI_TEXT, "save-input", save_input, CLI_NOT_GIVEN),
    RUN(OPT_JSON, CLI_FLAG, "json", json, CLI_NOT_GIVEN),
    RUN(OPT_TRACE, CLI_TEXT, "trace", trace, CLI_NOT_GIVEN),
    RUN(OPT_QUIET, CLI_FLAG, "quiet", quiet, CLI_NOT_GIVEN),
    RUN(OPT_BATCH_SIZE, CLI_SIZE, "batch-size", batch_size, CLI_NOT_GIVEN),
    RUN(OPT_SAVE_DTYPE, CLI_TEXT, "save-dtype", save_dtype_name, CLI_NOT_GIVEN),
    {0, CLI_FLAG, NULL, 0, CLI_NOT_GIVEN},
};

int run_option(int opt, const char *arg, void *ctx)
{
	struct run_options *o = ctx;
	int rc = cli_bind(run_bindings, opt, arg, o);

	if (rc != CLI_NOT_MINE)
		return rc;
	switch (opt) {
	case OPT_HIDDEN:
		o->given_hidden = 1;
		return cli_parse_size_list("run", "hidden", arg, o->hidden, CLI_MAX_LAYERS - 1,
		                           &o->nhidden, 0, 0) < 0
		           ? CLI_BAD_VALUE
		           : CLI_PARSED;
	case OPT_INPUT:
		return input_option(o, arg);
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
	    {"layers", required_argument, NULL, OPT_LAYERS},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"tile", required_argument, NULL, OPT_TILE},
	    {"repeat", required_argument, NULL, OPT_REPEAT},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"save", required_argument, NULL, OPT_SAVE},
	    {"save-input", required_argument, NULL, OPT_SAVE_INPUT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"trace", required_argument, NULL, OPT_TRACE},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
	    {"save-dtype", required_argument, NULL, OPT_SAVE_DTYPE},
	    CLI_NUMERICS_OPTIONS,
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};

	memset(o, 0, sizeof(*o));
	o->batch = o->in = o->out = 4096;
	o->repeat = 1;
	return cli_options_parse("run", argc, argv, options, run_option, o, &o->workers);
}

/* ------------------------------------------------------------------ the problem */

/* --activation for a random model: one per gap, then an optional final one; one name alone
 * serves every gap. */
static int random_activations(const struct run_options *o, struct cli_problem *p)
{
	enum hetsched_activation acts[CLI_MAX_LAYERS];
	size_t n = 0, nl = p->nlayers;
	const char *a = o->activation;

	while (*a) {
		char name[32];
		size_t len = strcspn(a, ",");

		if (n == nl || len == 0 || len >= sizeof(name)) {
			cli_error("run",
			          "--activation '%s': give one per gap between the %zu layers, "
			          "then an optional final one",
			          o->activation, nl);
			return -1;
		}
		memcpy(name, a, len);
		name[len] = '\0';
		if (hetsched_activation_parse(name, &acts[n++]) < 0) {
			cli_error("run", "--activation: %s", hetsched_last_error());
			return -1;
		}
		a += len + (a[len] == ',');
	}
	if (n == 1 && nl > 2) {
		for (size_t l = 0; l + 1 < nl; l++)
			p->activation[l] = acts[0];
		p->activation[nl - 1] = HETSCHED_ACT_NONE;
		return 0;
	}
	if (n + 1 < nl) {
		cli_error("run",
		          "--activation '%s': %zu names for %zu gaps between layers (one per "
		          "gap, then an optional final one)",
		          o->activation, n, nl - 1);
		return -1;
	}
	for (size_t l = 0; l < nl; l++)
		p->activation[l] = l < n ? acts[l] : HETSCHED_ACT_NONE;
	return 0;
}

/* The problem the options describe, its files read and matched; -1 after printing why not. */
static int describe_problem(const struct run_options *o, struct cli_problem *p)
{
	size_t dims[CLI_MAX_LAYERS + 1];
	struct hetsched_model_options mo = {0};

	for (size_t l = 0; l < o->nhidden; l++)
		dims[l + 1] = o->hidden[l];
	dims[0] = o->in;
	dims[o->nhidden + 1] = o->out;
	cli_problem_random(p, o->batch, dims, o->nhidden + 1, HETSCHED_ACT_RELU, o->seed);
	if (!o->model && (o->layers || o->ninputs)) {
		cli_error("run", "--%s needs --model", o->layers ? "layers" : "input NAME=FILE");
		return -1;
	}
	if (!o->model && o->activation && random_activations(o, p) < 0)
		return -1;
	if (o->input && o->batch_size) {
		/* Streamed: the header alone now; the rows batch by batch. */
		if (hetsched_npy_shape(o->input, &p->rows, &p->dims[0]) < 0) {
			cli_error("run", "%s", hetsched_last_error());
			return -1;
		}
	} else if (o->input) {
		if (cli_problem_load_input(p, "run", o->input) < 0)
			return -1;
	}
	if (o->input) {
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

		mo.activations = o->activation;
		mo.layers = o->layers;
		mo.ninputs = o->ninputs;
		mo.input_names = o->input_names;
		mo.input_paths = o->input_paths;
		if (cli_problem_load_model(p, "run", o->model, &mo, o->batch) < 0)
			return -1;
		size_t rows, in, out;
		int transposed;

		/* Without --input, the input's width is the model's. An ONNX model is read for
		 * the input's shape (rows != 0) and matched it already. */
		hetsched__model_view(p->model, &rows, &in, &out, &transposed);
		if (o->input && !rows && p->dims[0] != width) {
			cli_error(
			    "run",
			    "input width %zu does not match the model: its first layer expects "
			    "%zu features",
			    width, p->dims[0]);
			return -1;
		}
	}
	if (o->given_in && !o->input && p->dims[0] != o->in) {
		cli_error("run", "--in %zu does not match the model, whose input has %zu features",
		          o->in, p->dims[0]);
		return -1;
	}
	if (o->given_out && p->dims[p->nlayers] != o->out) {
		cli_error("run", "--out %zu does not match the model's last layer (%zu)", o->out,
		          p->dims[p->nlayers]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ the run */

int run_fail(const char *what)
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
	double *times = NULL, *pass_s = NULL, node_bytes, need;
	uint64_t *h2d = NULL, *d2h = NULL;
	const char **residency = NULL;
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
		cli_error(
		    "run",
		    "%s: this is a simulation build (StarPU runs with SimGrid): codelets do not "
		    "compute, so there is %s",
		    o.check  ? "--check"
		    : o.save ? "--save"
		             : "--save-input",
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
	if (describe_problem(&o, &p) < 0 || run_decide_dtypes(&o, &p) < 0)
		goto out;
	if (o.batch_size && o.workers.dtype != HETSCHED_DTYPE_F32) {
		cli_error("run",
		          "--batch-size streams f32 tensors only, not --dtype %s: drop one of the "
		          "two",
		          hetsched_dtype_name(o.workers.dtype));
		goto out;
	}
	if (o.batch_size && run_check_stream_options(&o, &p) < 0)
		goto out;
	if (o.tile && cli_check_tile("run", o.tile, cli_problem_largest(&p)) < 0)
		goto out;
	need = o.batch_size ? run_stream_bytes(&p, o.batch_size < p.rows ? o.batch_size : p.rows, 3)
	                    : cli_problem_bytes(&p);
	if (!cli_memory_fits(need, &node_bytes)) {
		cli_error("run",
		          "problem too large: it needs %.2f GiB but this node has %.2f GiB of "
		          "memory%s",
		          need / (1 << 30), node_bytes / (1 << 30),
		          o.batch_size ? " (use a smaller --batch-size)" : "");
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

	if (o.batch_size) {
		rc = run_stream(&o, &p);
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
	/* TF32 is CUDA's: say once where it is not what runs. */
	if (o.workers.precision == HETSCHED_PRECISION_TF32 && hetsched_rank() == 0 &&
	    (hetsched_worker_count_kind(HETSCHED_KIND_CPU) > 0 ||
	     hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) > 0))
		fprintf(stderr,
		        "hetsched: run: --precision tf32: the tiles of CPU%s workers compute "
		        "in FP32 (TF32 is CUDA's tensor-core mode)\n",
		        hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) > 0 ? " and OpenCL" : "");
	if (cli_problem_create(&p, o.tile, &what) < 0) {
		rc = run_fail(what);
		goto out;
	}

	times = calloc(o.repeat, sizeof(double));
	pass_s = calloc(o.repeat, sizeof(double));
	h2d = calloc(o.repeat, sizeof(uint64_t));
	d2h = calloc(o.repeat, sizeof(uint64_t));
	residency = calloc(o.repeat, sizeof(*residency));
	if (!times || !pass_s || !h2d || !d2h || !residency) {
		cli_error("run", "out of memory");
		goto out;
	}
	for (size_t r = 0; r < o.repeat; r++) {
		hetsched_stats_reset();
		hetsched_bus_bytes(NULL, NULL, NULL); /* reading resets the counters */
		if (cli_problem_pass(&p, &times[r]) < 0) {
			rc = run_fail("forward pass failed");
			goto out;
		}
		/* Where the data started: a loaded input or model is on the host for the first
		 * pass; generated tensors, and everything after the first pass, are where the
		 * tasks that wrote or read them ran. */
		hetsched_bus_bytes(&h2d[r], &d2h[r], NULL);
		residency[r] = r == 0 && (o.input || o.model) ? "cold" : "resident";
		pass_s[r] = times[r];
		if (!o.json && !o.quiet && o.repeat > 1)
			fprintf(stderr, "repeat %zu/%zu: %.3f s\n", r + 1, o.repeat, times[r]);
	}
	if (!o.quiet && hetsched_rank() == 0)
		run_report_calibration(&p);
	y = cli_problem_output(&p);
	/* Only --save reads y here (a 16-bit y is widened to FP32 when read). */
	if (hetsched_rank() == 0 && o.save)
		hetsched_tensor_data(y, &ydata, &ldy);
	ranks = calloc((size_t)hetsched_nranks(), sizeof(*ranks));
	if (!ranks) {
		cli_error("run", "out of memory");
		goto out;
	}
	hetsched_ranks_gather(ranks);

	if (o.check && cli_problem_check(&p, &check) < 0) {
		rc = run_fail("check failed to run");
		goto out;
	}

	/* Outputs: complete or absent, even if a signal arrives now. */
	cli_signals_block(1);
	if (o.save_input && hetsched_tensor_to_host(p.x) < 0) {
		cli_signals_block(0);
		rc = run_fail("cannot gather the input");
		goto out;
	}
	if (hetsched_rank() != 0) {
		/* Other ranks computed and sent their tiles; rank 0 reports and writes. */
		cli_signals_block(0);
		rc = EXIT_OK;
		goto out;
	}
	if (o.save && run_save_output(&o, &p, o.save, ydata, ldy) < 0) {
		cli_signals_block(0);
		rc = run_fail("cannot save the result");
		goto out;
	}
	if (o.save_input) {
		const float *xdata;
		size_t ldx;

		if (hetsched_tensor_data(p.x, &xdata, &ldx) < 0 ||
		    run_save_array(&o, o.save_input, "x", xdata, p.rows, p.dims[0], ldx) < 0) {
			cli_signals_block(0);
			rc = run_fail("cannot save the input");
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
		    .pass_s = pass_s,
		    .residency = residency,
		    .h2d = h2d,
		    .d2h = d2h,
		    .check = o.check ? &check : NULL,
		    .save = o.save,
		    .save_ndim = p.y_ndim && !run_is_safetensors(o.save) ? p.y_ndim : 0,
		    .save_shape = p.y_shape,
		    .save_type = o.save_dtype == HETSCHED_DTYPE_BF16  ? "bfloat16"
		                 : o.save_dtype == HETSCHED_DTYPE_F16 ? "float16"
		                                                      : NULL,
		    .ranks = ranks,
		    .nranks = (size_t)hetsched_nranks(),
		};

		qsort(times, o.repeat, sizeof(double), cli_cmp_double);
		if (o.trace && report_write_trace(o.trace) < 0) {
			cli_signals_block(0);
			rc = run_fail("cannot write the trace");
			goto out;
		}
		if (o.json)
			report_print_json(&report);
		else if (!o.quiet) {
			report_print_text(&report);
			run_report_dtype(&o);
		}
	}
	cli_signals_block(0);
	rc = o.check && !check.ok ? EXIT_RUNTIME : EXIT_OK;
	if (rc != EXIT_OK && check.nonfinite_mismatch.count)
		cli_error("run",
		          "check FAILED: %zu NaN or infinite values differ from the reference, the "
		          "first at row %zu, column %zu",
		          check.nonfinite_mismatch.count, check.nonfinite_mismatch.row,
		          check.nonfinite_mismatch.col);
	else if (rc != EXIT_OK)
		cli_error("run", "check FAILED: max relative error %.3g above tolerance %.3g",
		          check.max_rel_err, check.tolerance);

out:
	cli_problem_free(&p);
	if (started)
		hetsched_shutdown();
	free(times);
	free(pass_s);
	free(h2d);
	free(d2h);
	free(residency);
	free(ranks);
	return rc;
}
