/* run.c: `hetsched run`, the main job: y = model(x) over every worker of the node, with a
 * report of what ran where, an optional check against an independent reference, and outputs
 * that are either complete or absent. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
    "  --activation A,..  after each layer: one per gap between layers, then an optional\n"
    "                     final one (one name: every gap); relu, leaky_relu, elu, selu,\n"
    "                     tanh, sigmoid, hardsigmoid, gelu, gelu_tanh, silu, softmax,\n"
    "                     log_softmax, none (random model default: relu between layers)\n"
    "  --input x.npy      input batch (float32/float64, C order; 1-D is one row, N-D runs\n"
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
    "wrong\n" CLI_WORKER_HELP CLI_SIMULATE_HELP "output:\n"
    "  --save y.npy       write y (y.safetensors: as a safetensors file, tensor \"y\")\n"
    "  --save-input x.npy write the input batch (x.safetensors: tensor \"x\")\n"
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
};

struct run_options {
	size_t batch, in, out;
	size_t hidden[CLI_MAX_LAYERS - 1];
	size_t nhidden;
	int given_batch, given_in, given_out, given_hidden;
	const char *activation, *layers;
	const char *input, *model;
	size_t ninputs; /* --input NAME=FILE */
	const char *input_names[CLI_MAX_INPUTS], *input_paths[CLI_MAX_INPUTS];
	char input_buf[CLI_MAX_INPUTS][256];
	uint64_t seed;
	size_t tile; /* 0: auto */
	size_t repeat;
	size_t batch_size; /* 0: no streaming */
	int check, json, quiet;
	const char *save, *save_input, *trace;
	struct cli_workers workers;
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
		o->activation = arg;
		return CLI_PARSED;
	case OPT_LAYERS:
		o->layers = arg;
		return CLI_PARSED;
	case OPT_INPUT:
		return input_option(o, arg);
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
	case OPT_BATCH_SIZE:
		return cli_parse_size("batch-size", arg, &o->batch_size) < 0 ? CLI_BAD_VALUE
		                                                             : CLI_PARSED;
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

static int is_safetensors(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	return len >= 12 && !strcasecmp(path + len - 12, ".safetensors");
}

/* y in its own shape in a .npy file: 1-D in, 1-D out; an ONNX model's output shape. */
static int save_output(const struct cli_problem *p, const char *path, const float *y, size_t ldy)
{
	size_t cols = p->dims[p->nlayers];
	float *packed = NULL;
	int rc;

	/* A .safetensors output holds the rows x columns matrix. */
	if (p->y_ndim == 0 || is_safetensors(path))
		return save_array(path, "y", y, p->rows, cols, ldy);
	if (ldy != cols) {
		packed = malloc(p->rows * cols * sizeof(float));
		if (!packed)
			return -1;
		for (size_t r = 0; r < p->rows; r++)
			memcpy(packed + r * cols, y + r * ldy, cols * sizeof(float));
		y = packed;
	}
	rc = hetsched_npy_save_shape(path, y, p->y_ndim, p->y_shape);
	free(packed);
	return rc;
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

/* ------------------------------------------------------------------ streaming */

/* The options --batch-size cannot go with; -1 after printing why. */
static int check_stream_options(const struct run_options *o, const struct cli_problem *p)
{
	const char *clash = o->repeat > 1   ? "--repeat (a stream is one pass over the file)"
	                    : o->check      ? "--check (compare the output with numpy, or run "
	                                      "without --batch-size)"
	                    : o->save_input ? "--save-input (the input is a file already)"
	                                    : NULL;

	if (!o->input || !o->save) {
		cli_error("run",
		          "--batch-size streams --input (a .npy file) to --save (a .npy file): "
		          "give both");
		return -1;
	}
	if (p->model) {
		size_t nsteps, rows, in, out;
		const struct hetsched__step *steps = hetsched__model_steps(p->model, &nsteps);
		int transposed, layers_only = 1;

		/* A stream runs linear layers (their element-wise activations fused): a model with
		 * steps of its own (softmax, element-wise ones where no layer comes before, an ONNX
		 * model's view of its N-D input) would lose them. */
		for (size_t s = 0; s < nsteps; s++)
			layers_only &=
			    steps[s].kind == HETSCHED_STEP_LINEAR && steps[s].bias_rows == 1;
		hetsched__model_view(p->model, &rows, &in, &out, &transposed);
		if (!layers_only || rows) {
			cli_error("run",
			          "--batch-size streams models of linear layers and their "
			          "element-wise activations; %s: run it without --batch-size",
			          rows ? "an ONNX model runs the input shape it was read for"
			               : "this model has a softmax or a step of its own");
			return -1;
		}
	}
	if (clash) {
		cli_error("run", "--batch-size cannot be combined with %s", clash);
		return -1;
	}
	if (strlen(o->save) < 4 || strcmp(o->save + strlen(o->save) - 4, ".npy")) {
		cli_error("run",
		          "--batch-size writes a .npy file batch by batch: --save %s must end "
		          "with .npy",
		          o->save);
		return -1;
	}
	if (!strcmp(o->input, o->save)) {
		cli_error("run", "--save %s is the --input being streamed: write another file",
		          o->save);
		return -1;
	}
	return 0;
}

/* Bytes a stream holds at its peak: the weights (host and device copies alike), and per batch
 * in flight its input, its output and the activations between layers. */
static double stream_bytes(const struct cli_problem *p, size_t batch, size_t window)
{
	double bytes = 0, per_row = p->dims[0];

	for (size_t l = 0; l < p->nlayers; l++) {
		bytes += 4.0 * (p->dims[l] * p->dims[l + 1] + p->dims[l + 1]);
		per_row += p->dims[l + 1];
	}
	if (p->model)
		bytes *= 2;
	return bytes + 4.0 * per_row * (double)batch * (double)window;
}

struct stream_progress {
	size_t in_bytes_per_row;
};

/* rows, GB/s of input read, ETA; on stderr, a terminal only. */
static void stream_progress(void *ctx, size_t done, size_t total, double elapsed)
{
	const struct stream_progress *sp = ctx;
	double rate = elapsed > 0 ? done / elapsed : 0;

	fprintf(stderr, "\r\033[Kstream: %zu/%zu rows (%.0f%%), %.2f GB/s in, ETA %.0f s", done,
	        total, 100.0 * done / total, rate * sp->in_bytes_per_row * 1e-9,
	        rate > 0 ? (total - done) / rate : 0.0);
	cli_progress_on_line = 1;
	if (done == total) {
		fputs("\r\033[K", stderr);
		cli_progress_on_line = 0;
	}
}

static int run_stream(const struct run_options *o, struct cli_problem *p)
{
	static char bus_message[4400];
	struct hetsched_stream_conf conf;
	struct hetsched_stream_stats st;
	struct stream_progress sp = {4 * p->dims[0]};
	struct hetsched_rank_info rank;
	size_t rows = p->rows, batch = o->batch_size < p->rows ? o->batch_size : p->rows;
	const char *what;
	double elapsed;
	uint64_t h2d, d2h;
	int rc;

	rc = cli_start_one_process(&o->workers, o->json || o->quiet, "run --batch-size");
	if (rc != EXIT_OK)
		return rc;
	/* An auto tile is chosen for one batch, the work each pass of the layers sees. */
	p->rows = batch;
	rc = cli_problem_create_layers(p, o->tile, &what);
	p->rows = rows;
	if (rc < 0) {
		cli_error("run", "%s: %s", what, hetsched_last_error());
		cli_problem_free(p);
		hetsched_shutdown();
		return EXIT_RUNTIME;
	}
	/* Interrupted, or the input shrinking under its mapping: no output, not even the
	 * temporary file. */
	snprintf(bus_message, sizeof(bus_message),
	         "hetsched: run: %s shrank while it was streamed (truncated?), no output written\n",
	         o->input);
	cli_signals_cleanup(hetsched_stream_remove_partial);
	cli_signals_catch_bus(bus_message);
	hetsched_stream_conf_init(&conf);
	conf.batch_rows = batch;
	conf.tile_rows = p->tile;
	if (!o->json && !o->quiet && isatty(STDERR_FILENO)) {
		conf.progress = stream_progress;
		conf.progress_ctx = &sp;
	}
	hetsched_stats_reset();
	rc = hetsched_stream_npy(p->layer, p->nlayers, o->input, o->save, &conf, &st);
	if (cli_progress_on_line) {
		fputs("\r\033[K", stderr);
		cli_progress_on_line = 0;
	}
	if (rc < 0 || hetsched_wait_all() < 0) {
		cli_error("run", "stream failed, no output written: %s", hetsched_last_error());
		cli_problem_free(p);
		hetsched_shutdown();
		return rc == HETSCHED_ESHAPE ? EXIT_USAGE : EXIT_RUNTIME;
	}
	elapsed = st.elapsed_s;
	h2d = st.h2d_bytes;
	d2h = st.d2h_bytes;
	hetsched_ranks_gather(&rank);
	{
		const char *residency = "stream";
		struct run_report report = {
		    .batch = rows,
		    .dims = p->dims,
		    .nlayers = p->nlayers,
		    .tile = p->tile,
		    .tile_auto = o->tile == 0,
		    .seed = o->seed,
		    .times = &elapsed,
		    .pass_s = &elapsed,
		    .repeat = 1,
		    .last_s = elapsed,
		    .save = o->save,
		    .ranks = &rank,
		    .nranks = 1,
		    .residency = &residency,
		    .h2d = &h2d,
		    .d2h = &d2h,
		    .stream = &st,
		    .input = o->input,
		    .batch_rows = batch,
		};

		if (o->trace && report_write_trace(o->trace) < 0)
			cli_error("run", "cannot write the trace: %s", hetsched_last_error());
		if (o->json)
			report_print_json(&report);
		else if (!o->quiet)
			report_print_text(&report);
	}
	cli_problem_free(p);
	hetsched_shutdown();
	return EXIT_OK;
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
	if (o.batch_size && check_stream_options(&o, &p) < 0)
		goto out;
	if (o.tile && cli_check_tile("run", o.tile, cli_problem_largest(&p)) < 0)
		goto out;
	need = o.batch_size ? stream_bytes(&p, o.batch_size < p.rows ? o.batch_size : p.rows, 3)
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
	if (cli_problem_create(&p, o.tile, &what) < 0) {
		rc = fail_runtime(what);
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
			rc = fail_runtime("forward pass failed");
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
	if (o.save && save_output(&p, o.save, ydata, ldy) < 0) {
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
		    .pass_s = pass_s,
		    .residency = residency,
		    .h2d = h2d,
		    .d2h = d2h,
		    .check = o.check ? &check : NULL,
		    .save = o.save,
		    .save_ndim = p.y_ndim && !is_safetensors(o.save) ? p.y_ndim : 0,
		    .save_shape = p.y_shape,
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
