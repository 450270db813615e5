/* commands.c: the table of the tool's commands (name, function, summary, help), as git's
 * commands[]: it serves dispatch, `hetsched --help` and `hetsched help <command>` alike. */
#include "config.h"

#include <stdio.h>
#include <string.h>

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

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

const char *cli_help_text(const char *command)
{
	const struct cli_command *c = cli_find_command(command);

	return c ? c->help : NULL;
}

void cli_usage(FILE *f)
{
	fputs("usage: hetsched <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\noptions:\n"
	      "  -h, --help       this help\n"
	      "  -V, --version    versions of hetsched and StarPU\n",
	      f);
}
