/* session.c: starting StarPU for a command, its signals, and the memory pre-check made before
 * StarPU starts. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tool.h"

int cli_start(const struct cli_workers *w, int quiet)
{
	struct hetsched_conf conf;
	int rc;

	/* With no OpenCL worker wanted, keep the OpenCL drivers unloaded: StarPU would load them
	 * anyway, and PoCL alone costs about 60 MiB of resident memory. (The ICD loader reads
	 * OCL_ICD_VENDORS once per process, so this is for one-shot commands, not the library.) */
	if ((w->nopencl == 0 || (w->nopencl < 0 && getenv("STARPU_NOPENCL") &&
	                         !strcmp(getenv("STARPU_NOPENCL"), "0"))) &&
	    !getenv("OCL_ICD_VENDORS"))
		setenv("OCL_ICD_VENDORS", "/nonexistent/hetsched-no-opencl", 1);
	hetsched_conf_init(&conf);
	conf.sched = w->sched;
	conf.ncpu = w->ncpu;
	conf.ncuda = w->ncuda;
	conf.nopencl = w->nopencl;
	conf.opencl_on_cpu = w->opencl_on_cpu;
	/* StarPU's own warnings (models not calibrated enough, flushed, the bus recalibrating) are
	 * for StarPU's developers: hetsched says what matters to a user in a line of its own
	 * (cli_report_calibration). They come back with --verbose, or STARPU_SILENT=0. */
	if (w->verbose)
		setenv("STARPU_SILENT", "0", 1);
	conf.quiet = !w->verbose && (quiet || !getenv("STARPU_SILENT"));
	conf.watchdog_s = w->watchdog_s;
	conf.all_kinds = w->all_kinds;
	conf.dtype = w->dtype;
	conf.precision = w->precision;
	rc = hetsched_init(&conf);
	/* What the library has to say (a damaged model file moved aside, fewer workers than asked
	 * for, idle cores): one line each, even when quiet; bench starts StarPU once per policy,
	 * so a line already printed by this process is not repeated. */
	{
		static char said[4096];
		const char *report = hetsched__notices();

		while (*report && (rc != 0 || hetsched_rank() == 0)) {
			size_t len = strcspn(report, "\n");
			char line[1024];

			snprintf(line, sizeof(line), "%.*s\n", (int)len, report);
			if (!strstr(said, line)) {
				fprintf(stderr, "hetsched: %s", line);
				if (strlen(said) + strlen(line) < sizeof(said))
					strcat(said, line);
			}
			report += len + (report[len] == '\n');
		}
	}
	if (rc == 0)
		return EXIT_OK;
	fprintf(stderr, "hetsched: %s\n", hetsched_last_error());
	return rc == HETSCHED_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

int cli_start_one_process(const struct cli_workers *w, int quiet, const char *command)
{
	int rc = cli_start(w, quiet);

	if (rc != EXIT_OK || hetsched_nranks() == 1)
		return rc;
	if (hetsched_rank() == 0)
		fprintf(
		    stderr,
		    "hetsched: %s runs in one process, not across %d MPI ranks: start it without "
		    "mpirun, or with one task (on every node by itself: srun --mpi=none "
		    "--ntasks-per-node=1)\n",
		    command, hetsched_nranks());
	hetsched_shutdown();
	return EXIT_USAGE;
}

/* ------------------------------------------------------------------ signals */

volatile sig_atomic_t cli_progress_on_line;
static const char *signal_message = "hetsched: interrupted\n";
static const char *bus_message = "hetsched: an input file shrank while it was read\n";
static void (*signal_cleanup)(void);

void cli_progress_erase(void)
{
	static const char clear[] = "\r\033[K";
	ssize_t ignored;

	if (!cli_progress_on_line)
		return;
	ignored = write(STDERR_FILENO, clear, sizeof(clear) - 1);
	(void)ignored;
}

static void on_signal(int sig)
{
	ssize_t ignored;

	cli_progress_erase();
	if (signal_cleanup)
		signal_cleanup();
	if (sig == SIGBUS)
		ignored = write(STDERR_FILENO, bus_message, strlen(bus_message));
	else
		ignored = write(STDERR_FILENO, signal_message, strlen(signal_message));
	(void)ignored;
	_exit(EXIT_RUNTIME);
}

static void catch_signal(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void cli_signals_install(const char *message)
{
	signal_message = message;
	catch_signal(SIGINT);
	catch_signal(SIGTERM);
}

void cli_signals_cleanup(void (*fn)(void))
{
	signal_cleanup = fn;
}

void cli_signals_catch_bus(const char *message)
{
	bus_message = message;
	catch_signal(SIGBUS);
}

void cli_signals_block(int block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* ------------------------------------------------------------------ memory */

int cli_memory_fits(double bytes, double *node_bytes)
{
	struct hetsched_topology topo;

	*node_bytes = 0;
	/* A simulated node's memory is not this host's, and SimGrid allocates no device memory. */
	if (hetsched_is_simulation())
		return 1;
	if (hetsched_topology_get(&topo) != 0)
		return 1;
	*node_bytes = (double)topo.memory_bytes;
	return bytes <= 0.9 * *node_bytes;
}
