/* bench.h: what the files of `hetsched bench` share: the options, the rows of the CSV, the
 * medians per configuration, and the study itself (struct bench), plus one line per function
 * that another file of bench calls.
 *
 *   main.c      the command: refuse what can be refused, run the sweep, write the outputs
 *   options.c   help and options              sweep.c     calibration phase, policies, passes
 *   progress.c  the progress line on a terminal (the pass deadline is the library's)
 *   results.c   rows, medians per configuration
 *   apart.c     a policy in a process of its own (simulation: one StarPU per process)
 *   output.c    folders and whole-file writes csv.c       the CSV
 *   summary.c   the table on stdout           gnuplot.c   running gnuplot
 *   charts.c    gflops, share and Gantt charts html.c      index.html */
#ifndef HETSCHED_CLI_BENCH_H
#define HETSCHED_CLI_BENCH_H

#include <stdio.h>
#include <time.h>

#include "../cli.h"

#define MAX_LIST 64   /* policies, sizes or tiles in one sweep */
#define MAX_LAYERS 64 /* layers of one pass */
#define NAME_LEN 32   /* worker names as shown in charts */

struct bench_options {
	const char *scheds[MAX_LIST];
	size_t nsched;
	size_t sizes[MAX_LIST];
	size_t nsizes;
	size_t tiles[MAX_LIST]; /* 0: auto */
	size_t ntiles;
	size_t layers, repeat, warmup, max_warmup;
	uint64_t seed;
	const char *csv, *plot, *trace_dir;
	const char *plot_file; /* --plot NAME.png: that plot alone, in the folder now in plot */
	char plot_folder[4096];
	int quiet;
	unsigned pass_timeout; /* seconds, 0: none */
	const char *scenario;  /* "resident", "cold" or "stream": where each pass's data start */
	size_t batch_size;     /* stream: rows per batch, 0: N / 4 */
	struct cli_workers workers;
};

/* One timed pass: a row of the CSV. */
struct bench_row {
	size_t sched; /* index into options.scheds */
	size_t size, tile;
	size_t repeat; /* 1 .. R */
	time_t when;
	double elapsed_s, gflops;
	size_t tasks[HETSCHED_NKINDS];
	double busy[HETSCHED_NKINDS];  /* busy fraction of the workers of that kind */
	double flops[HETSCHED_NKINDS]; /* work done by the workers of that kind */
	long long bytes_moved;
	long long h2d_bytes, d2h_bytes; /* host to devices, devices to host */
	int check_ok;
};

/* The recorded tasks of one traced pass, for its Gantt chart. */
struct bench_trace {
	size_t sched, size, tile;
	double elapsed_s;
	size_t nrecords;
	struct hetsched_task_record *records;
};

/* The medians of the R passes of one (policy, size, tile). */
struct bench_group {
	size_t sched, size, tile;
	size_t n, nok;
	double med_s, med_gflops, min_gflops, max_gflops, med_bytes;
	double med_busy[HETSCHED_NKINDS], med_tasks[HETSCHED_NKINDS], flops[HETSCHED_NKINDS];
	int best_tile; /* the best tile of its (policy, size) */
};

struct bench {
	struct bench_options o;
	int argc;
	char **argv;
	/* The workers, the same for every policy. */
	int nworkers, nkind[HETSCHED_NKINDS];
	enum hetsched_kind *worker_kind;
	char (*worker_name)[NAME_LEN]; /* short, for charts */
	char (*worker_full_name)[128];
	/* Tiles of each size once "auto" is known (it depends on the workers). */
	size_t rtiles[MAX_LIST][MAX_LIST], nrtiles[MAX_LIST];
	int resolved;
	struct bench_row *rows;
	size_t nrows, rows_cap;
	struct bench_trace *traces;
	size_t ntraces, traces_cap;
	struct bench_group *groups;
	size_t ngroups;
	char host[256], started[32];
	/* Configurations timed under a policy that uses performance models, and those of them
	 * whose models were still not calibrated when timed (the report warns of them). */
	size_t nmodel_configs, nuncalibrated;
	/* Progress. */
	int tty;
	size_t done_runs, total_runs, done_configs, total_configs;
	double done_work, total_work, t_start;
};

/* options.c: parse bench's options into o; 0, -1 after a one-line error (EXIT_USAGE), -2 after
 * a bad option (the usage follows), 1 after printing the help (EXIT_OK). */
int bench_parse_options(int argc, char **argv, struct bench_options *o);
/* --plot NAME.png: the GFLOP/s plot alone, as that file; -1 after an error. */
int bench_plot_to_file(struct bench_options *o);

/* output.c */
/* A folder we may create or write into; -1 after an error naming --option. */
int bench_check_folder(const char *option, const char *path);
int bench_make_folder(const char *path);
/* Write path whole through a temporary name and a rename; emit returns 0 or -1. */
int bench_write_atomic(const char *path, int (*emit)(FILE *f, void *bench), const struct bench *b);

/* progress.c */
void bench_progress(struct bench *b, const char *sched, size_t n, size_t tile, const char *phase);
void bench_progress_clear(void);

/* sweep.c: the calibration phase, and one policy in a fresh StarPU; exit codes. */
int bench_calibrate(struct bench *b);
int bench_run_policy(struct bench *b, size_t sched);
/* apart.c: bench_run_policy in a child process, its results brought back (simulation builds). */
int bench_run_policy_apart(struct bench *b, size_t sched);

/* results.c */
void bench_iso_time(time_t t, char *buf, size_t size);
double bench_pass_flops(size_t n, size_t layers);
int bench_add_row(struct bench *b, const struct bench_row *row);
void bench_summarize_records(const struct bench *b, struct bench_row *row);
int bench_compute_groups(struct bench *b);
const struct bench_group *bench_best_of_size(const struct bench *b, size_t n,
                                             const struct bench_group **runner_up);

/* csv.c, summary.c, html.c */
int bench_csv_print(FILE *f, void *bench);
void bench_print_summary(const struct bench *b);
int bench_html_write(FILE *f, void *bench);

/* gnuplot.c: a script built in memory, run by gnuplot in the plot folder; the output is renamed
 * into place when gnuplot succeeds. */
struct bench_gp_script {
	FILE *f;
	char *text;
	size_t len;
};
/* 0 when gnuplot can be started from PATH, -1 otherwise. */
int bench_gnuplot_find(void);
FILE *bench_gp_open(struct bench_gp_script *s);
int bench_gp_finish(const struct bench *b, struct bench_gp_script *s, const char *output);
void bench_gp_terminal(FILE *f, int width, int height, const char *output);
void bench_gp_plain(char *out, size_t size, const char *in);
void bench_workers_line(const struct bench *b, char *buf, size_t size);

/* charts.c */
void bench_gantt_name(const struct bench *b, const struct bench_trace *t, char *buf, size_t size);
int bench_write_plots(struct bench *b);

#endif
