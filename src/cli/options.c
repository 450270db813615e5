/* options.c: the getopt driver of every command, the list parser and the number parsers. One
 * wording per rule: a bad value is one line naming the option and the value. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The option getopt_long just refused, as written: "-x" for a short one, even inside a group
 * ("-xy", where argv[optind - 1] is still the argument before it). */
static const char *bad_option(char **argv)
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

static void workers_init(struct cli_workers *w)
{
	/* Every field starts at zero (a field added later cannot be left out); then the defaults.
	 */
	memset(w, 0, sizeof(*w));
	w->ncpu = w->ncuda = w->nopencl = -1;
	w->sim_gpus = w->sim_cpus = -1;
	w->dtype = HETSCHED_DTYPE_F32;
	w->precision = HETSCHED_PRECISION_FP32;
}

int cli_bind(const struct cli_binding *table, int opt, const char *arg, void *options)
{
	char *base = options;
	int rc = 0;

	for (; table->opt && table->opt != opt; table++)
		;
	if (!table->opt)
		return CLI_NOT_MINE;
	switch (table->kind) {
	case CLI_FLAG:
		*(int *)(base + table->offset) = 1;
		break;
	case CLI_TEXT:
		*(const char **)(base + table->offset) = arg;
		break;
	case CLI_SIZE:
		rc = cli_parse_size(table->name, arg, (size_t *)(base + table->offset));
		break;
	case CLI_U64:
		rc = cli_parse_u64(table->name, arg, (uint64_t *)(base + table->offset));
		break;
	case CLI_COUNT:
		rc = cli_parse_count(table->name, arg, (int *)(base + table->offset));
		break;
	case CLI_SECONDS:
		rc = cli_parse_seconds(table->name, arg, (double *)(base + table->offset));
		break;
	case CLI_TILE:
		rc = cli_parse_tile(arg, (size_t *)(base + table->offset));
		break;
	case CLI_DTYPE:
		rc = hetsched_dtype_parse(arg, (enum hetsched_dtype *)(base + table->offset));
		break;
	case CLI_PRECISION:
		rc = hetsched_precision_parse(arg,
		                              (enum hetsched_precision *)(base + table->offset));
		break;
	}
	if (rc < 0 && (table->kind == CLI_DTYPE || table->kind == CLI_PRECISION))
		fprintf(stderr, "hetsched: --%s: %s\n", table->name, hetsched_last_error());
	if (table->given != CLI_NOT_GIVEN)
		*(int *)(base + table->given) = 1;
	return rc < 0 ? CLI_BAD_VALUE : CLI_PARSED;
}

#define WORKER(opt, kind, name, field)                                                             \
	{                                                                                          \
		opt, kind, name, offsetof(struct cli_workers, field), CLI_NOT_GIVEN                \
	}
static const struct cli_binding worker_options[] = {
    WORKER(OPT_SCHED, CLI_TEXT, "sched", sched),
    WORKER(OPT_NCPU, CLI_COUNT, "ncpu", ncpu),
    WORKER(OPT_NCUDA, CLI_COUNT, "ncuda", ncuda),
    WORKER(OPT_NOPENCL, CLI_COUNT, "nopencl", nopencl),
    WORKER(OPT_OPENCL_ON_CPU, CLI_FLAG, "opencl-on-cpu", opencl_on_cpu),
    WORKER(OPT_VERBOSE, CLI_FLAG, "verbose", verbose),
    WORKER(OPT_WATCHDOG, CLI_SECONDS, "watchdog", watchdog_s),
    WORKER(OPT_SIMULATE, CLI_TEXT, "simulate", simulate),
    WORKER(OPT_GPUS, CLI_COUNT, "gpus", sim_gpus),
    WORKER(OPT_CPUS, CLI_COUNT, "cpus", sim_cpus),
    {OPT_DTYPE, CLI_DTYPE, "dtype", offsetof(struct cli_workers, dtype),
     (ptrdiff_t)offsetof(struct cli_workers, dtype_set)},
    WORKER(OPT_PRECISION, CLI_PRECISION, "precision", precision),
    {0, CLI_FLAG, NULL, 0, CLI_NOT_GIVEN},
};

int cli_options_parse(const char *command, int argc, char **argv, const struct option *longopts,
                      cli_option_fn handle, void *ctx, struct cli_workers *workers)
{
	int opt;

	workers_init(workers);
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets a previous scan */
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int rc;

		switch (opt) {
		case 'h':
		case OPT_HELP:
			return CLI_HELP;
		case ':':
			cli_error(command, "option '%s' needs a value", bad_option(argv));
			return CLI_BAD_USAGE;
		case '?':
			cli_error(command, "unknown option '%s'", bad_option(argv));
			return CLI_BAD_USAGE;
		}
		rc = handle ? handle(opt, optarg, ctx) : CLI_NOT_MINE;
		if (rc == CLI_NOT_MINE)
			rc = cli_bind(worker_options, opt, optarg, workers);
		if (rc == CLI_NOT_MINE) {
			cli_error(command, "unknown option '%s'", bad_option(argv));
			return CLI_BAD_USAGE;
		}
		if (rc != CLI_PARSED)
			return rc;
	}
	if (optind < argc) {
		cli_error(command, "unexpected argument '%s'", argv[optind]);
		return CLI_BAD_USAGE;
	}
	return CLI_PARSED;
}

int cli_options_exit(const char *command, int parsed)
{
	switch (parsed) {
	case CLI_PARSED:
		return EXIT_OK;
	case CLI_HELP:
		fputs(cli_help_text(command), stdout);
		return EXIT_OK;
	case CLI_BAD_USAGE:
		fprintf(stderr, "\n%s", cli_help_text(command));
		return EXIT_USAGE;
	default:
		return EXIT_USAGE;
	}
}

/* ------------------------------------------------------------------ numbers */

/* One rule, one wording: an integer in [lo, hi], whatever is wrong with the value (a sign, a
 * letter, zero, too large). */
static int parse_integer(const char *name, const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	uintmax_t v = 0;
	int bad = !arg || *arg < '0' || *arg > '9';

	if (!bad) {
		errno = 0;
		v = strtoumax(arg, &end, 10);
		bad = errno || *end || v < lo || v > hi;
	}
	if (bad) {
		fprintf(stderr,
		        "hetsched: --%s must be an integer from %" PRIu64 " to %" PRIu64
		        ", got '%s'\n",
		        name, lo, hi, arg ? arg : "");
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

int cli_parse_u64(const char *name, const char *arg, uint64_t *out)
{
	return parse_integer(name, arg, 0, UINT64_MAX, out);
}

int cli_parse_size(const char *name, const char *arg, size_t *out)
{
	uint64_t v;

	if (parse_integer(name, arg, 1, UINT32_MAX, &v) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

int cli_parse_count(const char *name, const char *arg, int *out)
{
	uint64_t v;

	if (parse_integer(name, arg, 0, 4096, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_check_tile(const char *command, size_t tile, size_t largest)
{
	if (tile <= largest)
		return 0;
	cli_error(command, "--tile %zu is larger than every dimension of the problem (largest %zu)",
	          tile, largest);
	return -1;
}

int cli_parse_tile(const char *arg, size_t *out)
{
	*out = 0;
	return strcmp(arg, "auto") ? cli_parse_size("tile", arg, out) : 0;
}

/* Seconds, as a positive decimal number of at most a year. */
int cli_parse_seconds(const char *name, const char *arg, double *out)
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

/* ------------------------------------------------------------------ lists */

int cli_split_list(const char *command, const char *option, char *arg, char **items, size_t max,
                   size_t *n)
{
	char *p = arg;

	*n = 0;
	if (!*arg) {
		cli_error(command, "--%s is empty: give a comma-separated list", option);
		return -1;
	}
	if (strstr(arg, ",,") || arg[0] == ',' || arg[strlen(arg) - 1] == ',') {
		cli_error(command, "--%s has an empty item in '%s'", option, arg);
		return -1;
	}
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (*n == max) {
			cli_error(command, "--%s has more than %zu items", option, max);
			return -1;
		}
		items[(*n)++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

/* A positive integer of a list; one line naming the list and the bad item otherwise, in the
 * wording of the number options. */
static int parse_list_size(const char *command, const char *option, const char *item, size_t *out)
{
	char *end;
	unsigned long long v = 0;
	int bad = *item < '0' || *item > '9';

	if (!bad) {
		errno = 0;
		v = strtoull(item, &end, 10);
		bad = errno || *end || v == 0 || v > UINT32_MAX;
	}
	if (bad) {
		cli_error(command, "--%s: each must be an integer from 1 to %u, got '%s'", option,
		          UINT32_MAX, item);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

int cli_parse_size_list(const char *command, const char *option, const char *arg, size_t *values,
                        size_t max, size_t *n, int allow_auto, int unique)
{
	char *copy = strdup(arg ? arg : ""), **items = calloc(max ? max : 1, sizeof(char *));
	int rc = 0;

	*n = 0;
	if (!copy || !items) {
		cli_error(command, "out of memory");
		rc = -1;
	}
	if (rc == 0 && cli_split_list(command, option, copy, items, max, n) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		if (allow_auto && !strcmp(items[i], "auto"))
			values[i] = 0;
		else if (parse_list_size(command, option, items[i], &values[i]) < 0)
			rc = -1;
		for (size_t j = 0; unique && rc == 0 && j < i; j++)
			if (values[j] == values[i]) {
				cli_error(command, "--%s lists '%s' twice", option, items[i]);
				rc = -1;
			}
	}
	free(items);
	free(copy);
	return rc;
}
