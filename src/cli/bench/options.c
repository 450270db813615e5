/* options.c: bench's help text and options. Lists (--sched, --sizes, --tiles) go through one
 * splitter that refuses empty lists and empty items; every value is checked before StarPU
 * starts, and each refusal is one line naming the option and the bad value. The tool's option
 * driver and list parser (../options.h) do the parsing; this file says what bench takes. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"
#include "tool.h"

const char cli_bench_help[] =
    "usage: hetsched bench [options]\n"
    "\n"
    "Compare scheduling policies on the same work. A size N is an N x N random input (batch = in\n"
    "= out = N) through --layers linear layers of N -> N features, ReLU between layers, so one\n"
    "pass is 2 N^3 L floating-point operations. When some policies schedule from performance\n"
    "models (dm*, *heft*), a calibration phase under dmda first runs every (size, tile) until\n"
    "StarPU's models are calibrated (at most 3 x --max-warmup passes). Then each policy runs in\n"
    "a fresh StarPU: each (size, tile) gets --warmup passes, more while its models are not\n"
    "calibrated (at most --max-warmup), none of them recorded; then --repeat timed passes,\n"
    "each checked against a double-precision random projection of the last layer (outside the\n"
    "timed region).\n"
    "With --simulate (a simulation build) the study runs on the node the bundle describes, in\n"
    "simulated time: no calibration phase (the models are the node's), no check (nothing is\n"
    "computed: check_ok is empty), one process per policy.\n"
    "\n"
    "sweep:\n"
    "  --sched P1,P2,..|all  policies (default eager,lws,dmda,dmdas; all: every policy this\n"
    "                     StarPU offers)\n"
    "  --sizes N1,N2,..   problem sizes (default 1024,2048)\n"
    "  --tiles T1,..|auto square tile sizes; auto as in `hetsched run` (default auto)\n"
    "  --layers L         layers per pass (default 1)\n"
    "  --repeat R         timed passes per configuration (default 5)\n"
    "  --warmup W         warm-up passes per configuration, at least 1 (default 1)\n"
    "  --max-warmup W     most warm-up passes while models calibrate (default 10)\n"
    "  --seed S           seed of the input and the weights (default 0)\n"
    "  --pass-timeout S   stop (exit 1) when a configuration's set-up or one pass takes\n"
    "                     longer than S seconds, e.g. a policy that hangs (default 300; 0: never)\n"
    "  --scenario S       where each timed pass's data start: resident (x and W on the\n"
    "                     devices, left there by the warm-up; only y travels), cold (x and W\n"
    "                     brought back to the host before each pass, as from files), stream\n"
    "                     (W resident, x streamed from host memory in batches, y back)\n"
    "                     (default resident)\n"
    "  --batch-size B     rows per batch of --scenario stream (default N/4)\n"
    "workers (one set for every policy):\n"
    "  --ncpu N           CPU workers (default: StarPU's, or $STARPU_NCPU)\n"
    "  --ncuda N          CUDA workers\n"
    "  --nopencl N        OpenCL workers\n"
    "  --opencl-on-cpu    use OpenCL CPU devices (PoCL) as accelerators\n" CLI_NUMERICS_HELP
        CLI_SIMULATE_HELP "output:\n"
    "  --csv FILE         one row per timed pass (default: the CSV on stdout)\n"
    "  --plot DIR         gflops.png, share.png, a Gantt chart per traced pass and index.html\n"
    "                     (needs gnuplot)\n"
    "  --plot FILE.png    the GFLOP/s plot alone, as FILE.png (FILE.svg: as SVG)\n"
    "  --trace-dir DIR    Chrome trace of the last pass of each configuration\n"
    "  --quiet            no progress on stderr, no summary on stdout\n"
    "\n"
    "CSV columns: timestamp,host,hetsched_version,starpu_version,sched,ncpu,ncuda,nopencl,\n"
    "batch,in,out,layers,tile,repeat,elapsed_s,gflops,tasks_cpu,tasks_cuda,tasks_opencl,\n"
    "busy_cpu,busy_cuda,busy_opencl,bytes_moved,check_ok,scenario,h2d_bytes,d2h_bytes,\n"
    "simulated,dtype,precision (see README.md).\n";

enum {
	OPT_SIZES = OPT_FIRST_COMMAND_OPTION,
	OPT_TILES,
	OPT_LAYERS,
	OPT_REPEAT,
	OPT_WARMUP,
	OPT_MAX_WARMUP,
	OPT_SEED,
	OPT_CSV,
	OPT_PLOT,
	OPT_TRACE_DIR,
	OPT_QUIET,
	OPT_PASS_TIMEOUT,
	OPT_SCENARIO,
	OPT_BATCH_SIZE,
};

#define DEFAULT_SCHED "eager,lws,dmda,dmdas"
#define DEFAULT_SIZES "1024,2048"

/* Policies: names from StarPU's own list, or "all" for that whole list. */
static int parse_scheds(const char *arg, struct bench_options *o)
{
	const char *const *valid = hetsched_sched_policies();
	char *copy, *items[MAX_LIST];
	size_t n;
	int rc = 0;

	if (arg && !strcmp(arg, "all")) {
		for (o->nsched = 0; valid[o->nsched] && o->nsched < MAX_LIST; o->nsched++)
			o->scheds[o->nsched] = valid[o->nsched];
		return 0;
	}
	copy = strdup(arg ? arg : "");
	if (!copy)
		return -1;
	if (cli_split_list("bench", "sched", copy, items, MAX_LIST, &n) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		size_t k = 0;

		if (!strcmp(items[i], "all")) {
			cli_error("bench", "--sched all cannot be combined with other policies");
			rc = -1;
			break;
		}
		while (valid[k] && strcmp(valid[k], items[i]))
			k++;
		if (!valid[k]) {
			char list[2048];
			size_t used = 0;

			list[0] = '\0';
			for (size_t j = 0; valid[j] && used < sizeof(list); j++)
				used += snprintf(list + used, sizeof(list) - used, "%s%s",
				                 j ? ", " : "", valid[j]);
			cli_error("bench", "unknown policy '%s' (valid: %s, or all)", items[i],
			          list);
			rc = -1;
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (o->scheds[j] == valid[k]) {
				cli_error("bench", "--sched lists '%s' twice", items[i]);
				rc = -1;
			}
		o->scheds[i] = valid[k]; /* StarPU's static name outlives the copy */
	}
	o->nsched = n;
	free(copy);
	return rc;
}

/* What the handler of bench's own options fills, beyond the options themselves. */
struct parse_state {
	struct bench_options *o;
	const char *sched, *sizes, *tiles;
	int given_max_warmup;
};

#define BENCH(opt, kind, name, field)                                                              \
	{                                                                                          \
		opt, kind, name, offsetof(struct bench_options, field), CLI_NOT_GIVEN              \
	}
static const struct cli_binding bench_bindings[] = {
    BENCH(OPT_REPEAT, CLI_SIZE, "repeat", repeat),
    BENCH(OPT_WARMUP, CLI_SIZE, "warmup", warmup),
    BENCH(OPT_SEED, CLI_U64, "seed", seed),
    BENCH(OPT_CSV, CLI_TEXT, "csv", csv),
    BENCH(OPT_PLOT, CLI_TEXT, "plot", plot),
    BENCH(OPT_TRACE_DIR, CLI_TEXT, "trace-dir", trace_dir),
    BENCH(OPT_QUIET, CLI_FLAG, "quiet", quiet),
    BENCH(OPT_BATCH_SIZE, CLI_SIZE, "batch-size", batch_size),
    {0, CLI_FLAG, NULL, 0, CLI_NOT_GIVEN},
};

/* One option of bench; the driver (cli_options_parse) takes --help and the worker options. */
static int handle_option(int opt, const char *arg, void *ctx)
{
	struct parse_state *st = ctx;
	struct bench_options *o = st->o;
	uint64_t timeout;
	int rc = cli_bind(bench_bindings, opt, arg, o);

	if (rc != CLI_NOT_MINE)
		return rc;
	switch (opt) {
	case OPT_SCHED: /* a list here: the policy of each run is set by the sweep */
		st->sched = arg;
		return CLI_PARSED;
	case OPT_SIZES:
		st->sizes = arg;
		return CLI_PARSED;
	case OPT_TILES:
		st->tiles = arg;
		return CLI_PARSED;
	case OPT_LAYERS:
		if (cli_parse_size("layers", arg, &o->layers) < 0)
			return CLI_BAD_VALUE;
		if (o->layers > MAX_LAYERS) {
			cli_error("bench", "--layers must be at most %d, got %zu", MAX_LAYERS,
			          o->layers);
			return CLI_BAD_VALUE;
		}
		return CLI_PARSED;
	case OPT_MAX_WARMUP:
		st->given_max_warmup = 1;
		return cli_parse_size("max-warmup", arg, &o->max_warmup) < 0 ? CLI_BAD_VALUE
		                                                             : CLI_PARSED;
	case OPT_PASS_TIMEOUT:
		if (cli_parse_u64("pass-timeout", arg, &timeout) < 0)
			return CLI_BAD_VALUE;
		if (timeout > 86400) {
			cli_error("bench", "--pass-timeout must be at most 86400 s, got %s", arg);
			return CLI_BAD_VALUE;
		}
		o->pass_timeout = (unsigned)timeout;
		return CLI_PARSED;
	case OPT_SCENARIO:
		if (strcmp(arg, "resident") && strcmp(arg, "cold") && strcmp(arg, "stream")) {
			cli_error("bench", "--scenario must be resident, cold or stream, got '%s'",
			          arg);
			return CLI_BAD_VALUE;
		}
		o->scenario = arg;
		return CLI_PARSED;
	default:
		return CLI_NOT_MINE;
	}
}

int bench_parse_options(int argc, char **argv, struct bench_options *o)
{
	static const struct option options[] = {
	    {"sizes", required_argument, NULL, OPT_SIZES},
	    {"tiles", required_argument, NULL, OPT_TILES},
	    {"layers", required_argument, NULL, OPT_LAYERS},
	    {"repeat", required_argument, NULL, OPT_REPEAT},
	    {"warmup", required_argument, NULL, OPT_WARMUP},
	    {"max-warmup", required_argument, NULL, OPT_MAX_WARMUP},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"csv", required_argument, NULL, OPT_CSV},
	    {"plot", required_argument, NULL, OPT_PLOT},
	    {"trace-dir", required_argument, NULL, OPT_TRACE_DIR},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"pass-timeout", required_argument, NULL, OPT_PASS_TIMEOUT},
	    {"scenario", required_argument, NULL, OPT_SCENARIO},
	    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
	    CLI_NUMERICS_OPTIONS,
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct parse_state st = {o, DEFAULT_SCHED, DEFAULT_SIZES, "auto", 0};
	int rc;

	memset(o, 0, sizeof(*o));
	o->pass_timeout = 300;
	o->layers = 1;
	o->repeat = 5;
	o->warmup = 1;
	o->max_warmup = 10;
	o->scenario = "resident";
	rc = cli_options_parse("bench", argc, argv, options, handle_option, &st, &o->workers);
	if (rc != CLI_PARSED)
		return rc;
	if (parse_scheds(st.sched, o) < 0 ||
	    cli_parse_size_list("bench", "sizes", st.sizes, o->sizes, MAX_LIST, &o->nsizes, 0, 1) <
	        0 ||
	    cli_parse_size_list("bench", "tiles", st.tiles, o->tiles, MAX_LIST, &o->ntiles, 1, 1) <
	        0)
		return CLI_BAD_VALUE;
	if (!strcmp(o->scenario, "stream") && o->layers > 1) {
		cli_error("bench",
		          "--scenario stream runs one layer (its check reads the layer's "
		          "input), got --layers %zu",
		          o->layers);
		return CLI_BAD_VALUE;
	}
	if (!strcmp(o->scenario, "stream") && o->workers.dtype != HETSCHED_DTYPE_F32) {
		cli_error("bench", "--scenario stream streams f32 tensors only, not --dtype %s",
		          hetsched_dtype_name(o->workers.dtype));
		return CLI_BAD_VALUE;
	}
	if (o->batch_size && strcmp(o->scenario, "stream")) {
		cli_error("bench", "--batch-size is for --scenario stream");
		return CLI_BAD_VALUE;
	}
	if (o->max_warmup < o->warmup) {
		if (st.given_max_warmup) {
			cli_error("bench", "--max-warmup %zu is below --warmup %zu", o->max_warmup,
			          o->warmup);
			return CLI_BAD_VALUE;
		}
		o->max_warmup = o->warmup;
	}
	for (size_t t = 0; t < o->ntiles; t++)
		for (size_t s = 0; s < o->nsizes; s++)
			if (o->tiles[t] > o->sizes[s]) {
				cli_error(
				    "bench",
				    "tile %zu is larger than size %zu (a tile must fit the N x N "
				    "problem)",
				    o->tiles[t], o->sizes[s]);
				return CLI_BAD_VALUE;
			}
	return CLI_PARSED;
}

/* --plot NAME.png or NAME.svg (the interface of DESIGN.md): the GFLOP/s plot alone, written as
 * that file, in that format; any other --plot is a folder for every plot and the HTML report. */
int bench_plot_to_file(struct bench_options *o)
{
	size_t len = strlen(o->plot);
	const char *slash;

	if (len < 4 || (strcasecmp(o->plot + len - 4, ".png") != 0 &&
	                strcasecmp(o->plot + len - 4, ".svg") != 0))
		return 0;
	if (hetsched__check_writable(o->plot) < 0) {
		cli_error("bench", "--plot: %s", hetsched_last_error());
		return -1;
	}
	slash = strrchr(o->plot, '/');
	if (!slash)
		snprintf(o->plot_folder, sizeof(o->plot_folder), ".");
	else
		snprintf(o->plot_folder, sizeof(o->plot_folder), "%.*s",
		         slash == o->plot ? 1 : (int)(slash - o->plot), o->plot);
	o->plot_file = slash ? slash + 1 : o->plot;
	o->plot = o->plot_folder;
	return 0;
}
