/* cli.h: what the commands of the hetsched tool share. The tool goes through the library: it
 * includes hetsched.h and the small private tool API (tool.h), never StarPU's headers. */
#ifndef HETSCHED_CLI_H
#define HETSCHED_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "hetsched.h"
#include "options.h"
#include "session.h"

/* Exit codes of the tool. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* One command of the tool: the table in main.c serves dispatch and help alike. */
struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
	const char *summary;               /* one line, for `hetsched --help` */
	const char *help;                  /* the whole help text */
};

/* The command of that name (NULL if unknown), its help text (NULL if unknown), and the usage of
 * the tool (the list of commands). */
const struct cli_command *cli_find_command(const char *name);
const char *cli_help_text(const char *command);
void cli_usage(FILE *f);

/* Print "hetsched: <command>: message" on stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Room for one more element in a growable array of \p n elements of \p size bytes (capacity
 * doubled as needed); 0, or -1 when out of memory. */
int cli_reserve(void *items, size_t *cap, size_t n, size_t size);

/* Seconds on a monotonic clock. */
double cli_now_s(void);
/* qsort comparison of doubles, ascending. */
int cli_cmp_double(const void *a, const void *b);
/* Median of n sorted values; cli_sort_median sorts v first. */
double cli_median_sorted(const double *sorted, size_t n);
double cli_sort_median(double *v, size_t n);

/* The commands, and their help texts. */
int cli_info(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_calibrate(int argc, char **argv);
int cli_bench(int argc, char **argv);
extern const char cli_info_help[], cli_run_help[], cli_calibrate_help[], cli_bench_help[];

#endif
