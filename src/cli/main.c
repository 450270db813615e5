/* main.c: the hetsched command: OpenBLAS's kernels, then dispatch through the table of commands
 * (commands.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "simulate.h"
#include "hetsched_main.h"

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

	cli_program_argv = argv;
	fix_blas_core(argv);

	if (argc < 2) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("hetsched %s (StarPU %s)\n", HETSCHED_VERSION, hetsched_starpu_version());
		return EXIT_OK;
	}
	c = cli_find_command(argv[1]);
	if (c && c->run)
		return c->run(argc - 1, argv + 1);
	if (c && argc < 3) { /* hetsched help */
		cli_usage(stdout);
		return EXIT_OK;
	}
	if (c) { /* hetsched help <command> */
		const struct cli_command *about = cli_find_command(argv[2]);

		if (about) {
			fputs(about->help, stdout);
			return EXIT_OK;
		}
		fprintf(stderr, "hetsched: unknown command '%s'\n\n", argv[2]);
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	fprintf(stderr, "hetsched: unknown command '%s'\n\n", argv[1]);
	cli_usage(stderr);
	return EXIT_USAGE;
}
