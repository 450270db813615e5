/* options.h: the command line of every command: one getopt driver that returns (never exits),
 * one list parser, the number parsers, and the options that select the workers. Each parser
 * prints one line naming the bad value and returns a negative status. */
#ifndef HETSCHED_CLI_OPTIONS_H
#define HETSCHED_CLI_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "hetsched.h"

/* Options that select the workers, shared by every command that starts StarPU. */
struct cli_workers {
	const char *sched;
	int ncpu, ncuda, nopencl, opencl_on_cpu;
	double watchdog_s; /* --watchdog: 0 for off */
	int verbose;       /* --verbose: StarPU's own messages on stderr */
	int all_kinds;     /* hetsched_conf.all_kinds: calibration offers every kind every task */
	/* --simulate NODE.tar.gz (a simulation build only), --gpus, --cpus: -1 for the node's. */
	const char *simulate;
	int sim_gpus, sim_cpus;
	/* --dtype and --precision (run, bench, calibrate): hetsched_conf.dtype and .precision. */
	enum hetsched_dtype dtype;
	enum hetsched_precision precision;
	int dtype_set; /* --dtype given: run's default from a 16-bit model file does not apply */
};

/* Long option ids above the ASCII range, shared by the commands; each command numbers its own
 * from OPT_FIRST_COMMAND_OPTION. */
enum {
	OPT_SCHED = 256,
	OPT_NCPU,
	OPT_NCUDA,
	OPT_NOPENCL,
	OPT_OPENCL_ON_CPU,
	OPT_WATCHDOG,
	OPT_VERBOSE,
	OPT_SIMULATE,
	OPT_GPUS,
	OPT_CPUS,
	OPT_DTYPE,
	OPT_PRECISION,
	OPT_HELP,
	OPT_FIRST_COMMAND_OPTION
};
/* The options every command table ends with: --help and the worker options. */
#define CLI_COMMON_OPTIONS                                                                         \
	{"help", no_argument, NULL, OPT_HELP}, {"sched", required_argument, NULL, OPT_SCHED},      \
	    {"ncpu", required_argument, NULL, OPT_NCPU},                                           \
	    {"ncuda", required_argument, NULL, OPT_NCUDA},                                         \
	    {"nopencl", required_argument, NULL, OPT_NOPENCL},                                     \
	    {"opencl-on-cpu", no_argument, NULL, OPT_OPENCL_ON_CPU},                               \
	    {"verbose", no_argument, NULL, OPT_VERBOSE},                                           \
	    {"simulate", required_argument, NULL, OPT_SIMULATE},                                   \
	    {"gpus", required_argument, NULL, OPT_GPUS},                                           \
	    {"cpus", required_argument, NULL, OPT_CPUS},                                           \
	{                                                                                          \
		"watchdog", required_argument, NULL, OPT_WATCHDOG                                  \
	}

/* --dtype and --precision, in the tables of the commands that compute (run, bench, calibrate). */
#define CLI_NUMERICS_OPTIONS                                                                       \
	{"dtype", required_argument, NULL, OPT_DTYPE},                                             \
	{                                                                                          \
		"precision", required_argument, NULL, OPT_PRECISION                                \
	}
#define CLI_NUMERICS_HELP                                                                          \
	"numerics:\n"                                                                              \
	"  --dtype D          how x, W, y and activations are stored and moved: f32 (default),\n"  \
	"                     bf16, f16 (16-bit values rounded to nearest even)\n"                 \
	"  --precision P      products of linear layers, accumulated in FP32: fp32 (default,\n"    \
	"                     highest), tf32 (high: CUDA tensor cores; CPU and OpenCL compute\n"   \
	"                     FP32), bf16 (medium), fp16: inputs rounded to it first\n"

/* The help of the worker options, ending every command's help. */
#define CLI_WORKER_HELP                                                                            \
	"workers:\n"                                                                               \
	"  --sched P          StarPU scheduling policy (default: $STARPU_SCHED, else dmda)\n"      \
	"  --ncpu N           CPU workers (default: StarPU's, or $STARPU_NCPU)\n"                  \
	"  --ncuda N          CUDA workers\n"                                                      \
	"  --nopencl N        OpenCL workers\n"                                                    \
	"  --opencl-on-cpu    use OpenCL CPU devices (PoCL) as accelerators\n"                     \
	"  --watchdog S       fail (exit 1) when no task finishes for S seconds\n"                 \
	"  --verbose          StarPU's own messages too (default: STARPU_SILENT=1 unless set)\n"

/* The help of the simulation options (info, run, bench). */
#define CLI_SIMULATE_HELP                                                                          \
	"simulation (a build against a StarPU with SimGrid):\n"                                    \
	"  --simulate NODE.tar.gz  run on that node (`hetsched calibrate --export` on it), in\n"   \
	"                     simulated time, from its performance models\n"                       \
	"  --gpus N           GPUs of the simulated node (default: the node's)\n"                  \
	"  --cpus C           its CPU workers (default: the node's)\n"

/* What cli_options_parse found. */
enum cli_parsed {
	CLI_PARSED = 0,     /* every option taken */
	CLI_HELP = 1,       /* -h or --help: print the help, exit 0 */
	CLI_BAD_VALUE = -1, /* a value refused, its line printed: exit 2 */
	CLI_BAD_USAGE = -2, /* unknown option, missing value, stray argument: line printed,
	                       the usage follows: exit 2 */
	CLI_NOT_MINE = 2,   /* from a command's handler: an option it does not take */
};

/* How cli_bind stores an option's value in a field of a command's options structure. */
enum cli_kind {
	CLI_FLAG,      /* int, set to 1 (an option without a value) */
	CLI_TEXT,      /* const char *, the argument itself */
	CLI_SIZE,      /* size_t, 1 .. 2^32 - 1 (cli_parse_size) */
	CLI_U64,       /* uint64_t (cli_parse_u64) */
	CLI_COUNT,     /* int, 0 .. 4096 (cli_parse_count) */
	CLI_SECONDS,   /* double, seconds > 0 (cli_parse_seconds) */
	CLI_TILE,      /* size_t, "auto" as 0 or a size (cli_parse_tile) */
	CLI_DTYPE,     /* enum hetsched_dtype (hetsched_dtype_parse) */
	CLI_PRECISION, /* enum hetsched_precision (hetsched_precision_parse) */
};
#define CLI_NOT_GIVEN ((ptrdiff_t)-1)

/* One option stored straight into a field: the table of a command replaces a switch of
 * one-line cases. A table ends with an entry whose opt is 0. */
struct cli_binding {
	int opt;
	enum cli_kind kind;
	const char *name; /* the long option, for messages */
	size_t offset;    /* of the field (offsetof) */
	ptrdiff_t given;  /* of an int set to 1 when the option appears, or CLI_NOT_GIVEN */
};
/* Store \p arg as the table says: CLI_PARSED, CLI_BAD_VALUE (its line printed), or
 * CLI_NOT_MINE when the table does not bind \p opt. */
int cli_bind(const struct cli_binding *table, int opt, const char *arg, void *options);

/* A command's handler of one option: CLI_PARSED when taken, CLI_BAD_VALUE after printing the
 * problem, CLI_NOT_MINE to let the driver take it (a worker option). */
typedef int (*cli_option_fn)(int opt, const char *arg, void *ctx);

/* Parse argv (argv[0] is the command's name) with getopt_long over \p longopts, which ends with
 * CLI_COMMON_OPTIONS and a null entry. \p workers receives the worker options (it is initialised
 * here). Returns an enum cli_parsed. */
int cli_options_parse(const char *command, int argc, char **argv, const struct option *longopts,
                      cli_option_fn handle, void *ctx, struct cli_workers *workers);
/* The exit code of a parse that did not end in CLI_PARSED: prints the help (on stdout) for
 * CLI_HELP, the usage (on stderr) after CLI_BAD_USAGE. */
int cli_options_exit(const char *command, int parsed);

/* Numbers: 0, or -1 after printing "hetsched: --name must be an integer from LO to HI, got
 * '...'" (one wording for a sign, a letter, zero or too large a value). */
int cli_parse_size(const char *name, const char *arg, size_t *out);  /* 1 .. 2^32 - 1 */
int cli_parse_count(const char *name, const char *arg, int *out);    /* 0 .. 4096 */
int cli_parse_u64(const char *name, const char *arg, uint64_t *out); /* 0 .. 2^64 - 1 */
int cli_parse_seconds(const char *name, const char *arg, double *out);
/* --tile: "auto" (stored as 0) or a positive integer. */
int cli_parse_tile(const char *arg, size_t *out);
/* The one rule for a tile, for run and calibrate: a tile larger than the problem's largest
 * dimension is refused (one line); 0 when it fits. */
int cli_check_tile(const char *command, size_t tile, size_t largest);

/* A comma-separated list: an empty list, an empty item ("1024,,2048", a trailing comma) or more
 * than \p max items is refused rather than skipped. Splits \p arg in place into items[]. */
int cli_split_list(const char *command, const char *option, char *arg, char **items, size_t max,
                   size_t *n);
/* A list of positive integers (and "auto", stored as 0, when \p allow_auto); with \p unique, an
 * item given twice is refused. */
int cli_parse_size_list(const char *command, const char *option, const char *arg, size_t *values,
                        size_t max, size_t *n, int allow_auto, int unique);

#endif
