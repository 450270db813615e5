/* main.c: the hetsched command: the table of commands, dispatch and help. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The commands: one table serves dispatch, `hetsched --help` and `hetsched help <command>`. */
static const struct cli_command commands[] = {
    {"info", cli_info, "devices, workers, memory nodes and buses; is CUDA available?",
     cli_info_help},
    {"run", cli_run, "a batch forward pass of a linear model on every worker of the node",
     cli_run_help},
    {"calibrate", cli_calibrate, "calibrate the performance models for the tile shapes of a run",
     cli_calibrate_help},
    {"bench", cli_bench, "sweep scheduling policies, sizes and tiles into CSV, plots and a report",
     cli_bench_help},
    {"help", NULL, "help on a command (hetsched help run)", "usage: hetsched help <command>\n"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

const char *cli_help_text(const char *command)
{
	const struct cli_command *c = find_command(command);

	return c ? c->help : NULL;
}

static void usage(FILE *f)
{
	fputs("usage: hetsched <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\noptions:\n"
	      "  -h, --help       this help\n"
	      "  -V, --version    versions of hetsched and StarPU\n",
	      f);
}

/* OpenBLAS picks its kernels when it is loaded, from OPENBLAS_CORETYPE or its own CPU
 * detection, which falls back to SSE3 "Prescott" kernels on CPUs newer than it knows. When that
 * happens, run again once with the best core this CPU allows (HETSCHED_BLAS_FIXED records the
 * core OpenBLAS had picked, and prevents a loop). A core the user chose is kept, with a warning. */
static void fix_blas_core(char **argv)
{
	const char *best = hetsched_blas_best_core(), *user = getenv("OPENBLAS_CORETYPE");

	if (!hetsched_blas_core_is_poorer() || getenv("HETSCHED_BLAS_FIXED") ||
	    getenv("HETSCHED_NO_BLAS_FIX"))
		return;
	if (user && *user) {
		fprintf(stderr,
		        "hetsched: warning: OPENBLAS_CORETYPE=%s runs kernels older than this CPU "
		        "allows (%s); OPENBLAS_CORETYPE=%s would be faster\n",
		        user, hetsched_cpu_isa(), best);
		return;
	}
	setenv("HETSCHED_BLAS_FIXED", hetsched_blas_corename(), 1);
	setenv("OPENBLAS_CORETYPE", best, 1);
	execv("/proc/self/exe", argv);
	/* No /proc: carry on with the slower kernels. */
	unsetenv("OPENBLAS_CORETYPE");
	unsetenv("HETSCHED_BLAS_FIXED");
}

int main(int argc, char **argv)
{
	const struct cli_command *c;

	fix_blas_core(argv);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("hetsched %s (StarPU %s)\n", HETSCHED_VERSION, hetsched_starpu_version());
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (c && c->run)
		return c->run(argc - 1, argv + 1);
	if (c && argc < 3) { /* hetsched help */
		usage(stdout);
		return EXIT_OK;
	}
	if (c) { /* hetsched help <command> */
		const struct cli_command *about = find_command(argv[2]);

		if (about) {
			fputs(about->help, stdout);
			return EXIT_OK;
		}
		fprintf(stderr, "hetsched: unknown command '%s'\n\n", argv[2]);
		usage(stderr);
		return EXIT_USAGE;
	}
	fprintf(stderr, "hetsched: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
