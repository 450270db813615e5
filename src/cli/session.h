/* session.h: the life of one command around StarPU: start it with the worker options, end the
 * command cleanly on SIGINT / SIGTERM, and refuse work larger than the node before starting. */
#ifndef HETSCHED_CLI_SESSION_H
#define HETSCHED_CLI_SESSION_H

#include <signal.h>

#include "options.h"

/* Start hetsched with the worker options; prints the error and returns its exit code. */
int cli_start(const struct cli_workers *w, int quiet);
/* cli_start for a command that runs in one process (bench, calibrate): under mpirun or srun with
 * several ranks it stops hetsched again and refuses, with EXIT_USAGE; the ranks would otherwise
 * each run their own passes over tiles spread across them, and wait for each other forever. */
int cli_start_one_process(const struct cli_workers *w, int quiet, const char *command);

/* SIGINT and SIGTERM end the command at once with exit code 1 after printing \p message (one
 * line, kept by pointer). Outputs are written with the signals blocked (cli_signals_block), to
 * a temporary name then renamed, so an interrupted command leaves no partial file. */
void cli_signals_install(const char *message);
void cli_signals_block(int block);
/* \p fn (async-signal-safe) runs in the handler before the message: it removes what a command
 * writes in place (a stream's temporary output). */
void cli_signals_cleanup(void (*fn)(void));
/* SIGBUS, which a read of a mapped file raises once the file has shrunk under it, ends the
 * command like SIGINT, with \p message (kept by pointer). */
void cli_signals_catch_bus(const char *message);
/* Set while a progress line is on stderr: a signal's message then starts by clearing it. */
extern volatile sig_atomic_t cli_progress_on_line;
/* Write the clearing sequence of a progress line if one is shown (async-signal-safe). */
void cli_progress_erase(void);

/* 1 if \p bytes fit in this node's memory (at most 90% of it; 1 too when the node's memory is
 * unknown), 0 otherwise, with the node's size in \p node_bytes. */
int cli_memory_fits(double bytes, double *node_bytes);

#endif
