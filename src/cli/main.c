/* main.c: the hetsched command: dispatch to info, run and help. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: hetsched <command> [options]\n"
	"\n"
	"commands:\n"
	"  info     devices, workers, memory nodes and buses; is CUDA available?\n"
	"  run      a batch forward pass of a linear model on every worker of the node\n"
	"  help     help on a command (hetsched help run)\n"
	"\n"
	"options:\n"
	"  -h, --help       this help\n"
	"  -V, --version    versions of hetsched and StarPU\n";

int main(int argc, char **argv)
{
	const char *command;

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
	fprintf(stderr, "hetsched: unknown command '%s'\n\n%s", command, usage);
	return EXIT_USAGE;
}
