/* bench.c: `hetsched bench` (being written). */
#include "config.h"

#include <stdio.h>

#include "cli.h"

const char cli_bench_help[] = "usage: hetsched bench --sched P1,P2,... --sizes ... --tiles ... --repeat R\n";

int cli_bench(int argc, char **argv)
{
	fputs("hetsched: bench: not available yet\n", stderr);
	return EXIT_RUNTIME;
}
