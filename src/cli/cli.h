/* cli.h: what the subcommands of the hetsched tool share. */
#ifndef HETSCHED_CLI_H
#define HETSCHED_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "hetsched.h"

/* Exit codes of the tool. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Options that select the workers, shared by info, run and bench. */
struct cli_workers {
	const char *sched;
	int ncpu, ncuda, nopencl, opencl_on_cpu;
	double watchdog_s; /* --watchdog: 0 for off */
};

/* Long option ids above the ASCII range, shared by the subcommands. */
enum {
	OPT_SCHED = 256,
	OPT_NCPU,
	OPT_NCUDA,
	OPT_NOPENCL,
	OPT_OPENCL_ON_CPU,
	OPT_WATCHDOG,
	OPT_FIRST_COMMAND_OPTION
};
#define CLI_WORKER_OPTIONS                                                                         \
	{"sched", required_argument, NULL, OPT_SCHED},                                             \
	    {"ncpu", required_argument, NULL, OPT_NCPU},                                           \
	    {"ncuda", required_argument, NULL, OPT_NCUDA},                                         \
	    {"nopencl", required_argument, NULL, OPT_NOPENCL},                                     \
	    {"opencl-on-cpu", no_argument, NULL, OPT_OPENCL_ON_CPU},                               \
	{                                                                                          \
		"watchdog", required_argument, NULL, OPT_WATCHDOG                                  \
	}

extern const char *cli_progname;

void cli_workers_init(struct cli_workers *w);
/* Handle a worker option; 1 if it was one, 0 if not, -1 after printing a usage error. */
int cli_workers_option(struct cli_workers *w, int opt, const char *arg);
/* Start hetsched with the worker options; prints the error and returns its exit code. */
int cli_start(const struct cli_workers *w, int quiet);
/* cli_start for a command that runs in one process (bench, calibrate): under mpirun or srun with
 * several ranks it stops hetsched again and refuses, with EXIT_USAGE; the ranks would otherwise
 * each run their own passes over tiles spread across them, and wait for each other forever. */
int cli_start_one_process(const struct cli_workers *w, int quiet, const char *command);

/* The tile --tile auto picks for a batch of rows through layers dims[0] -> ... -> dims[nlayers],
 * from the workers of the running hetsched. */
size_t cli_auto_tile(size_t rows, const size_t *dims, size_t nlayers);
int cli_calibrate(int argc, char **argv);

/* Seconds on a monotonic clock. */
double cli_now_s(void);
/* qsort comparison of doubles, ascending. */
int cli_cmp_double(const void *a, const void *b);
/* Median of n sorted values; cli_sort_median sorts v first. */
double cli_median_sorted(const double *sorted, size_t n);
double cli_sort_median(double *v, size_t n);

/* Parse a positive integer option; -1 after printing "--name must be ...". */
int cli_parse_size(const char *name, const char *arg, size_t *out);
int cli_parse_count(const char *name, const char *arg, int *out);
int cli_parse_u64(const char *name, const char *arg, uint64_t *out);
/* The option getopt_long just refused, as written: "-x" for a short one, even inside a group
 * ("-xy", where argv[optind - 1] is still the argument before it). */
const char *cli_bad_option(char **argv);
/* Print "hetsched: <command>: message" on stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the usage of a command on stderr after a bad option, and return EXIT_USAGE. */
int cli_usage_error(const char *command);
/* The help text of a command (NULL if unknown). */
const char *cli_help_text(const char *command);

int cli_info(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_bench(int argc, char **argv);
extern const char cli_bench_help[];

#endif
