/* simulate.h: the tool on a simulated node (--simulate NODE.tar.gz) and the node bundle of
 * calibrate --export (simulate.c). */
#ifndef HETSCHED_CLI_SIMULATE_H
#define HETSCHED_CLI_SIMULATE_H

#include <stddef.h>

#include "options.h"

/* main()'s argv, to run the tool again on a simulated node. */
extern char **cli_program_argv;

/* What cli_simulate_enter returns when the command goes on in this process. */
#define CLI_SIM_CONTINUE (-1)

/* Right after a command parsed its options, before StarPU starts: with --simulate in a
 * simulation build, run the command again on the simulated node and return its exit code;
 * without it in a simulation build, refuse (EXIT_USAGE: there is no node to simulate); with it
 * in a real build, refuse (EXIT_USAGE). CLI_SIM_CONTINUE otherwise: on a real machine, or in
 * the run on the simulated node. */
int cli_simulate_enter(const char *command, const struct cli_workers *w);

/* In the run on a simulated node: the bundle's path, and its GPUs and CPU workers; else NULL. */
const char *cli_simulated_node(int *gpus, int *cpus);

/* Unpack \p bundle into a new temporary folder (its name in \p dir): \p node_dir receives the
 * node's folder. 0, or -1 after a one-line error. */
int cli_simulate_unpack(const char *command, const char *bundle, char *dir, size_t size,
                        char *node_dir, size_t node_size);

/* calibrate --export: after hetsched_shutdown(), write \p path (a .tar.gz) whole or not at all:
 * the node's description \p json_text, models and bus files. 0, or -1 after a one-line error. */
int cli_export_bundle(const char *command, const char *path, const char *json_text);

#endif
