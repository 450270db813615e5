/* main.c: `hetsched bench`, a policy study: for each scheduling policy (a fresh StarPU each),
 * each size N (an N x N input through L linear layers of N -> N) and each tile size, warm up
 * until the performance models are calibrated, then time R forward passes, check each one, and
 * write one CSV row per timed pass; optionally Chrome traces, gnuplot charts and an HTML report.
 *
 * Everything that can be refused is refused before StarPU starts. Outputs are complete or
 * absent: the CSV, every PNG and index.html are written under a temporary name and renamed,
 * after all the passes have run. The other files of this folder are listed in bench.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "../simulate.h"
#include "tool.h"

int cli_bench(int argc, char **argv)
{
	struct bench b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.argc = argc;
	b.argv = argv;
	rc = bench_parse_options(argc, argv, &b.o);
	if (rc != CLI_PARSED)
		return cli_options_exit("bench", rc);
	rc = cli_simulate_enter("bench", &b.o.workers);
	if (rc != CLI_SIM_CONTINUE)
		return rc;
	cli_signals_install("hetsched: bench: interrupted, no CSV, plot or report written\n");
	hetsched__deadline_set_before_fire(cli_progress_erase);
	/* Without it, StarPU drops samples whose times vary, and the study loses the calibration it
	 * began with (StarPU 1.3.10's modular-heteroprio-heft then hangs: seen 1 run in 3 of
	 * `--sched all` under ASan). */
	hetsched__perfmodel_keep_samples();

	/* Everything that can be refused is refused before StarPU starts, and nothing is written.
	 */
	if (b.o.csv && hetsched__check_writable(b.o.csv) < 0) {
		cli_error("bench", "--csv: %s", hetsched_last_error());
		return EXIT_USAGE;
	}
	if (b.o.plot && bench_plot_to_file(&b.o) < 0)
		return EXIT_USAGE;
	if (b.o.plot && !b.o.plot_file && bench_check_folder("plot", b.o.plot) < 0)
		return EXIT_USAGE;
	if (b.o.trace_dir && bench_check_folder("trace-dir", b.o.trace_dir) < 0)
		return EXIT_USAGE;
	for (size_t s = 0; s < b.o.nsizes; s++) {
		/* Input, weights and activations, plus the check's host copies. */
		double n2 = 4.0 * b.o.sizes[s] * b.o.sizes[s];
		double bytes = n2 * (4 + 2 * b.o.layers), node_bytes;

		if (!cli_memory_fits(bytes, &node_bytes)) {
			cli_error(
			    "bench",
			    "size %zu is too large: it needs %.2f GiB but this node has %.2f GiB "
			    "of memory",
			    b.o.sizes[s], bytes / (1 << 30), node_bytes / (1 << 30));
			return EXIT_USAGE;
		}
	}
	if (b.o.plot && bench_gnuplot_find() < 0) {
		cli_error("bench",
		          "--plot needs gnuplot, which is not on PATH (Debian: apt-get install "
		          "gnuplot-nox)");
		return EXIT_RUNTIME;
	}

	/* A simulated study names the node simulated, not the host simulating it. */
	if (hetsched_is_simulation() && getenv("STARPU_HOSTNAME"))
		snprintf(b.host, sizeof(b.host), "%s", getenv("STARPU_HOSTNAME"));
	else if (gethostname(b.host, sizeof(b.host)) != 0)
		snprintf(b.host, sizeof(b.host), "unknown");
	b.host[sizeof(b.host) - 1] = '\0';
	bench_iso_time(time(NULL), b.started, sizeof(b.started));
	b.tty = isatty(STDERR_FILENO);
	b.t_start = cli_now_s();
	/* Until the first StarPU tells the workers (and so "auto"), count each tile once. */
	for (size_t s = 0; s < b.o.nsizes; s++)
		b.total_work +=
		    b.o.ntiles * b.o.repeat * bench_pass_flops(b.o.sizes[s], b.o.layers);
	b.total_work *= b.o.nsched;
	b.total_configs = b.o.nsched * b.o.nsizes * b.o.ntiles;
	b.total_runs = b.total_configs * b.o.repeat;

	rc = EXIT_OK;
	/* A simulated node's models are the real node's, already calibrated: no calibration
	 * phase. Each policy runs in a process of its own (one StarPU per process in SimGrid). */
	for (size_t p = 0; p < b.o.nsched && !hetsched_is_simulation(); p++)
		if (hetsched_sched_uses_models(b.o.scheds[p])) {
			rc = bench_calibrate(&b);
			break;
		}
	for (size_t p = 0; p < b.o.nsched && rc == EXIT_OK; p++)
		rc = hetsched_is_simulation() ? bench_run_policy_apart(&b, p)
		                              : bench_run_policy(&b, p);
	bench_progress_clear();
	if (rc != EXIT_OK)
		goto out;
	if (bench_compute_groups(&b) < 0) {
		cli_error("bench", "out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}

	/* Outputs: complete or absent, even if a signal arrives now. The signals stay blocked
	 * until the process exits: once the outputs are written, the study is complete. */
	cli_signals_block(1);
	rc = EXIT_RUNTIME;
	if (b.o.csv ? bench_write_atomic(b.o.csv, bench_csv_print, &b) < 0
	            : bench_csv_print(stdout, &b) < 0)
		goto out_flush;
	if (b.o.plot && bench_write_plots(&b) < 0)
		goto out_flush;
	if (b.o.csv && !b.o.quiet)
		bench_print_summary(&b);
	rc = EXIT_OK;
	for (size_t i = 0; i < b.nrows; i++)
		if (b.rows[i].check_ok == 0) {
			cli_error("bench", "%s n=%zu tile=%zu pass %zu: check FAILED",
			          b.o.scheds[b.rows[i].sched], b.rows[i].size, b.rows[i].tile,
			          b.rows[i].repeat);
			rc = EXIT_RUNTIME;
		}
out_flush:
	fflush(stdout);
out:
	for (size_t i = 0; i < b.ntraces; i++)
		free(b.traces[i].records);
	free(b.traces);
	free(b.rows);
	free(b.groups);
	free(b.worker_kind);
	free(b.worker_name);
	free(b.worker_full_name);
	return rc;
}
