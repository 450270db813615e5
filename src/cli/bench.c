/* bench.c: `hetsched bench`, a policy study: for each scheduling policy (a fresh StarPU each),
 * each size N (an N x N input through L linear layers of N -> N) and each tile size, warm up
 * until the performance models are calibrated, then time R forward passes, check each one, and
 * write one CSV row per timed pass; optionally Chrome traces, gnuplot charts and an HTML report.
 *
 * Outputs are complete or absent: the CSV, every PNG and index.html are written under a
 * temporary name and renamed, after all the passes have run. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <starpu.h>

#include "check.h"
#include "cli.h"
#include "problem.h"
#include "codelets.h"
#include "tool.h"
#include "report.h"

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

#define MAX_LIST 64   /* policies, sizes or tiles in one sweep */
#define MAX_LAYERS 64 /* layers of one pass */
#define NAME_LEN 32   /* worker names as shown in charts */
#define DEFAULT_SCHED "eager,lws,dmda,dmdas"
#define DEFAULT_SIZES "1024,2048"

static const char csv_header[] =
    "timestamp,host,hetsched_version,starpu_version,sched,ncpu,ncuda,nopencl,batch,in,out,"
    "layers,tile,repeat,elapsed_s,gflops,tasks_cpu,tasks_cuda,tasks_opencl,busy_cpu,busy_cuda,"
    "busy_opencl,bytes_moved,check_ok";

struct bench_options {
	const char *scheds[MAX_LIST];
	size_t nsched;
	size_t sizes[MAX_LIST];
	size_t nsizes;
	size_t tiles[MAX_LIST]; /* 0: auto */
	size_t ntiles;
	size_t layers, repeat, warmup, max_warmup;
	uint64_t seed;
	const char *csv, *plot, *trace_dir;
	const char *plot_file; /* --plot NAME.png: that plot alone, in the folder now in plot */
	char plot_folder[4096];
	int quiet;
	unsigned pass_timeout; /* seconds, 0: none */
	struct cli_workers workers;
};

/* One timed pass: a row of the CSV. */
struct bench_row {
	size_t sched; /* index into options.scheds */
	size_t size, tile;
	size_t repeat; /* 1 .. R */
	time_t when;
	double elapsed_s, gflops;
	size_t tasks[HETSCHED_NKINDS];
	double busy[HETSCHED_NKINDS];  /* busy fraction of the workers of that kind */
	double flops[HETSCHED_NKINDS]; /* work done by the workers of that kind */
	long long bytes_moved;
	int check_ok;
};

/* The recorded tasks of one traced pass, for its Gantt chart. */
struct bench_trace {
	size_t sched, size, tile;
	double elapsed_s;
	size_t nrecords;
	struct hetsched_task_record *records;
};

/* The medians of the R passes of one (policy, size, tile). */
struct bench_group {
	size_t sched, size, tile;
	size_t n, nok;
	double med_s, med_gflops, min_gflops, max_gflops, med_bytes;
	double med_busy[HETSCHED_NKINDS], med_tasks[HETSCHED_NKINDS], flops[HETSCHED_NKINDS];
	int best_tile; /* the best tile of its (policy, size) */
};

struct bench {
	struct bench_options o;
	int argc;
	char **argv;
	/* The workers, the same for every policy. */
	int nworkers, nkind[HETSCHED_NKINDS];
	enum hetsched_kind *worker_kind;
	char (*worker_name)[NAME_LEN]; /* short, for charts */
	char (*worker_full_name)[128];
	/* Tiles of each size once "auto" is known (it depends on the workers). */
	size_t rtiles[MAX_LIST][MAX_LIST], nrtiles[MAX_LIST];
	int resolved;
	struct bench_row *rows;
	size_t nrows, rows_cap;
	struct bench_trace *traces;
	size_t ntraces, traces_cap;
	struct bench_group *groups;
	size_t ngroups;
	char host[256], started[32], gnuplot[4096];
	/* Progress. */
	int tty;
	size_t done_runs, total_runs, done_configs, total_configs;
	double done_work, total_work, t_start;
};

/* ------------------------------------------------------------------ small helpers */

static void iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Floating-point operations of one pass: L layers of an N x N by N x N product. */
static double pass_flops(size_t n, size_t layers)
{
	return 2.0 * (double)n * (double)n * (double)n * (double)layers;
}

/* ------------------------------------------------------------------ signals */

/* SIGINT and SIGTERM end the study at once with exit code 1; nothing has been written yet but
 * complete traces, and the final outputs are written with these signals blocked. */
static volatile sig_atomic_t progress_on_line;

static void on_signal(int sig)
{
	static const char clear[] = "\r\033[K";
	static const char msg[] = "hetsched: bench: interrupted, no CSV, plot or report written\n";
	ssize_t ignored = 0;

	if (progress_on_line)
		ignored = write(STDERR_FILENO, clear, sizeof(clear) - 1);
	ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)ignored;
	_exit(EXIT_RUNTIME);
}

/* The watchdog: a pass that cannot finish (some StarPU 1.3 policies deadlock on some worker
 * sets) cannot be cancelled, so the study stops, naming the policy, instead of hanging. The
 * message is composed before the alarm is set: the handler only writes it. */
static char watchdog_msg[512];
static size_t watchdog_len;

static void on_alarm(int sig)
{
	static const char clear[] = "\r\033[K";
	ssize_t ignored = 0;

	if (progress_on_line)
		ignored = write(STDERR_FILENO, clear, sizeof(clear) - 1);
	ignored = write(STDERR_FILENO, watchdog_msg, watchdog_len);
	(void)ignored;
	_exit(EXIT_RUNTIME);
}

static void watchdog_arm(unsigned seconds, const char *sched, size_t n, size_t tile,
                         const char *what)
{
	if (!seconds)
		return;
	snprintf(watchdog_msg, sizeof(watchdog_msg),
	         "hetsched: bench: policy %s, n=%zu tile=%zu: %s did not finish within %u s (a "
	         "scheduler that hangs on these workers? leave it out of --sched, or raise "
	         "--pass-timeout); no CSV, plot or report written\n",
	         sched, n, tile, what, seconds);
	watchdog_len = strlen(watchdog_msg);
	alarm(seconds);
}

static void watchdog_disarm(void)
{
	alarm(0);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
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

static int parse_options(int argc, char **argv, struct bench_options *o)
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
			exit(EXIT_OK);
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

/* A folder we may create or write into: an existing writable folder, or a new name in an
 * existing writable folder. Nothing is created here. */
static int check_folder(const char *option, const char *path)
{
	struct stat sb;
	char *parent, *slash;
	int rc = 0;

	if (!*path) {
		cli_error("bench", "--%s is empty", option);
		return -1;
	}
	if (stat(path, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			cli_error("bench", "--%s %s: exists and is not a folder", option, path);
			return -1;
		}
		if (access(path, W_OK | X_OK) != 0) {
			cli_error("bench", "--%s %s: cannot write there: %s", option, path,
			          strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		cli_error("bench", "--%s %s: %s", option, path, strerror(errno));
		return -1;
	}
	parent = strdup(path);
	if (!parent)
		return -1;
	while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
		parent[strlen(parent) - 1] = '\0';
	slash = strrchr(parent, '/');
	if (!slash)
		strcpy(parent, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		cli_error("bench", "--%s %s: folder %s does not exist", option, path, parent);
		rc = -1;
	} else if (access(parent, W_OK | X_OK) != 0) {
		cli_error("bench", "--%s %s: cannot create it in %s: %s", option, path, parent,
		          strerror(errno));
		rc = -1;
	}
	free(parent);
	return rc;
}

/* --plot NAME.png (the interface of DESIGN.md): the GFLOP/s plot alone, written as that file;
 * any other --plot is a folder for every plot and the HTML report. */
static int plot_to_file(struct bench_options *o)
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

static int make_folder(const char *path)
{
	if (mkdir(path, 0777) == 0 || errno == EEXIST)
		return 0;
	cli_error("bench", "cannot create folder %s: %s", path, strerror(errno));
	return -1;
}

/* The gnuplot executable on $PATH, or -1. */
static int find_gnuplot(char *out, size_t size)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;
	int rc = -1;

	if (!path || !*path)
		return -1;
	copy = strdup(path);
	if (!copy)
		return -1;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat sb;

		snprintf(out, size, "%s/gnuplot", *dir ? dir : ".");
		if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0) {
			rc = 0;
			break;
		}
	}
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------ progress */

static void format_duration(double s, char *buf, size_t size)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

/* The progress line on a terminal: rewritten in place, ETA from the work done so far. */
static void progress(struct bench *b, const char *sched, size_t n, size_t tile, const char *phase)
{
	char eta[32];

	if (b->o.quiet || !b->tty)
		return;
	if (b->done_work > 0)
		format_duration((cli_now_s() - b->t_start) * (b->total_work - b->done_work) /
		                    b->done_work,
		                eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "--:--");
	if (n)
		fprintf(stderr, "\r[%zu/%zu runs] %s n=%zu tile=%zu %s  ETA %s\033[K", b->done_runs,
		        b->total_runs, sched, n, tile, phase, eta);
	else
		fprintf(stderr, "\r[%zu/%zu runs] %s %s  ETA %s\033[K", b->done_runs, b->total_runs,
		        sched, phase, eta);
	fflush(stderr);
	progress_on_line = 1;
}

/* Erase the progress line, before a message or at the end. */
static void progress_clear(void)
{
	if (progress_on_line) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_on_line = 0;
	}
}

/* ------------------------------------------------------------------ workers and tiles */

static int record_workers(struct bench *b)
{
	int n = hetsched_worker_count();

	free(b->worker_kind);
	free(b->worker_name);
	free(b->worker_full_name);
	b->worker_kind = calloc((size_t)n, sizeof(*b->worker_kind));
	b->worker_name = calloc((size_t)n, sizeof(*b->worker_name));
	b->worker_full_name = calloc((size_t)n, sizeof(*b->worker_full_name));
	if (!b->worker_kind || !b->worker_name || !b->worker_full_name) {
		cli_error("bench", "out of memory");
		return -1;
	}
	b->nworkers = n;
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		b->nkind[k] = hetsched_worker_count_kind((enum hetsched_kind)k);
	for (int i = 0; i < n; i++) {
		struct hetsched_worker_info info;
		size_t len;

		hetsched_worker_get_info(i, &info);
		b->worker_kind[i] = info.kind;
		snprintf(b->worker_full_name[i], sizeof(b->worker_full_name[i]), "%s", info.name);
		/* Charts show "OpenCL 0" for "OpenCL 0 (pthread-skylake-avx512 ...)". */
		len = strlen(info.name) < NAME_LEN - 1 ? strlen(info.name) : NAME_LEN - 1;
		if (strstr(info.name, " (") && (size_t)(strstr(info.name, " (") - info.name) < len)
			len = (size_t)(strstr(info.name, " (") - info.name);
		memcpy(b->worker_name[i], info.name, len);
		b->worker_name[i][len] = '\0';
	}
	return 0;
}

/* The tiles of each size, "auto" resolved by the rule of `hetsched run --tile auto` for an
 * N x N x N layer; a tile listed twice that way runs once. */
static void resolve_tiles(struct bench *b)
{
	b->total_work = 0;
	b->total_configs = 0;
	for (size_t s = 0; s < b->o.nsizes; s++) {
		b->nrtiles[s] = 0;
		for (size_t t = 0; t < b->o.ntiles; t++) {
			size_t n = b->o.sizes[s], dims[2] = {n, n};
			size_t tile = b->o.tiles[t] ? b->o.tiles[t] : cli_auto_tile(n, dims, 1);
			int dup = 0;

			for (size_t k = 0; k < b->nrtiles[s]; k++)
				dup |= b->rtiles[s][k] == tile;
			if (!dup)
				b->rtiles[s][b->nrtiles[s]++] = tile;
		}
		b->total_configs += b->nrtiles[s];
		b->total_work +=
		    b->nrtiles[s] * b->o.repeat * pass_flops(b->o.sizes[s], b->o.layers);
	}
	b->total_configs *= b->o.nsched;
	b->total_work *= b->o.nsched;
	b->total_runs = b->total_configs * b->o.repeat;
	b->resolved = 1;
}

/* ------------------------------------------------------------------ performance models */

/* The samples StarPU holds in the history-based models of the two codelets (linear, and rand
 * for the set-up): one per (model, arch, footprint). dm* policies count an (arch, footprint) as
 * calibrated from STARPU_CALIBRATE_MINIMUM samples (10 by default) and, until then, send such
 * tasks to that arch to measure them. StarPU also drops the samples of a footprint whose times
 * vary too much, so only its own history tells whether a model is calibrated. */
enum { MODEL_LINEAR, MODEL_RAND, NMODELS };

struct model_sample {
	const void *arch; /* StarPU's per-arch model: unique per (model, arch) */
	uint32_t footprint;
	unsigned nsample;
};

struct model_snapshot {
	const void *archs[NMODELS][STARPU_NMAXWORKERS];
	size_t narchs[NMODELS];
	struct model_sample *s;
	size_t n, cap;
};

static int snapshot_add(struct model_snapshot *snap, const void *arch, uint32_t footprint,
                        unsigned nsample)
{
	if (snap->n == snap->cap) {
		size_t cap = snap->cap ? 2 * snap->cap : 64;
		struct model_sample *s = realloc(snap->s, cap * sizeof(*s));

		if (!s)
			return -1;
		snap->s = s;
		snap->cap = cap;
	}
	snap->s[snap->n].arch = arch;
	snap->s[snap->n].footprint = footprint;
	snap->s[snap->n].nsample = nsample;
	snap->n++;
	return 0;
}

static void model_snapshot(struct model_snapshot *snap)
{
	struct starpu_perfmodel *models[NMODELS] = {hetsched_cl_linear.model,
	                                            hetsched_cl_rand.model};

	snap->n = 0;
	for (int m = 0; m < NMODELS; m++) {
		snap->narchs[m] = 0;
		/* A model is loaded with the first task that uses it. */
		if (!models[m] || !models[m]->is_loaded)
			continue;
		for (int w = 0; w < hetsched_worker_count() && w < STARPU_NMAXWORKERS; w++) {
			struct starpu_perfmodel_arch *arch =
			    starpu_worker_get_perf_archtype(w, STARPU_NMAX_SCHED_CTXS);
			struct starpu_perfmodel_per_arch *pa =
			    arch ? starpu_perfmodel_get_model_per_arch(models[m], arch, 0) : NULL;
			int seen = 0;

			if (!pa)
				continue;
			for (size_t a = 0; a < snap->narchs[m]; a++)
				seen |= snap->archs[m][a] == pa;
			if (seen)
				continue;
			snap->archs[m][snap->narchs[m]++] = pa;
			for (struct starpu_perfmodel_history_list *l = pa->list; l; l = l->next)
				if (l->entry && snapshot_add(snap, pa, l->entry->footprint,
				                             l->entry->nsample) < 0)
					return;
		}
	}
}

static unsigned samples_of(const struct model_snapshot *snap, const void *arch, uint32_t fp)
{
	for (size_t i = 0; i < snap->n; i++)
		if (snap->s[i].arch == arch && snap->s[i].footprint == fp)
			return snap->s[i].nsample;
	return 0;
}

/* Calibrated for this configuration: every footprint that its passes measured (its sample count
 * grew on some arch) has enough samples on every arch of the workers, in its model. */
static int model_calibrated(const struct model_snapshot *before, const struct model_snapshot *now)
{
	const char *env = getenv("STARPU_CALIBRATE_MINIMUM");
	unsigned minimum = env && atoi(env) > 0 ? (unsigned)atoi(env) : 10;

	for (size_t i = 0; i < now->n; i++) {
		const struct model_sample *s = &now->s[i];

		if (s->nsample <= samples_of(before, s->arch, s->footprint))
			continue;
		for (int m = 0; m < NMODELS; m++) {
			int in_model = 0;

			for (size_t a = 0; a < now->narchs[m]; a++)
				in_model |= now->archs[m][a] == s->arch;
			for (size_t a = 0; in_model && a < now->narchs[m]; a++)
				if (samples_of(now, now->archs[m][a], s->footprint) < minimum)
					return 0;
		}
	}
	return 1;
}

/* Policies that schedule from the performance models. */
static int uses_models(const char *sched)
{
	return !strncmp(sched, "dm", 2) || strstr(sched, "heft") != NULL;
}

/* ------------------------------------------------------------------ one configuration */

/* The tensors of one (size, tile): the input, the layers, the activations of the current pass,
 * and host copies of what the check reads (the input and the last layer never change). */
struct problem {
	size_t n, tile, layers;
	hetsched_tensor_t x;
	hetsched_linear_t layer[MAX_LAYERS];
	hetsched_tensor_t act[MAX_LAYERS]; /* act[l]: output of layer l in the current pass */
	float *x_host, *w_host, *b_host;
};

static float *host_copy(hetsched_tensor_t t)
{
	const float *data;
	size_t rows, cols, ld;
	float *copy;

	hetsched_tensor_shape(t, &rows, &cols, NULL, NULL);
	if (hetsched_tensor_to_host(t) < 0 || hetsched_tensor_data(t, &data, &ld) < 0)
		return NULL;
	copy = malloc(rows * cols * sizeof(float));
	if (!copy)
		return NULL;
	for (size_t r = 0; r < rows; r++)
		memcpy(copy + r * cols, data + r * ld, cols * sizeof(float));
	return copy;
}

static void problem_release_pass(struct problem *p)
{
	for (size_t l = 0; l < p->layers; l++) {
		hetsched_tensor_destroy(p->act[l]);
		p->act[l] = NULL;
	}
}

static void problem_free(struct problem *p)
{
	problem_release_pass(p);
	for (size_t l = 0; l < p->layers; l++)
		hetsched_linear_destroy(p->layer[l]);
	hetsched_tensor_destroy(p->x);
	free(p->x_host);
	free(p->w_host);
	free(p->b_host);
	memset(p, 0, sizeof(*p));
}

static int problem_setup(struct problem *p, size_t n, size_t tile, size_t layers, uint64_t seed)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, seed, 0};

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->tile = tile;
	p->layers = layers;
	if (hetsched_tensor_create(&p->x, n, n, tile, tile) < 0 ||
	    hetsched_tensor_rand(p->x, &spec) < 0)
		return -1;
	for (size_t l = 0; l < layers; l++) {
		enum hetsched_activation act =
		    l + 1 < layers ? HETSCHED_ACT_RELU : HETSCHED_ACT_NONE;

		if (hetsched_linear_create(&p->layer[l], n, n, act, tile, tile) < 0 ||
		    hetsched_linear_init_default(p->layer[l], seed, (uint32_t)l) < 0)
			return -1;
	}
	if (hetsched_wait_all() < 0)
		return -1;
	/* The check's copies, taken once: gathering them again after every pass would move the
	 * weights back to main memory and change what the next pass has to transfer. */
	p->w_host = host_copy(hetsched_linear_weight(p->layer[layers - 1]));
	p->b_host = host_copy(hetsched_linear_bias(p->layer[layers - 1]));
	if (layers == 1)
		p->x_host = host_copy(p->x);
	if (!p->w_host || !p->b_host || (layers == 1 && !p->x_host))
		return -1;
	return 0;
}

/* One forward pass, timed from the first submission until the output is gathered on the host
 * (the tutorial's y.to("cpu")). The activations stay alive until problem_release_pass(), so
 * that freeing them costs nothing inside the timed region. */
static int problem_pass(struct problem *p, double *elapsed)
{
	hetsched_tensor_t cur = p->x;
	double t0 = cli_now_s();

	for (size_t l = 0; l < p->layers; l++) {
		if (hetsched_linear_forward(p->layer[l], cur, &p->act[l]) < 0)
			return -1;
		cur = p->act[l];
	}
	if (hetsched_tensor_to_host(cur) < 0)
		return -1;
	*elapsed = cli_now_s() - t0;
	/* Task callbacks (statistics) may still be running: let them finish. */
	return hetsched_wait_all();
}

/* The random-projection check of the last layer against its own input: O(N^2), so every timed
 * pass can afford it. */
static int problem_check(struct problem *p, uint64_t seed, int *ok)
{
	struct hetsched__check_layer layer = {p->n, p->n, p->w_host, p->b_host, 0};
	struct hetsched__check_result res;
	const float *x = p->x_host, *y;
	size_t ldx = p->n, ldy;

	if (p->layers > 1) {
		hetsched_tensor_t in = p->act[p->layers - 2];

		if (hetsched_tensor_to_host(in) < 0 || hetsched_tensor_data(in, &x, &ldx) < 0)
			return -1;
	}
	if (hetsched_tensor_data(p->act[p->layers - 1], &y, &ldy) < 0 ||
	    hetsched__check_projection(x, ldx, p->n, y, ldy, &layer, seed, &res) < 0)
		return -1;
	*ok = res.ok;
	return 0;
}

/* Bytes moved between memory nodes since the last call (reading StarPU's bus counters resets
 * them). Zero with a single memory node: there is no bus. */
static long long bus_bytes(void)
{
	long long bytes = 0;

	for (int bus = 0; bus < starpu_bus_get_count(); bus++) {
		struct starpu_profiling_bus_info info;

		if (starpu_bus_get_profiling_info(bus, &info) == 0)
			bytes += info.transferred_bytes;
	}
	return bytes;
}

static int add_row(struct bench *b, const struct bench_row *row)
{
	if (b->nrows == b->rows_cap) {
		size_t cap = b->rows_cap ? 2 * b->rows_cap : 64;
		struct bench_row *rows = realloc(b->rows, cap * sizeof(*rows));

		if (!rows)
			return -1;
		b->rows = rows;
		b->rows_cap = cap;
	}
	b->rows[b->nrows++] = *row;
	return 0;
}

/* Tasks, busy time and work per kind of worker, from the records of the last pass. */
static void summarize_records(const struct bench *b, struct bench_row *row)
{
	const struct hetsched_task_record *rec;
	size_t n = hetsched_stats_records(&rec);
	double busy_s[HETSCHED_NKINDS] = {0};

	for (size_t i = 0; i < n; i++) {
		enum hetsched_kind k;

		if (rec[i].worker < 0 || rec[i].worker >= b->nworkers)
			continue;
		k = b->worker_kind[rec[i].worker];
		row->tasks[k]++;
		row->flops[k] += rec[i].flops;
		busy_s[k] += rec[i].end_s - rec[i].start_s;
	}
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		row->busy[k] = b->nkind[k] > 0 && row->elapsed_s > 0
		                   ? busy_s[k] / (row->elapsed_s * b->nkind[k])
		                   : 0.0;
}

static int save_trace(struct bench *b, size_t sched, size_t n, size_t tile, double elapsed)
{
	const struct hetsched_task_record *rec;
	size_t nrec = hetsched_stats_records(&rec);
	struct bench_trace *t;
	char path[4096];

	if (make_folder(b->o.trace_dir) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/trace-%s-n%zu-t%zu.json", b->o.trace_dir,
	         b->o.scheds[sched], n, tile);
	if (report_write_trace(path) < 0) {
		cli_error("bench", "%s", hetsched_last_error());
		return -1;
	}
	/* The records are kept for the Gantt charts, drawn with the other plots at the end. */
	if (!b->o.plot)
		return 0;
	if (b->ntraces == b->traces_cap) {
		size_t cap = b->traces_cap ? 2 * b->traces_cap : 16;
		struct bench_trace *traces = realloc(b->traces, cap * sizeof(*traces));

		if (!traces)
			return -1;
		b->traces = traces;
		b->traces_cap = cap;
	}
	t = &b->traces[b->ntraces];
	t->records = malloc((nrec ? nrec : 1) * sizeof(*rec));
	if (!t->records)
		return -1;
	memcpy(t->records, rec, nrec * sizeof(*rec));
	t->nrecords = nrec;
	t->sched = sched;
	t->size = n;
	t->tile = tile;
	t->elapsed_s = elapsed;
	b->ntraces++;
	return 0;
}

static int fail_runtime(const char *what)
{
	progress_clear();
	cli_error("bench", "%s: %s", what, hetsched_last_error());
	return EXIT_RUNTIME;
}

/* Warm-up passes, then the timed ones, of one (policy, size, tile). */
static int run_config(struct bench *b, size_t sched, size_t n, size_t tile)
{
	const char *name = b->o.scheds[sched];
	struct model_snapshot before = {0}, now = {0};
	struct problem p;
	double elapsed, *times = calloc(2 * b->o.repeat, sizeof(double)), *gflops;
	size_t warmups = 0, ok = 0;
	int calibrated = 1, rc = EXIT_RUNTIME;
	char phase[64];

	if (!times) {
		cli_error("bench", "out of memory");
		return EXIT_RUNTIME;
	}
	gflops = times + b->o.repeat;
	watchdog_arm(b->o.pass_timeout, name, n, tile, "the set-up");
	if (problem_setup(&p, n, tile, b->o.layers, b->o.seed) < 0) {
		rc = fail_runtime("cannot create the problem");
		goto out;
	}

	/* Warm-up: device kernels compiled, tiles allocated, and the models of the dm* policies
	 * calibrated, before anything is timed. */
	model_snapshot(&before);
	for (;;) {
		snprintf(phase, sizeof(phase), "warm-up %zu", warmups + 1);
		progress(b, name, n, tile, phase);
		watchdog_arm(b->o.pass_timeout, name, n, tile, "a warm-up pass");
		if (problem_pass(&p, &elapsed) < 0) {
			rc = fail_runtime("warm-up pass failed");
			goto out;
		}
		watchdog_disarm();
		problem_release_pass(&p);
		warmups++;
		if (warmups < b->o.warmup)
			continue;
		if (!uses_models(name)) {
			calibrated = -1; /* nothing to calibrate */
			break;
		}
		model_snapshot(&now);
		calibrated = model_calibrated(&before, &now);
		if (calibrated || warmups >= b->o.max_warmup)
			break;
	}

	for (size_t r = 0; r < b->o.repeat; r++) {
		struct bench_row row;

		memset(&row, 0, sizeof(row));
		row.sched = sched;
		row.size = n;
		row.tile = tile;
		row.repeat = r + 1;
		snprintf(phase, sizeof(phase), "run %zu/%zu", r + 1, b->o.repeat);
		progress(b, name, n, tile, phase);
		hetsched_stats_reset();
		bus_bytes();
		row.when = time(NULL);
		watchdog_arm(b->o.pass_timeout, name, n, tile, "a timed pass");
		if (problem_pass(&p, &row.elapsed_s) < 0) {
			rc = fail_runtime("forward pass failed");
			goto out;
		}
		watchdog_disarm();
		row.bytes_moved = bus_bytes();
		row.gflops = pass_flops(n, b->o.layers) / row.elapsed_s * 1e-9;
		summarize_records(b, &row);
		if (problem_check(&p, b->o.seed ^ (0x5eedull + r), &row.check_ok) < 0) {
			rc = fail_runtime("check failed to run");
			goto out;
		}
		if (r + 1 == b->o.repeat && b->o.trace_dir &&
		    save_trace(b, sched, n, tile, row.elapsed_s) < 0) {
			rc = EXIT_RUNTIME;
			goto out;
		}
		problem_release_pass(&p);
		if (add_row(b, &row) < 0) {
			cli_error("bench", "out of memory");
			goto out;
		}
		ok += row.check_ok;
		times[r] = row.elapsed_s;
		gflops[r] = row.gflops;
		b->done_runs++;
		b->done_work += pass_flops(n, b->o.layers);
	}
	b->done_configs++;

	if (!b->o.quiet && b->tty && calibrated == 0) {
		progress_clear();
		fprintf(
		    stderr,
		    "hetsched: bench: %s n=%zu tile=%zu: models NOT calibrated after %zu warm-up "
		    "passes (raise --max-warmup)\n",
		    name, n, tile, warmups);
	}
	if (!b->o.quiet && !b->tty) {
		double med = cli_sort_median(times, b->o.repeat),
		       med_gflops = cli_sort_median(gflops, b->o.repeat);

		fprintf(
		    stderr,
		    "hetsched: bench: [%zu/%zu] %s n=%zu tile=%zu: %zu warm-up pass%s%s, median "
		    "%.4g s, %.3g GFLOP/s, check %s (%zu/%zu)\n",
		    b->done_configs, b->total_configs, name, n, tile, warmups,
		    warmups == 1 ? "" : "es",
		    calibrated < 0 ? ""
		    : calibrated   ? " (models calibrated)"
		                   : " (models NOT calibrated: raise --max-warmup)",
		    med, med_gflops, ok == b->o.repeat ? "ok" : "FAILED", ok, b->o.repeat);
	}
	rc = EXIT_OK;
out:
	watchdog_disarm();
	problem_free(&p);
	free(times);
	free(before.s);
	free(now.s);
	return rc;
}

/* The calibration phase, before any policy when some of them schedule from the performance
 * models: one StarPU under dmda (which sends each task shape to every kind of worker until it
 * is measured) runs the set-up and a pass of every (size, tile) until both models are calibrated,
 * at most 3 x --max-warmup times. Every policy then starts from the same calibrated models (they
 * live in $STARPU_HOME and outlast each StarPU), and none pays for the measuring. It also keeps
 * modular-heteroprio-heft of StarPU 1.3, which hangs on uncalibrated models, usable. */
static int calibrate(struct bench *b)
{
	struct cli_workers w = b->o.workers;
	struct model_snapshot before = {0}, now = {0};
	int rc;

	w.sched = "dmda";
	rc = cli_start_one_process(&w, 1, "bench");
	if (rc != EXIT_OK)
		return rc;
	if (!b->resolved) {
		if (record_workers(b) < 0) {
			hetsched_shutdown();
			return EXIT_RUNTIME;
		}
		resolve_tiles(b);
	}
	for (size_t s = 0; s < b->o.nsizes && rc == EXIT_OK; s++)
		for (size_t t = 0; t < b->nrtiles[s] && rc == EXIT_OK; t++) {
			size_t n = b->o.sizes[s], tile = b->rtiles[s][t], passes = 0;
			int calibrated = 0;
			char phase[64];

			model_snapshot(&before);
			while (!calibrated && passes < 3 * b->o.max_warmup) {
				struct problem p;
				double elapsed;

				snprintf(phase, sizeof(phase), "calibration %zu", passes + 1);
				progress(b, "dmda", n, tile, phase);
				watchdog_arm(b->o.pass_timeout, "dmda", n, tile,
				             "a calibration pass");
				if (problem_setup(&p, n, tile, b->o.layers, b->o.seed) < 0 ||
				    problem_pass(&p, &elapsed) < 0)
					rc = fail_runtime("calibration pass failed");
				watchdog_disarm();
				problem_free(&p);
				if (rc != EXIT_OK)
					break;
				passes++;
				model_snapshot(&now);
				calibrated = model_calibrated(&before, &now);
			}
			if (rc == EXIT_OK && !b->o.quiet && (!b->tty || !calibrated)) {
				progress_clear();
				fprintf(
				    stderr,
				    "hetsched: bench: calibration n=%zu tile=%zu: %zu pass%s under "
				    "dmda, models %s\n",
				    n, tile, passes, passes == 1 ? "" : "es",
				    calibrated ? "calibrated"
				               : "NOT calibrated (raise --max-warmup)");
			}
		}
	hetsched_shutdown();
	free(before.s);
	free(now.s);
	return rc;
}

/* One policy: a fresh StarPU, every (size, tile), StarPU stopped again. */
static int run_policy(struct bench *b, size_t sched)
{
	struct cli_workers w = b->o.workers;
	int rc;

	w.sched = b->o.scheds[sched];
	/* StarPU's own messages would break the progress line: keep it quiet. */
	progress_clear();
	rc = cli_start_one_process(&w, 1, "bench");
	if (rc != EXIT_OK)
		return rc;
	if (!b->resolved) {
		if (record_workers(b) < 0) {
			hetsched_shutdown();
			return EXIT_RUNTIME;
		}
		resolve_tiles(b);
	}
	rc = EXIT_OK;
	for (size_t s = 0; s < b->o.nsizes && rc == EXIT_OK; s++)
		for (size_t t = 0; t < b->nrtiles[s] && rc == EXIT_OK; t++)
			rc = run_config(b, sched, b->o.sizes[s], b->rtiles[s][t]);
	hetsched_shutdown();
	return rc;
}

/* ------------------------------------------------------------------ results */

/* Medians per (policy, size, tile), in the order of the sweep. */
static int compute_groups(struct bench *b)
{
	double *v = malloc(b->o.repeat * sizeof(double) + 1);

	b->groups = calloc(b->nrows + 1, sizeof(*b->groups));
	if (!v || !b->groups) {
		free(v);
		return -1;
	}
	b->ngroups = 0;
	for (size_t i = 0; i < b->nrows;) {
		struct bench_group *g = &b->groups[b->ngroups++];
		size_t j = i;

		g->sched = b->rows[i].sched;
		g->size = b->rows[i].size;
		g->tile = b->rows[i].tile;
		while (j < b->nrows && b->rows[j].sched == g->sched && b->rows[j].size == g->size &&
		       b->rows[j].tile == g->tile)
			j++;
		g->n = j - i;
		g->min_gflops = HUGE_VAL;
		for (size_t r = i; r < j; r++) {
			g->nok += b->rows[r].check_ok;
			g->min_gflops = fmin(g->min_gflops, b->rows[r].gflops);
			g->max_gflops = fmax(g->max_gflops, b->rows[r].gflops);
			for (int k = 0; k < HETSCHED_NKINDS; k++)
				g->flops[k] += b->rows[r].flops[k];
		}
		for (size_t r = i; r < j; r++)
			v[r - i] = b->rows[r].elapsed_s;
		g->med_s = cli_sort_median(v, g->n);
		for (size_t r = i; r < j; r++)
			v[r - i] = b->rows[r].gflops;
		g->med_gflops = cli_sort_median(v, g->n);
		for (size_t r = i; r < j; r++)
			v[r - i] = (double)b->rows[r].bytes_moved;
		g->med_bytes = cli_sort_median(v, g->n);
		for (int k = 0; k < HETSCHED_NKINDS; k++) {
			for (size_t r = i; r < j; r++)
				v[r - i] = b->rows[r].busy[k];
			g->med_busy[k] = cli_sort_median(v, g->n);
			for (size_t r = i; r < j; r++)
				v[r - i] = (double)b->rows[r].tasks[k];
			g->med_tasks[k] = cli_sort_median(v, g->n);
		}
		i = j;
	}
	/* The best tile of each (policy, size). */
	for (size_t i = 0; i < b->ngroups; i++) {
		struct bench_group *g = &b->groups[i];
		int best = 1;

		for (size_t k = 0; k < b->ngroups; k++)
			if (k != i && b->groups[k].sched == g->sched &&
			    b->groups[k].size == g->size &&
			    (b->groups[k].med_gflops > g->med_gflops ||
			     (b->groups[k].med_gflops == g->med_gflops && k < i)))
				best = 0;
		g->best_tile = best;
	}
	free(v);
	return 0;
}

/* The best (policy, tile) of size n by median GFLOP/s, and the best of the other policies. */
static const struct bench_group *best_of_size(const struct bench *b, size_t n,
                                              const struct bench_group **runner_up)
{
	const struct bench_group *best = NULL;

	*runner_up = NULL;
	for (size_t i = 0; i < b->ngroups; i++)
		if (b->groups[i].size == n && (!best || b->groups[i].med_gflops > best->med_gflops))
			best = &b->groups[i];
	for (size_t i = 0; best && i < b->ngroups; i++)
		if (b->groups[i].size == n && b->groups[i].sched != best->sched &&
		    (!*runner_up || b->groups[i].med_gflops > (*runner_up)->med_gflops))
			*runner_up = &b->groups[i];
	return best;
}

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int csv_print(const struct bench *b, FILE *f)
{
	const char *starpu = hetsched_starpu_version();

	fprintf(f, "%s\n", csv_header);
	for (size_t i = 0; i < b->nrows; i++) {
		const struct bench_row *r = &b->rows[i];
		char when[32];

		iso_time(r->when, when, sizeof(when));
		fprintf(f, "%s,", when);
		csv_field(f, b->host);
		fprintf(f, ",%s,%s,", HETSCHED_VERSION, starpu);
		csv_field(f, b->o.scheds[r->sched]);
		fprintf(
		    f,
		    ",%d,%d,%d,%zu,%zu,%zu,%zu,%zu,%zu,%.9f,%.6g,%zu,%zu,%zu,%.4f,%.4f,%.4f,%lld,"
		    "%d\n",
		    b->nkind[HETSCHED_KIND_CPU], b->nkind[HETSCHED_KIND_CUDA],
		    b->nkind[HETSCHED_KIND_OPENCL], r->size, r->size, r->size, b->o.layers, r->tile,
		    r->repeat, r->elapsed_s, r->gflops, r->tasks[HETSCHED_KIND_CPU],
		    r->tasks[HETSCHED_KIND_CUDA], r->tasks[HETSCHED_KIND_OPENCL],
		    r->busy[HETSCHED_KIND_CPU], r->busy[HETSCHED_KIND_CUDA],
		    r->busy[HETSCHED_KIND_OPENCL], r->bytes_moved, r->check_ok);
	}
	return ferror(f) ? -1 : 0;
}

/* Write a file through a temporary name in the same folder, then rename: a reader sees the old
 * file or the complete new one. \p emit returns 0 or -1. */
static int write_atomic(const char *path, int (*emit)(const struct bench *, FILE *),
                        const struct bench *b)
{
	char tmp[4096];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		cli_error("bench", "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	rc = emit(b, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		cli_error("bench", "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

static void print_summary(const struct bench *b)
{
	size_t width = 6;

	printf(
	    "hetsched bench: %zu polic%s, %zu size%s, %zu timed passes, %zu layer%s, on %d cpu + "
	    "%d cuda + %d opencl workers (%s)\n",
	    b->o.nsched, b->o.nsched == 1 ? "y" : "ies", b->o.nsizes, b->o.nsizes == 1 ? "" : "s",
	    b->nrows, b->o.layers, b->o.layers == 1 ? "" : "s", b->nkind[HETSCHED_KIND_CPU],
	    b->nkind[HETSCHED_KIND_CUDA], b->nkind[HETSCHED_KIND_OPENCL], b->host);
	for (size_t p = 0; p < b->o.nsched; p++)
		width = strlen(b->o.scheds[p]) > width ? strlen(b->o.scheds[p]) : width;
	printf("\n  %-*s %6s %6s %10s %9s %19s %7s\n", (int)width, "policy", "N", "tile",
	       "median_s", "GFLOP/s", "(min - max)", "checks");
	for (size_t i = 0; i < b->ngroups; i++) {
		const struct bench_group *g = &b->groups[i];
		char range[64];

		snprintf(range, sizeof(range), "(%.2f - %.2f)", g->min_gflops, g->max_gflops);
		printf("  %-*s %6zu %6zu %10.4f %9.2f %19s %3zu/%zu\n", (int)width,
		       b->o.scheds[g->sched], g->size, g->tile, g->med_s, g->med_gflops, range,
		       g->nok, g->n);
	}
	printf("\nbest policy per size (median GFLOP/s):\n");
	for (size_t s = 0; s < b->o.nsizes; s++) {
		const struct bench_group *second, *best = best_of_size(b, b->o.sizes[s], &second);

		if (!best)
			continue;
		printf("  N=%-6zu %s, tile %zu: %.2f GFLOP/s", b->o.sizes[s],
		       b->o.scheds[best->sched], best->tile, best->med_gflops);
		if (second)
			printf(" (next: %s, tile %zu: %.2f, %+.1f%%)", b->o.scheds[second->sched],
			       second->tile, second->med_gflops,
			       100.0 * (second->med_gflops / best->med_gflops - 1));
		printf("\n");
	}
	if (b->o.csv)
		printf("\ncsv: %s\n", b->o.csv);
	if (b->o.plot_file)
		printf("plot: %s/%s\n", b->o.plot, b->o.plot_file);
	else if (b->o.plot)
		printf("report: %s/index.html\n", b->o.plot);
	if (b->o.trace_dir)
		printf("traces: %s\n", b->o.trace_dir);
}

/* ------------------------------------------------------------------ plots (gnuplot) */

static const char *kind_color[HETSCHED_NKINDS] = {"#4477aa", "#228833", "#ee7733"};
static const char *op_color[HETSCHED_NOPS] = {"#ee7733", "#4477aa"};

/* A string safe inside a gnuplot double-quoted string, also where gnuplot reads it as a format
 * (tic labels). */
static void plain(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (; *in && o + 1 < size; in++)
		out[o++] = (*in == '"' || *in == '\\' || *in == '\'' || *in == '%' ||
		            (unsigned char)*in < 32)
		               ? '_'
		               : *in;
	out[o] = '\0';
}

/* The terminal: pngcairo when this gnuplot has it, the libgd png terminal otherwise. */
static void gp_terminal(FILE *f, int width, int height, const char *output)
{
	fprintf(f,
	        "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
	        "  set terminal pngcairo size %d,%d noenhanced font \"Sans,10\"\n"
	        "} else {\n"
	        "  set terminal png size %d,%d noenhanced\n"
	        "}\n"
	        "set output \"%s.tmp\"\n",
	        width, height, width, height, output);
}

/* Run gnuplot on a script in the plot folder, then rename its output into place. The script
 * and gnuplot's messages are removed; the messages are shown when gnuplot fails. */
static int gp_run(const struct bench *b, const char *script_text, size_t len, const char *output)
{
	char script[4096], errors[4096], tmp_png[4096], png[4096];
	int fd, efd, status = -1;
	pid_t pid;
	FILE *f;

	snprintf(script, sizeof(script), "%s/.bench-%ld.gp", b->o.plot, (long)getpid());
	snprintf(errors, sizeof(errors), "%s/.bench-%ld.err", b->o.plot, (long)getpid());
	snprintf(tmp_png, sizeof(tmp_png), "%s/%s.tmp", b->o.plot, output);
	snprintf(png, sizeof(png), "%s/%s", b->o.plot, output);
	fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, script_text, len) != (ssize_t)len) {
		cli_error("bench", "cannot write %s: %s", script, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(script);
		return -1;
	}
	close(fd);
	efd = open(errors, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* gnuplot works in the plot folder: the script names files relative to it. */
		if (chdir(b->o.plot) != 0)
			_exit(127);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (efd >= 0)
			dup2(efd, STDERR_FILENO);
		execl(b->gnuplot, "gnuplot", strrchr(script, '/') + 1, (char *)NULL);
		_exit(127);
	}
	if (efd >= 0)
		close(efd);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	unlink(script);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    rename(tmp_png, png) != 0) {
		char line[512] = "";

		f = fopen(errors, "r");
		/* The first message gnuplot printed names the problem. */
		while (f && fgets(line, sizeof(line), f))
			if (strspn(line, " \t\n^") != strlen(line))
				break;
		if (f)
			fclose(f);
		line[strcspn(line, "\n")] = '\0';
		cli_error("bench", "gnuplot failed to draw %s%s%s", png, *line ? ": " : "", line);
		unlink(errors);
		unlink(tmp_png);
		return -1;
	}
	unlink(errors);
	return 0;
}

/* A script in memory (open_memstream), handed to gp_run when complete. */
struct gp_script {
	FILE *f;
	char *text;
	size_t len;
};

static FILE *gp_open(struct gp_script *s)
{
	s->text = NULL;
	s->len = 0;
	s->f = open_memstream(&s->text, &s->len);
	return s->f;
}

static int gp_finish(const struct bench *b, struct gp_script *s, const char *output)
{
	int rc;

	if (fclose(s->f) != 0) {
		free(s->text);
		return -1;
	}
	rc = gp_run(b, s->text, s->len, output);
	free(s->text);
	return rc;
}

/* A line naming the machine and the workers, for the foot of each chart. */
static void workers_line(const struct bench *b, char *buf, size_t size)
{
	char host[128];

	plain(host, sizeof(host), b->host);
	snprintf(buf, size, "%s: %d cpu + %d cuda + %d opencl workers; hetsched %s, StarPU %s",
	         host, b->nkind[HETSCHED_KIND_CPU], b->nkind[HETSCHED_KIND_CUDA],
	         b->nkind[HETSCHED_KIND_OPENCL], HETSCHED_VERSION, hetsched_starpu_version());
}

/* gflops.png: GFLOP/s against N, one line per policy, median with min-max bars, best tile of
 * each point. Points of different policies are spread slightly along x so that their bars do
 * not hide each other. */
static int plot_gflops(const struct bench *b)
{
	struct gp_script s;
	FILE *f = gp_open(&s);
	size_t lo = b->o.sizes[0], hi = b->o.sizes[0];
	double spread = b->o.nsched > 1 ? fmin(0.05, 0.3 / b->o.nsched) : 0;
	/* Above 16 policies the key takes two columns: widen the chart rather than the lines. */
	int width = b->o.nsched > 16 ? 1600 : 1000, height = 620;
	char foot[512];

	if (!f)
		return -1;
	for (size_t i = 0; i < b->o.nsizes; i++) {
		lo = b->o.sizes[i] < lo ? b->o.sizes[i] : lo;
		hi = b->o.sizes[i] > hi ? b->o.sizes[i] : hi;
	}
	workers_line(b, foot, sizeof(foot));
	gp_terminal(f, width, height, b->o.plot_file ? b->o.plot_file : "gflops.png");
	fprintf(f,
	        "set title \"Throughput per policy: N x N input through %zu linear layer%s of N -> "
	        "N\\nmedian of %zu timed passes, bars from min to max, best tile of each point\"\n"
	        "set xlabel \"size N (batch = in = out = N)\"\n"
	        "set ylabel \"GFLOP/s\"\n"
	        "set logscale x 2\n"
	        "set xrange [%g:%g]\n"
	        "set yrange [0:*]\n"
	        "set grid ytics lc rgb \"#dddddd\"\n"
	        "set key outside right top title \"policy\" box lc rgb \"#bbbbbb\"\n"
	        "set bmargin 5\n"
	        "set label 1 \"%s\" at screen 0.01, screen 0.02 font \",8\" tc rgb \"#555555\"\n"
	        "set xtics (",
	        b->o.layers, b->o.layers == 1 ? "" : "s", b->o.repeat, lo / 1.5, hi * 1.5, foot);
	for (size_t i = 0; i < b->o.nsizes; i++)
		fprintf(f, "%s\"%zu\" %zu", i ? ", " : "", b->o.sizes[i], b->o.sizes[i]);
	fprintf(f, ")\n");
	for (size_t p = 0; p < b->o.nsched; p++) {
		double shift = pow(2.0, ((double)p - (b->o.nsched - 1) / 2.0) * spread);

		fprintf(f, "$p%zu << EOD\n", p);
		for (size_t i = 0; i < b->ngroups; i++) {
			const struct bench_group *g = &b->groups[i];

			if (g->sched == p && g->best_tile)
				fprintf(f, "%g %g %g %g %zu\n", g->size * shift, g->med_gflops,
				        g->min_gflops, g->max_gflops, g->tile);
		}
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot ");
	for (size_t p = 0; p < b->o.nsched; p++) {
		static const int points[] = {7, 5, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14};

		fprintf(f,
		        "%s$p%zu using 1:2:3:4 with yerrorlines lt %zu pt %d ps 1.1 lw 2 dt %zu "
		        "title \"%s\"",
		        p ? ", \\\n     " : "", p, p % 8 + 1, points[p % 12], p / 8 % 4 + 1,
		        b->o.scheds[p]);
	}
	fprintf(f, "\n");
	return gp_finish(b, &s, b->o.plot_file ? b->o.plot_file : "gflops.png");
}

/* share.png: for each size a group of stacked bars, one per policy: the share of the work
 * (GFLOP) that each kind of worker did, best tile of each (policy, size). */
static int plot_share(const struct bench *b)
{
	struct gp_script s;
	FILE *f = gp_open(&s);
	size_t bars = b->o.nsched * b->o.nsizes + b->o.nsizes;
	int width = (int)(bars * 26 + 260), height = 620, first = 1, margin, lmargin;
	size_t longest = 4;
	char foot[512];

	if (!f)
		return -1;
	/* Room under the bars for the slanted policy names and the group titles. */
	for (size_t p = 0; p < b->o.nsched; p++)
		longest = strlen(b->o.scheds[p]) > longest ? strlen(b->o.scheds[p]) : longest;
	margin = 3 + (int)(longest * 0.4 + 0.5);
	/* The first names, slanted to the left of their bar, must not leave the picture. */
	lmargin = 10 + (longest * 0.71 > 10 ? (int)(longest * 0.71 - 10 + 0.5) : 0);
	width = width < 960 ? 960 : width > 4000 ? 4000 : width;
	workers_line(b, foot, sizeof(foot));
	gp_terminal(f, width, height, "share.png");
	fprintf(
	    f,
	    "set title \"Share of the work done by each kind of worker\\nper policy, grouped by "
	    "size N; best tile of each (policy, N), all %zu timed passes\" offset 0,1.5\n"
	    "set ylabel \"share of the floating-point work (%%)\"\n"
	    "set yrange [0:100]\n"
	    "set ytics 10\n"
	    "set grid ytics lc rgb \"#dddddd\"\n"
	    "set style data histograms\n"
	    "set style histogram rowstacked\n"
	    "set style fill solid 0.9 border rgb \"#333333\"\n"
	    "set boxwidth 0.75\n"
	    "set xtics rotate by 45 right scale 0 nomirror\n"
	    "set key outside right top title \"worker kind\" box lc rgb \"#bbbbbb\"\n"
	    "set tmargin 6.5\n"
	    "set bmargin %d\n"
	    "set lmargin %d\n"
	    "set label 1 \"%s\" at screen 0.01, screen 0.02 font \",8\" tc rgb \"#555555\"\n",
	    b->o.repeat, margin, lmargin, foot);
	/* Each size is a group of bars: group g starts at x = g (policies + 1). Its name goes
	 * above the frame, where the slanted policy names cannot reach it, and a dashed line
	 * separates the groups. */
	for (size_t si = 0; si < b->o.nsizes; si++) {
		double first_bar = (double)si * (b->o.nsched + 1);

		fprintf(f, "set label %zu \"N = %zu\" at first %g, graph 1.03 center\n", si + 10,
		        b->o.sizes[si], first_bar + (b->o.nsched - 1) / 2.0);
		if (si)
			fprintf(
			    f,
			    "set arrow %zu from first %g, graph 0 to first %g, graph 1 nohead lc "
			    "rgb \"#999999\" dt 2\n",
			    si, first_bar - 1, first_bar - 1);
	}
	for (size_t si = 0; si < b->o.nsizes; si++) {
		fprintf(f, "$s%zu << EOD\n", si);
		for (size_t p = 0; p < b->o.nsched; p++)
			for (size_t i = 0; i < b->ngroups; i++) {
				const struct bench_group *g = &b->groups[i];
				double total = 0;

				if (g->sched != p || g->size != b->o.sizes[si] || !g->best_tile)
					continue;
				for (int k = 0; k < HETSCHED_NKINDS; k++)
					total += g->flops[k];
				fprintf(f, "\"%s\"", b->o.scheds[p]);
				for (int k = 0; k < HETSCHED_NKINDS; k++)
					fprintf(f, " %g",
					        total > 0 ? 100.0 * g->flops[k] / total : 0.0);
				fprintf(f, "\n");
			}
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot ");
	for (size_t si = 0; si < b->o.nsizes; si++) {
		int column_first = 1;

		fprintf(f, "%snewhistogram \"\" lt 1", si ? ", \\\n     " : "");
		for (int k = 0; k < HETSCHED_NKINDS; k++) {
			if (b->nkind[k] == 0)
				continue;
			fprintf(f, ", \\\n     $s%zu using %d%s lc rgb \"%s\" %s", si, k + 2,
			        column_first ? ":xtic(1)" : "", kind_color[k],
			        first ? "title \"" : "notitle");
			if (first)
				fprintf(f, "%s\"", hetsched_kind_name((enum hetsched_kind)k));
			column_first = 0;
		}
		first = 0;
	}
	fprintf(f, "\n");
	return gp_finish(b, &s, "share.png");
}

static void gantt_name(const struct bench *b, const struct bench_trace *t, char *buf, size_t size)
{
	snprintf(buf, size, "gantt-%s-n%zu-t%zu.png", b->o.scheds[t->sched], t->size, t->tile);
}

/* A Gantt chart of one traced pass: one lane per worker (grey where idle), one box per task,
 * coloured by operation, and each worker's busy share on the right. */
static int plot_gantt(const struct bench *b, const struct bench_trace *t)
{
	struct gp_script s;
	FILE *f = gp_open(&s);
	int height = 170 + 46 * b->nworkers;
	double end_ms = t->elapsed_s * 1e3, *busy = calloc((size_t)b->nworkers + 1, sizeof(double));
	char output[512], foot[512];

	if (!f || !busy) {
		if (f)
			fclose(f), free(s.text);
		free(busy);
		return -1;
	}
	gantt_name(b, t, output, sizeof(output));
	workers_line(b, foot, sizeof(foot));
	for (size_t i = 0; i < t->nrecords; i++) {
		const struct hetsched_task_record *r = &t->records[i];

		end_ms = fmax(end_ms, r->end_s * 1e3);
		if (r->worker >= 0 && r->worker < b->nworkers)
			busy[r->worker] += r->end_s - r->start_s;
	}
	gp_terminal(f, 1200, height < 320 ? 320 : height, output);
	fprintf(
	    f,
	    "set title \"%s, N = %zu, tile %zu, %zu layer%s: tasks per worker\\nthe last of %zu "
	    "timed passes, %.2f ms, %zu tasks\"\n"
	    "set xlabel \"time since the start of the pass (ms)\"\n"
	    "set xrange [0:%g]\n"
	    "set yrange [%g:-0.6]\n"
	    "set y2range [%g:-0.6]\n"
	    "set grid xtics lc rgb \"#cccccc\" front\n"
	    "set style fill solid 1.0 border lc rgb \"#1a334d\"\n"
	    "set key below horizontal\n"
	    "set bmargin 6\n"
	    "set label 1 \"%s\" at screen 0.01, screen 0.02 font \",8\" tc rgb \"#555555\"\n",
	    b->o.scheds[t->sched], t->size, t->tile, b->o.layers, b->o.layers == 1 ? "" : "s",
	    b->o.repeat, t->elapsed_s * 1e3, t->nrecords, end_ms * 1.0, b->nworkers - 0.4,
	    b->nworkers - 0.4, foot);
	fprintf(f, "set ytics scale 0 (");
	for (int w = 0; w < b->nworkers; w++) {
		char name[NAME_LEN];

		plain(name, sizeof(name), b->worker_name[w]);
		fprintf(f, "%s\"%s\" %d", w ? ", " : "", name, w);
	}
	fprintf(f, ")\nset y2tics scale 0 (");
	for (int w = 0; w < b->nworkers; w++)
		fprintf(f, "%s\"busy %.0f%%%%\" %d", w ? ", " : "",
		        t->elapsed_s > 0 ? 100.0 * busy[w] / t->elapsed_s : 0.0, w);
	fprintf(f, ")\n");
	/* The lanes: grey shows idle time between and around the tasks. */
	for (int w = 0; w < b->nworkers; w++)
		fprintf(
		    f,
		    "set object %d rectangle from graph 0, first %g to graph 1, first %g fc rgb "
		    "\"#e4e4e4\" fs solid 1.0 noborder behind\n",
		    w + 1, w - 0.38, w + 0.38);
	for (int op = 0; op < HETSCHED_NOPS; op++) {
		fprintf(f, "$op%d << EOD\n", op);
		for (size_t i = 0; i < t->nrecords; i++)
			if ((int)t->records[i].op == op)
				fprintf(f, "%d %.6f %.6f\n", t->records[i].worker,
				        t->records[i].start_s * 1e3, t->records[i].end_s * 1e3);
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot keyentry with boxes fc rgb \"#e4e4e4\" title \"idle\"");
	for (int op = 0; op < HETSCHED_NOPS; op++) {
		int any = 0;

		for (size_t i = 0; i < t->nrecords && !any; i++)
			any = (int)t->records[i].op == op;
		if (any)
			fprintf(f,
			        ", \\\n     $op%d using (($2+$3)/2):1:(($3-$2)/2):(0.3) with "
			        "boxxyerror fc rgb \"%s\" title \"%s\"",
			        op, op_color[op], hetsched_op_name((enum hetsched_op)op));
	}
	/* The right axis carries the busy labels only. */
	fprintf(f, ", \\\n     NaN axes x1y2 notitle\n");
	free(busy);
	return gp_finish(b, &s, output);
}

/* ------------------------------------------------------------------ index.html */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static int html_write(const struct bench *b, FILE *f)
{
	char when[32], foot[512];

	workers_line(b, foot, sizeof(foot));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>hetsched bench</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 2em; max-width: 1300px; color: #222; }\n"
	      "table { border-collapse: collapse; margin: 1em 0; }\n"
	      "th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }\n"
	      "th { background: #f0f0f0; }\n"
	      "td.l, th.l { text-align: left; }\n"
	      "tr.best td { font-weight: bold; background: #eef6ee; }\n"
	      "td.bad { color: #b00; font-weight: bold; }\n"
	      "img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }\n"
	      "code { background: #f6f6f6; padding: 0.1em 0.3em; }\n"
	      "</style>\n</head>\n<body>\n<h1>hetsched bench: scheduling policies</h1>\n",
	      f);
	fputs("<p>", f);
	html_text(f, foot);
	fprintf(f, ".<br>\nStarted %s; ", b->started);
	fprintf(f,
	        "a size N is an N&nbsp;&times;&nbsp;N input through %zu linear layer%s of N&nbsp;"
	        "&rarr;&nbsp;N features (2&nbsp;N<sup>3</sup>&nbsp;&times;&nbsp;%zu floating-point "
	        "operations per pass); %zu timed passes per configuration after warm-up.</p>\n",
	        b->o.layers, b->o.layers == 1 ? "" : "s", b->o.layers, b->o.repeat);
	fputs("<p>Workers:", f);
	for (int w = 0; w < b->nworkers; w++) {
		fputs(w ? ", " : " ", f);
		html_text(f, b->worker_full_name[w]);
	}
	fputs(".</p>\n<p>Command: <code>hetsched", f);
	for (int i = 0; i < b->argc; i++) {
		fputc(' ', f);
		html_text(f, b->argv[i]);
	}
	fputs("</code></p>\n", f);

	fprintf(f,
	        "<h2>Best policy per shape</h2>\n<p>Shape: batch = in = out = N, %zu layer%s; "
	        "by median GFLOP/s over all tiles tried.</p>\n",
	        b->o.layers, b->o.layers == 1 ? "" : "s");
	fputs("<table>\n<tr><th>N</th><th class=\"l\">best "
	      "policy</th><th>tile</th><th>median GFLOP/s</th><th class=\"l\">next best "
	      "policy</th><th>GFLOP/s</th><th>difference</th></tr>\n",
	      f);
	for (size_t s = 0; s < b->o.nsizes; s++) {
		const struct bench_group *second, *best = best_of_size(b, b->o.sizes[s], &second);

		if (!best)
			continue;
		fprintf(f, "<tr><td>%zu</td><td class=\"l\">", b->o.sizes[s]);
		html_text(f, b->o.scheds[best->sched]);
		fprintf(f, "</td><td>%zu</td><td>%.2f</td><td class=\"l\">", best->tile,
		        best->med_gflops);
		if (second) {
			html_text(f, b->o.scheds[second->sched]);
			fprintf(f, " (tile %zu)</td><td>%.2f</td><td>%+.1f%%</td></tr>\n",
			        second->tile, second->med_gflops,
			        100.0 * (second->med_gflops / best->med_gflops - 1));
		} else {
			fputs("&ndash;</td><td></td><td></td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);

	fputs("<h2>Throughput</h2>\n<img src=\"gflops.png\" alt=\"GFLOP/s against N, one line per "
	      "policy\">\n<h2>Where the work ran</h2>\n<img src=\"share.png\" alt=\"share of the "
	      "work per worker kind, per policy\">\n",
	      f);

	fputs("<h2>Medians per configuration</h2>\n<p>Bold: the best tile of each (policy, N). "
	      "Busy: task time of a kind / (elapsed &times; workers of that kind). Bytes moved: "
	      "between memory nodes during the pass.</p>\n<table>\n<tr><th class=\"l\">policy</th>"
	      "<th>N</th><th>tile</th><th>median s</th><th>median GFLOP/s</th><th>min</th>"
	      "<th>max</th>",
	      f);
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		if (b->nkind[k])
			fprintf(f, "<th>tasks %s</th>", hetsched_kind_name((enum hetsched_kind)k));
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		if (b->nkind[k])
			fprintf(f, "<th>busy %s</th>", hetsched_kind_name((enum hetsched_kind)k));
	fputs("<th>MB moved</th><th>checks</th></tr>\n", f);
	for (size_t i = 0; i < b->ngroups; i++) {
		const struct bench_group *g = &b->groups[i];

		fprintf(f, "<tr%s><td class=\"l\">", g->best_tile ? " class=\"best\"" : "");
		html_text(f, b->o.scheds[g->sched]);
		fprintf(f,
		        "</td><td>%zu</td><td>%zu</td><td>%.4f</td><td>%.2f</td><td>%.2f</td>"
		        "<td>%.2f</td>",
		        g->size, g->tile, g->med_s, g->med_gflops, g->min_gflops, g->max_gflops);
		for (int k = 0; k < HETSCHED_NKINDS; k++)
			if (b->nkind[k])
				fprintf(f, "<td>%.0f</td>", g->med_tasks[k]);
		for (int k = 0; k < HETSCHED_NKINDS; k++)
			if (b->nkind[k])
				fprintf(f, "<td>%.0f%%</td>", 100.0 * g->med_busy[k]);
		fprintf(f, "<td>%.1f</td><td%s>%zu/%zu</td></tr>\n", g->med_bytes / 1e6,
		        g->nok == g->n ? "" : " class=\"bad\"", g->nok, g->n);
	}
	fputs("</table>\n", f);

	if (b->ntraces) {
		fputs("<h2>Gantt charts of the last pass of each configuration</h2>\n", f);
		for (size_t i = 0; i < b->ntraces; i++) {
			char name[512];

			gantt_name(b, &b->traces[i], name, sizeof(name));
			fputs("<h3>", f);
			html_text(f, b->o.scheds[b->traces[i].sched]);
			fprintf(f, ", N = %zu, tile %zu</h3>\n<img src=\"", b->traces[i].size,
			        b->traces[i].tile);
			html_text(f, name);
			fputs("\" alt=\"Gantt chart\">\n", f);
		}
	}
	if (b->o.csv) {
		fputs("<p>Every timed pass: <code>", f);
		html_text(f, b->o.csv);
		fputs("</code> (CSV).</p>\n", f);
	}
	if (b->o.trace_dir) {
		fputs(
		    "<p>Chrome traces of the last pass of each configuration, for Perfetto: <code>",
		    f);
		html_text(f, b->o.trace_dir);
		fputs("</code>.</p>\n", f);
	}
	iso_time(time(NULL), when, sizeof(when));
	fprintf(f, "<p><small>Written %s by hetsched %s.</small></p>\n</body>\n</html>\n", when,
	        HETSCHED_VERSION);
	return ferror(f) ? -1 : 0;
}

static int write_plots(struct bench *b)
{
	char path[4096];

	if (b->o.plot_file)
		return plot_gflops(b);
	if (make_folder(b->o.plot) < 0)
		return -1;
	if (plot_gflops(b) < 0 || plot_share(b) < 0)
		return -1;
	if (b->o.trace_dir)
		for (size_t i = 0; i < b->ntraces; i++)
			if (plot_gantt(b, &b->traces[i]) < 0)
				return -1;
	snprintf(path, sizeof(path), "%s/index.html", b->o.plot);
	return write_atomic(path, html_write, b);
}

/* ------------------------------------------------------------------ the command */

int cli_bench(int argc, char **argv)
{
	struct bench b;
	struct hetsched_topology topo;
	int rc;

	memset(&b, 0, sizeof(b));
	b.argc = argc;
	b.argv = argv;
	rc = parse_options(argc, argv, &b.o);
	if (rc == -2)
		return cli_usage_error("bench");
	if (rc < 0)
		return EXIT_USAGE;
	install_signals();
	/* StarPU 1.3 flushes a model entry when as many samples as it holds fell more than
	 * STARPU_HISTORY_MAX_ERROR % (default 50) from its mean: tasks of a few microseconds on a
	 * loaded or sanitised machine do, and the study then loses the calibration it began with
	 * (dm* policies measure again in the middle of it, and StarPU 1.3.10's
	 * modular-heteroprio-heft hangs on the uncalibrated entry: seen 1 run in 3 of
	 * `--sched all` under ASan). Samples are kept unless the user says otherwise. */
	setenv("STARPU_HISTORY_MAX_ERROR", "100000", 0);

	/* Everything that can be refused is refused before StarPU starts, and nothing is written.
	 */
	if (b.o.csv && hetsched__check_writable(b.o.csv) < 0) {
		cli_error("bench", "--csv: %s", hetsched_last_error());
		return EXIT_USAGE;
	}
	if (b.o.plot && plot_to_file(&b.o) < 0)
		return EXIT_USAGE;
	if (b.o.plot && !b.o.plot_file && check_folder("plot", b.o.plot) < 0)
		return EXIT_USAGE;
	if (b.o.trace_dir && check_folder("trace-dir", b.o.trace_dir) < 0)
		return EXIT_USAGE;
	if (hetsched_topology_get(&topo) == 0)
		for (size_t s = 0; s < b.o.nsizes; s++) {
			/* Input, weights and activations, plus the check's host copies. */
			double n2 = 4.0 * b.o.sizes[s] * b.o.sizes[s];
			double bytes = n2 * (4 + 2 * b.o.layers);

			if (bytes > 0.9 * (double)topo.memory_bytes) {
				cli_error(
				    "bench",
				    "size %zu is too large: it needs %.2f GiB but this node has "
				    "%.2f GiB of memory",
				    b.o.sizes[s], bytes / (1 << 30),
				    (double)topo.memory_bytes / (1 << 30));
				return EXIT_USAGE;
			}
		}
	if (b.o.plot && find_gnuplot(b.gnuplot, sizeof(b.gnuplot)) < 0) {
		cli_error("bench",
		          "--plot needs gnuplot, which is not on PATH (Debian: apt-get install "
		          "gnuplot-nox)");
		return EXIT_RUNTIME;
	}

	if (gethostname(b.host, sizeof(b.host)) != 0)
		snprintf(b.host, sizeof(b.host), "unknown");
	b.host[sizeof(b.host) - 1] = '\0';
	iso_time(time(NULL), b.started, sizeof(b.started));
	b.tty = isatty(STDERR_FILENO);
	b.t_start = cli_now_s();
	/* Until the first StarPU tells the workers (and so "auto"), count each tile once. */
	for (size_t s = 0; s < b.o.nsizes; s++)
		b.total_work += b.o.ntiles * b.o.repeat * pass_flops(b.o.sizes[s], b.o.layers);
	b.total_work *= b.o.nsched;
	b.total_configs = b.o.nsched * b.o.nsizes * b.o.ntiles;
	b.total_runs = b.total_configs * b.o.repeat;

	rc = EXIT_OK;
	for (size_t p = 0; p < b.o.nsched; p++)
		if (uses_models(b.o.scheds[p])) {
			rc = calibrate(&b);
			break;
		}
	for (size_t p = 0; p < b.o.nsched && rc == EXIT_OK; p++)
		rc = run_policy(&b, p);
	progress_clear();
	if (rc != EXIT_OK)
		goto out;
	if (compute_groups(&b) < 0) {
		cli_error("bench", "out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}

	/* Outputs: complete or absent, even if a signal arrives now. The signals stay blocked
	 * until the process exits: once the outputs are written, the study is complete. */
	block_signals(1);
	rc = EXIT_RUNTIME;
	if (b.o.csv ? write_atomic(b.o.csv, csv_print, &b) < 0 : csv_print(&b, stdout) < 0)
		goto out_flush;
	if (b.o.plot && write_plots(&b) < 0)
		goto out_flush;
	if (b.o.csv && !b.o.quiet)
		print_summary(&b);
	rc = EXIT_OK;
	for (size_t i = 0; i < b.nrows; i++)
		if (!b.rows[i].check_ok) {
			cli_error("bench", "%s n=%zu tile=%zu pass %zu: check FAILED",
			          b.o.scheds[b.rows[i].sched], b.rows[i].size, b.rows[i].tile,
			          b.rows[i].repeat);
			rc = EXIT_RUNTIME;
		}
out_flush:
	fflush(stdout);
out:
	for (size_t i = 0; i < b.ntraces; i++)
		free(b.traces[i].records);
	free(b.traces);
	free(b.rows);
	free(b.groups);
	free(b.worker_kind);
	free(b.worker_name);
	free(b.worker_full_name);
	return rc;
}
