/* options.c: bench's help text and options. Lists (--sched, --sizes, --tiles) go through one
 * splitter that refuses empty lists and empty items; every value is checked before StarPU
 * starts, and each refusal is one line naming the option and the bad value. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"
#include "npy.h" /* hetsched__check_writable, until the io module's file API */

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
    "workers (one set for every policy):\n"
    "  --ncpu N           CPU workers (default: StarPU's, or $STARPU_NCPU)\n"
    "  --ncuda N          CUDA workers\n"
    "  --nopencl N        OpenCL workers\n"
    "  --opencl-on-cpu    use OpenCL CPU devices (PoCL) as accelerators\n"
    "output:\n"
    "  --csv FILE         one row per timed pass (default: the CSV on stdout)\n"
    "  --plot DIR         gflops.png, share.png, a Gantt chart per traced pass and index.html\n"
    "                     (needs gnuplot)\n"
    "  --plot FILE.png    the GFLOP/s plot alone, as FILE.png\n"
    "  --trace-dir DIR    Chrome trace of the last pass of each configuration\n"
    "  --quiet            no progress on stderr, no summary on stdout\n"
    "\n"
    "CSV columns: timestamp,host,hetsched_version,starpu_version,sched,ncpu,ncuda,nopencl,\n"
    "batch,in,out,layers,tile,repeat,elapsed_s,gflops,tasks_cpu,tasks_cuda,tasks_opencl,\n"
    "busy_cpu,busy_cuda,busy_opencl,bytes_moved,check_ok (see README.md).\n";

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
};

#define DEFAULT_SCHED "eager,lws,dmda,dmdas"
#define DEFAULT_SIZES "1024,2048"

/* Split a comma-separated list in place. An empty list, or an empty item ("1024,,2048", a
 * trailing comma), is refused rather than skipped: it is almost always a typo. */
static int split_list(const char *option, char *arg, char **items, size_t *n)
{
	char *p = arg;

	*n = 0;
	if (!*arg) {
		cli_error("bench", "--%s is empty: give a comma-separated list", option);
		return -1;
	}
	if (strstr(arg, ",,") || arg[0] == ',' || arg[strlen(arg) - 1] == ',') {
		cli_error("bench", "--%s has an empty item in '%s'", option, arg);
		return -1;
	}
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (*n == MAX_LIST) {
			cli_error("bench", "--%s has more than %d items", option, MAX_LIST);
			return -1;
		}
		items[(*n)++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

/* A positive integer of a list; one line naming the list and the bad item otherwise. */
static int parse_list_size(const char *option, const char *item, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*item < '0' || *item > '9') {
		cli_error("bench", "--%s: '%s' is not a positive integer", option, item);
		return -1;
	}
	v = strtoull(item, &end, 10);
	if (errno || *end) {
		cli_error("bench", "--%s: '%s' is not a positive integer", option, item);
		return -1;
	}
	if (v == 0 || v > UINT32_MAX) {
		cli_error("bench", "--%s: %s is out of range: each must be between 1 and %u",
		          option, item, UINT32_MAX);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static int parse_sizes(const char *option, const char *arg, size_t *values, size_t *n,
                       int allow_auto)
{
	char *copy = strdup(arg ? arg : ""), *items[MAX_LIST];
	int rc = 0;

	if (!copy)
		return -1;
	if (split_list(option, copy, items, n) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		if (allow_auto && !strcmp(items[i], "auto"))
			values[i] = 0;
		else if (parse_list_size(option, items[i], &values[i]) < 0)
			rc = -1;
		for (size_t j = 0; rc == 0 && j < i; j++)
			if (values[j] == values[i]) {
				cli_error("bench", "--%s lists '%s' twice", option, items[i]);
				rc = -1;
			}
	}
	free(copy);
	return rc;
}

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
	if (split_list("sched", copy, items, &n) < 0)
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
	    {"help", no_argument, NULL, OPT_HELP},
	    CLI_WORKER_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	const char *sched = DEFAULT_SCHED, *sizes = DEFAULT_SIZES, *tiles = "auto";
	int opt, given_max_warmup = 0;
	uint64_t timeout;

	memset(o, 0, sizeof(*o));
	o->pass_timeout = 300;
	o->layers = 1;
	o->repeat = 5;
	o->warmup = 1;
	o->max_warmup = 10;
	cli_workers_init(&o->workers);
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets a previous scan */
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		int handled;

		/* --sched is a list here: the policy of each run is set below. */
		if (opt == OPT_SCHED) {
			sched = optarg;
			continue;
		}
		handled = cli_workers_option(&o->workers, opt, optarg);
		if (handled < 0)
			return -1;
		if (handled)
			continue;
		switch (opt) {
		case OPT_SIZES:
			sizes = optarg;
			break;
		case OPT_TILES:
			tiles = optarg;
			break;
		case OPT_LAYERS:
			if (cli_parse_size("layers", optarg, &o->layers) < 0)
				return -1;
			if (o->layers > MAX_LAYERS) {
				cli_error("bench", "--layers must be at most %d, got %zu",
				          MAX_LAYERS, o->layers);
				return -1;
			}
			break;
		case OPT_REPEAT:
			if (cli_parse_size("repeat", optarg, &o->repeat) < 0)
				return -1;
			break;
		case OPT_WARMUP:
			if (cli_parse_size("warmup", optarg, &o->warmup) < 0)
				return -1;
			break;
		case OPT_MAX_WARMUP:
			if (cli_parse_size("max-warmup", optarg, &o->max_warmup) < 0)
				return -1;
			given_max_warmup = 1;
			break;
		case OPT_SEED:
			if (cli_parse_u64("seed", optarg, &o->seed) < 0)
				return -1;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_PLOT:
			o->plot = optarg;
			break;
		case OPT_TRACE_DIR:
			o->trace_dir = optarg;
			break;
		case OPT_QUIET:
			o->quiet = 1;
			break;
		case OPT_PASS_TIMEOUT:
			if (cli_parse_u64("pass-timeout", optarg, &timeout) < 0)
				return -1;
			if (timeout > 86400) {
				cli_error("bench", "--pass-timeout must be at most 86400 s, got %s",
				          optarg);
				return -1;
			}
			o->pass_timeout = (unsigned)timeout;
			break;
		case 'h':
		case OPT_HELP:
			fputs(cli_bench_help, stdout);
			return 1;
		case ':':
			cli_error("bench", "option '%s' needs a value", cli_bad_option(argv));
			return -2;
		default:
			cli_error("bench", "unknown option '%s'", cli_bad_option(argv));
			return -2;
		}
	}
	if (optind < argc) {
		cli_error("bench", "unexpected argument '%s'", argv[optind]);
		return -2;
	}
	if (parse_scheds(sched, o) < 0 ||
	    parse_sizes("sizes", sizes, o->sizes, &o->nsizes, 0) < 0 ||
	    parse_sizes("tiles", tiles, o->tiles, &o->ntiles, 1) < 0)
		return -1;
	if (o->max_warmup < o->warmup) {
		if (given_max_warmup) {
			cli_error("bench", "--max-warmup %zu is below --warmup %zu", o->max_warmup,
			          o->warmup);
			return -1;
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
				return -1;
			}
	return 0;
}

/* --plot NAME.png (the interface of DESIGN.md): the GFLOP/s plot alone, written as that file;
 * any other --plot is a folder for every plot and the HTML report. */
int bench_plot_to_file(struct bench_options *o)
{
	size_t len = strlen(o->plot);
	const char *slash;

	if (len < 4 || strcasecmp(o->plot + len - 4, ".png") != 0)
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
