/* common.c: option parsing shared by the subcommands, and their help texts. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define WORKER_HELP                                                                                \
	"workers:\n"                                                                               \
	"  --sched P          StarPU scheduling policy (default: $STARPU_SCHED, else dmda)\n"      \
	"  --ncpu N           CPU workers (default: StarPU's, or $STARPU_NCPU)\n"                  \
	"  --ncuda N          CUDA workers\n"                                                      \
	"  --nopencl N        OpenCL workers\n"                                                    \
	"  --opencl-on-cpu    use OpenCL CPU devices (PoCL) as accelerators\n"                     \
	"  --watchdog S       fail (exit 1) when no task finishes for S seconds\n"

static const char info_help[] =
    "usage: hetsched info [--json] [worker options]\n"
    "\n"
    "What this node offers, as hwloc and StarPU see it: topology, workers by kind, memory\n"
    "nodes, bus bandwidth and latency, the OpenBLAS core, and whether CUDA is available.\n"
    "\n"
    "  --json             one JSON object on stdout\n" WORKER_HELP;

static const char run_help[] =
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
    "  --check            verify y against an independent reference; exit 1 if wrong\n" WORKER_HELP
    "output:\n"
    "  --save y.npy       write y\n"
    "  --save-input x.npy write the input batch\n"
    "  --json             one JSON object on stdout instead of the summary\n"
    "  --trace t.json     Chrome trace events (Perfetto, chrome://tracing)\n"
    "  --quiet            no summary\n";

static const char calibrate_help[] =
    "usage: hetsched calibrate [--sizes N1,N2,...] [--tile T|auto] [--quiet] [worker options]\n"
    "\n"
    "Run forward passes of N x N -> N (default 4096) until StarPU's history holds 10 samples of\n"
    "every task shape of those passes on each worker's architecture, so that StarPU's dm*\n"
    "policies schedule the next run from calibrated models. The models live in\n"
    "$STARPU_HOME/.starpu/sampling (or $STARPU_PERF_MODEL_DIR), one set per $STARPU_HOSTNAME:\n"
    "on a cluster, put them on shared storage and give each node type its own\n"
    "STARPU_HOSTNAME.\n" WORKER_HELP;

const char *cli_progname = "hetsched";

const char *cli_help_text(const char *command)
{
	if (!strcmp(command, "info"))
		return info_help;
	if (!strcmp(command, "run"))
		return run_help;
	if (!strcmp(command, "bench"))
		return cli_bench_help;
	if (!strcmp(command, "calibrate"))
		return calibrate_help;
	if (!strcmp(command, "help"))
		return "usage: hetsched help <command>\n";
	return NULL;
}

const char *cli_bad_option(char **argv)
{
	static char text[3];

	/* optopt is the option character for a short option, 0 for an unknown long one and the
	 * long option's id (above 255 here) for a long one missing its value. */
	if (optopt > 0 && optopt < 256) {
		snprintf(text, sizeof(text), "-%c", optopt);
		return text;
	}
	return argv[optind - 1];
}

void cli_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hetsched: %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *command)
{
	fprintf(stderr, "\n%s", cli_help_text(command));
	return EXIT_USAGE;
}

int cli_parse_u64(const char *name, const char *arg, uint64_t *out)
{
	char *end;
	uintmax_t v;

	errno = 0;
	if (!arg || !*arg || *arg == '-' || *arg == '+') {
		fprintf(stderr, "hetsched: --%s must be a non-negative integer, got '%s'\n", name,
		        arg ? arg : "");
		return -1;
	}
	v = strtoumax(arg, &end, 10);
	if (errno || *end) {
		fprintf(stderr, "hetsched: --%s must be a non-negative integer, got '%s'\n", name,
		        arg);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

int cli_parse_size(const char *name, const char *arg, size_t *out)
{
	uint64_t v;

	if (arg && *arg == '-') {
		fprintf(stderr, "hetsched: --%s must be a positive integer, got '%s'\n", name, arg);
		return -1;
	}
	if (cli_parse_u64(name, arg, &v) < 0)
		return -1;
	if (v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "hetsched: --%s must be between 1 and %u, got '%s'\n", name,
		        UINT32_MAX, arg);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

int cli_parse_count(const char *name, const char *arg, int *out)
{
	uint64_t v;

	if (cli_parse_u64(name, arg, &v) < 0)
		return -1;
	if (v > 4096) {
		fprintf(stderr, "hetsched: --%s must be at most 4096, got '%s'\n", name, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

void cli_workers_init(struct cli_workers *w)
{
	w->sched = NULL;
	w->ncpu = w->ncuda = w->nopencl = -1;
	w->opencl_on_cpu = 0;
	w->watchdog_s = 0;
}

/* Seconds, as a positive decimal number of at most a year. */
static int parse_seconds(const char *name, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = arg && *arg ? strtod(arg, &end) : 0;
	if (!arg || !*arg || errno || *end || !(v > 0) || v > 365.0 * 86400) {
		fprintf(stderr, "hetsched: --%s must be a number of seconds > 0, got '%s'\n", name,
		        arg ? arg : "");
		return -1;
	}
	*out = v;
	return 0;
}

int cli_workers_option(struct cli_workers *w, int opt, const char *arg)
{
	switch (opt) {
	case OPT_SCHED:
		w->sched = arg;
		return 1;
	case OPT_NCPU:
		return cli_parse_count("ncpu", arg, &w->ncpu) < 0 ? -1 : 1;
	case OPT_NCUDA:
		return cli_parse_count("ncuda", arg, &w->ncuda) < 0 ? -1 : 1;
	case OPT_NOPENCL:
		return cli_parse_count("nopencl", arg, &w->nopencl) < 0 ? -1 : 1;
	case OPT_OPENCL_ON_CPU:
		w->opencl_on_cpu = 1;
		return 1;
	case OPT_WATCHDOG:
		return parse_seconds("watchdog", arg, &w->watchdog_s) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

int cli_start(const struct cli_workers *w, int quiet)
{
	struct hetsched_conf conf;
	int rc;

	/* With no OpenCL worker wanted, keep the OpenCL drivers unloaded: StarPU would load them
	 * anyway, and PoCL alone costs about 60 MiB of resident memory. (The ICD loader reads
	 * OCL_ICD_VENDORS once per process, so this is for one-shot commands, not the library.) */
	if ((w->nopencl == 0 || (w->nopencl < 0 && getenv("STARPU_NOPENCL") &&
	                         !strcmp(getenv("STARPU_NOPENCL"), "0"))) &&
	    !getenv("OCL_ICD_VENDORS"))
		setenv("OCL_ICD_VENDORS", "/nonexistent/hetsched-no-opencl", 1);
	hetsched_conf_init(&conf);
	conf.sched = w->sched;
	conf.ncpu = w->ncpu;
	conf.ncuda = w->ncuda;
	conf.nopencl = w->nopencl;
	conf.opencl_on_cpu = w->opencl_on_cpu;
	conf.quiet = quiet;
	conf.watchdog_s = w->watchdog_s;
	rc = hetsched_init(&conf);
	if (rc == 0)
		return EXIT_OK;
	fprintf(stderr, "hetsched: %s\n", hetsched_last_error());
	return rc == HETSCHED_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

int cli_start_one_process(const struct cli_workers *w, int quiet, const char *command)
{
	int rc = cli_start(w, quiet);

	if (rc != EXIT_OK || hetsched_nranks() == 1)
		return rc;
	if (hetsched_rank() == 0)
		fprintf(
		    stderr,
		    "hetsched: %s runs in one process, not across %d MPI ranks: start it without "
		    "mpirun, or with one task (on every node by itself: srun --mpi=none "
		    "--ntasks-per-node=1)\n",
		    command, hetsched_nranks());
	hetsched_shutdown();
	return EXIT_USAGE;
}

/* --tile auto: square tiles, large enough for BLAS efficiency (CPU tasks of a few to tens of
 * milliseconds, as StarPU advises), small enough to give every worker several output tiles.
 * Beside OpenCL workers (no CUDA), 16 output tiles per worker instead of 4: an OpenCL device
 * may be many times slower than a CPU core (PoCL: about 15 times), and a tile it holds delays
 * the k chain of its output tile by that much, so its tiles must be a small part of the run
 * (1 CPU + 1 PoCL worker, 2048: tile 256 ran at 0.9-1.0 of the CPU alone, tile 512 at 0.7).
 * With CUDA workers the tiles are cut for the GPUs alone, from 4096 down to 16 output tiles per
 * GPU: cuBLAS needs large tiles to reach its peak, fewer tiles move less, and 16 per GPU let
 * the results travel home while the GPU computes. The CPU workers are not counted: a GPU does
 * the work of tens of cores, and dmda gives a core a tile only when it would finish it first.
 * Measured on an H200 beside 15 cores (dmda, host to host): N=8192, tile 2048 0.027 s, tile 1024
 * (what counting the cores gave) 0.040 s; N=16384, tile 4096 0.193 s, tile 2048 0.204 s. */
size_t cli_auto_tile(size_t rows, const size_t *dims, size_t nlayers)
{
	int ncuda = hetsched_worker_count_kind(HETSCHED_KIND_CUDA);
	int nopencl = hetsched_worker_count_kind(HETSCHED_KIND_OPENCL);
	size_t want =
	    ncuda ? 16 * (size_t)ncuda : (nopencl ? 16 : 4) * (size_t)hetsched_worker_count();
	size_t largest = rows, tile = ncuda ? 4096 : 1024;

	for (size_t l = 0; l <= nlayers; l++)
		largest = dims[l] > largest ? dims[l] : largest;
	/* At least `want` output tiles on the last layer. */
	while (tile > 256) {
		size_t tiles = ((rows + tile - 1) / tile) * ((dims[nlayers] + tile - 1) / tile);

		if (tiles >= want)
			break;
		tile /= 2;
	}
	return tile < largest ? tile : largest;
}

double cli_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double cli_median_sorted(const double *sorted, size_t n)
{
	return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

double cli_sort_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cli_cmp_double);
	return cli_median_sorted(v, n);
}
