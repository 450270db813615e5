/* main.c: the hetsched command: dispatch to info, run and help. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: hetsched <command> [options]\n"
    "\n"
    "commands:\n"
    "  info       devices, workers, memory nodes and buses; is CUDA available?\n"
    "  run        a batch forward pass of a linear model on every worker of the node\n"
    "  calibrate  calibrate the performance models for the tile shapes of a run\n"
    "  bench      sweep scheduling policies, sizes and tiles into CSV, plots and a report\n"
    "  help       help on a command (hetsched help run)\n"
    "\n"
    "options:\n"
    "  -h, --help       this help\n"
    "  -V, --version    versions of hetsched and StarPU\n";

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
	const char *command;

	fix_blas_core(argv);

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	command = argv[1];
	if (!strcmp(command, "-h") || !strcmp(command, "--help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(command, "-V") || !strcmp(command, "--version")) {
		printf("hetsched %s (StarPU %s)\n", HETSCHED_VERSION, hetsched_starpu_version());
		return EXIT_OK;
	}
	if (!strcmp(command, "help")) {
		const char *text;

		if (argc < 3) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		text = cli_help_text(argv[2]);
		if (!text) {
			fprintf(stderr, "hetsched: unknown command '%s'\n\n%s", argv[2], usage);
			return EXIT_USAGE;
		}
		fputs(text, stdout);
		return EXIT_OK;
	}
	if (!strcmp(command, "info"))
		return cli_info(argc - 1, argv + 1);
	if (!strcmp(command, "run"))
		return cli_run(argc - 1, argv + 1);
	if (!strcmp(command, "bench"))
		return cli_bench(argc - 1, argv + 1);
	if (!strcmp(command, "calibrate"))
		return cli_calibrate(argc - 1, argv + 1);
	fprintf(stderr, "hetsched: unknown command '%s'\n\n%s", command, usage);
	return EXIT_USAGE;
}
