/* charts.c: the charts of --plot, each one gnuplot script: gflops.png (GFLOP/s against N, one
 * line per policy), share.png (the share of the work each kind of worker did) and a Gantt chart
 * per traced pass; then index.html beside them. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *kind_color[HETSCHED_NKINDS] = {"#4477aa", "#228833", "#ee7733"};
static const char *op_color[HETSCHED_NOPS] = {"#ee7733", "#4477aa"};

/* gflops.png: GFLOP/s against N, one line per policy, median with min-max bars, best tile of
 * each point. Points of different policies are spread slightly along x so that their bars do
 * not hide each other. */
static int plot_gflops(const struct bench *b)
{
	struct bench_gp_script s;
	FILE *f = bench_gp_open(&s);
	size_t lo = b->o.sizes[0], hi = b->o.sizes[0];
	double spread = b->o.nsched > 1 ? fmin(0.05, 0.3 / b->o.nsched) : 0;
	/* Above 16 policies the key takes two columns: widen the chart rather than the lines. */
	int width = b->o.nsched > 16 ? 1600 : 1000, height = 620;
	char foot[512];

	if (!f)
		return -1;
	for (size_t i = 0; i < b->o.nsizes; i++) {
		lo = b->o.sizes[i] < lo ? b->o.sizes[i] : lo;
		hi = b->o.sizes[i] > hi ? b->o.sizes[i] : hi;
	}
	bench_workers_line(b, foot, sizeof(foot));
	bench_gp_terminal(f, width, height, b->o.plot_file ? b->o.plot_file : "gflops.png");
	fprintf(f,
	        "set title \"Throughput per policy: N x N input through %zu linear layer%s of N -> "
	        "N\\nmedian of %zu timed passes, bars from min to max, best tile of each point\"\n"
	        "set xlabel \"size N (batch = in = out = N)\"\n"
	        "set ylabel \"GFLOP/s\"\n"
	        "set logscale x 2\n"
	        "set xrange [%g:%g]\n"
	        "set yrange [0:*]\n"
	        "set grid ytics lc rgb \"#dddddd\"\n"
	        "set key outside right top title \"policy\" box lc rgb \"#bbbbbb\"\n"
	        "set bmargin 5\n"
	        "set label 1 \"%s\" at screen 0.01, screen 0.02 font \",8\" tc rgb \"#555555\"\n"
	        "set xtics (",
	        b->o.layers, b->o.layers == 1 ? "" : "s", b->o.repeat, lo / 1.5, hi * 1.5, foot);
	for (size_t i = 0; i < b->o.nsizes; i++)
		fprintf(f, "%s\"%zu\" %zu", i ? ", " : "", b->o.sizes[i], b->o.sizes[i]);
	fprintf(f, ")\n");
	for (size_t p = 0; p < b->o.nsched; p++) {
		double shift = pow(2.0, ((double)p - (b->o.nsched - 1) / 2.0) * spread);

		fprintf(f, "$p%zu << EOD\n", p);
		for (size_t i = 0; i < b->ngroups; i++) {
			const struct bench_group *g = &b->groups[i];

			if (g->sched == p && g->best_tile)
				fprintf(f, "%g %g %g %g %zu\n", g->size * shift, g->med_gflops,
				        g->min_gflops, g->max_gflops, g->tile);
		}
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot ");
	for (size_t p = 0; p < b->o.nsched; p++) {
		static const int points[] = {7, 5, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14};

		fprintf(f,
		        "%s$p%zu using 1:2:3:4 with yerrorlines lt %zu pt %d ps 1.1 lw 2 dt %zu "
		        "title \"%s\"",
		        p ? ", \\\n     " : "", p, p % 8 + 1, points[p % 12], p / 8 % 4 + 1,
		        b->o.scheds[p]);
	}
	fprintf(f, "\n");
	return bench_gp_finish(b, &s, b->o.plot_file ? b->o.plot_file : "gflops.png");
}

/* share.png: for each size a group of stacked bars, one per policy: the share of the work
 * (GFLOP) that each kind of worker did, best tile of each (policy, size). */
static int plot_share(const struct bench *b)
{
	struct bench_gp_script s;
	FILE *f = bench_gp_open(&s);
	size_t bars = b->o.nsched * b->o.nsizes + b->o.nsizes;
	int width = (int)(bars * 26 + 260), height = 620, first = 1, margin, lmargin;
	size_t longest = 4;
	char foot[512];

	if (!f)
		return -1;
	/* Room under the bars for the slanted policy names and the group titles. */
	for (size_t p = 0; p < b->o.nsched; p++)
		longest = strlen(b->o.scheds[p]) > longest ? strlen(b->o.scheds[p]) : longest;
	margin = 3 + (int)(longest * 0.4 + 0.5);
	/* The first names, slanted to the left of their bar, must not leave the picture. */
	lmargin = 10 + (longest * 0.71 > 10 ? (int)(longest * 0.71 - 10 + 0.5) : 0);
	width = width < 960 ? 960 : width > 4000 ? 4000 : width;
	bench_workers_line(b, foot, sizeof(foot));
	bench_gp_terminal(f, width, height, "share.png");
	fprintf(
	    f,
	    "set title \"Share of the work done by each kind of worker\\nper policy, grouped by "
	    "size N; best tile of each (policy, N), all %zu timed passes\" offset 0,1.5\n"
	    "set ylabel \"share of the floating-point work (%%)\"\n"
	    "set yrange [0:100]\n"
	    "set ytics 10\n"
	    "set grid ytics lc rgb \"#dddddd\"\n"
	    "set style data histograms\n"
	    "set style histogram rowstacked\n"
	    "set style fill solid 0.9 border rgb \"#333333\"\n"
	    "set boxwidth 0.75\n"
	    "set xtics rotate by 45 right scale 0 nomirror\n"
	    "set key outside right top title \"worker kind\" box lc rgb \"#bbbbbb\"\n"
	    "set tmargin 6.5\n"
	    "set bmargin %d\n"
	    "set lmargin %d\n"
	    "set label 1 \"%s\" at screen 0.01, screen 0.02 font \",8\" tc rgb \"#555555\"\n",
	    b->o.repeat, margin, lmargin, foot);
	/* Each size is a group of bars: group g starts at x = g (policies + 1). Its name goes
	 * above the frame, where the slanted policy names cannot reach it, and a dashed line
	 * separates the groups. */
	for (size_t si = 0; si < b->o.nsizes; si++) {
		double first_bar = (double)si * (b->o.nsched + 1);

		fprintf(f, "set label %zu \"N = %zu\" at first %g, graph 1.03 center\n", si + 10,
		        b->o.sizes[si], first_bar + (b->o.nsched - 1) / 2.0);
		if (si)
			fprintf(
			    f,
			    "set arrow %zu from first %g, graph 0 to first %g, graph 1 nohead lc "
			    "rgb \"#999999\" dt 2\n",
			    si, first_bar - 1, first_bar - 1);
	}
	for (size_t si = 0; si < b->o.nsizes; si++) {
		fprintf(f, "$s%zu << EOD\n", si);
		for (size_t p = 0; p < b->o.nsched; p++)
			for (size_t i = 0; i < b->ngroups; i++) {
				const struct bench_group *g = &b->groups[i];
				double total = 0;

				if (g->sched != p || g->size != b->o.sizes[si] || !g->best_tile)
					continue;
				for (int k = 0; k < HETSCHED_NKINDS; k++)
					total += g->flops[k];
				fprintf(f, "\"%s\"", b->o.scheds[p]);
				for (int k = 0; k < HETSCHED_NKINDS; k++)
					fprintf(f, " %g",
					        total > 0 ? 100.0 * g->flops[k] / total : 0.0);
				fprintf(f, "\n");
			}
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot ");
	for (size_t si = 0; si < b->o.nsizes; si++) {
		int column_first = 1;

		fprintf(f, "%snewhistogram \"\" lt 1", si ? ", \\\n     " : "");
		for (int k = 0; k < HETSCHED_NKINDS; k++) {
			if (b->nkind[k] == 0)
				continue;
			fprintf(f, ", \\\n     $s%zu using %d%s lc rgb \"%s\" %s", si, k + 2,
			        column_first ? ":xtic(1)" : "", kind_color[k],
			        first ? "title \"" : "notitle");
			if (first)
				fprintf(f, "%s\"", hetsched_kind_name((enum hetsched_kind)k));
			column_first = 0;
		}
		first = 0;
	}
	fprintf(f, "\n");
	return bench_gp_finish(b, &s, "share.png");
}

void bench_gantt_name(const struct bench *b, const struct bench_trace *t, char *buf, size_t size)
{
	snprintf(buf, size, "gantt-%s-n%zu-t%zu.png", b->o.scheds[t->sched], t->size, t->tile);
}

/* A Gantt chart of one traced pass: one lane per worker (grey where idle), one box per task,
 * coloured by operation, and each worker's busy share on the right. */
static int plot_gantt(const struct bench *b, const struct bench_trace *t)
{
	struct bench_gp_script s;
	FILE *f = bench_gp_open(&s);
	int height = 170 + 46 * b->nworkers;
	double end_ms = t->elapsed_s * 1e3, *busy = calloc((size_t)b->nworkers + 1, sizeof(double));
	char output[512], foot[512];

	if (!f || !busy) {
		if (f)
			fclose(f), free(s.text);
		free(busy);
		return -1;
	}
	bench_gantt_name(b, t, output, sizeof(output));
	bench_workers_line(b, foot, sizeof(foot));
	for (size_t i = 0; i < t->nrecords; i++) {
		const struct hetsched_task_record *r = &t->records[i];

		end_ms = fmax(end_ms, r->end_s * 1e3);
		if (r->worker >= 0 && r->worker < b->nworkers)
			busy[r->worker] += r->end_s - r->start_s;
	}
	bench_gp_terminal(f, 1200, height < 320 ? 320 : height, output);
	fprintf(
	    f,
	    "set title \"%s, N = %zu, tile %zu, %zu layer%s: tasks per worker\\nthe last of %zu "
	    "timed passes, %.2f ms, %zu tasks\"\n"
	    "set xlabel \"time since the start of the pass (ms)\"\n"
	    "set xrange [0:%g]\n"
	    "set yrange [%g:-0.6]\n"
	    "set y2range [%g:-0.6]\n"
	    "set grid xtics lc rgb \"#cccccc\" front\n"
	    "set style fill solid 1.0 border lc rgb \"#1a334d\"\n"
	    "set key below horizontal\n"
	    "set bmargin 6\n"
	    "set label 1 \"%s\" at screen 0.01, screen 0.02 font \",8\" tc rgb \"#555555\"\n",
	    b->o.scheds[t->sched], t->size, t->tile, b->o.layers, b->o.layers == 1 ? "" : "s",
	    b->o.repeat, t->elapsed_s * 1e3, t->nrecords, end_ms * 1.0, b->nworkers - 0.4,
	    b->nworkers - 0.4, foot);
	fprintf(f, "set ytics scale 0 (");
	for (int w = 0; w < b->nworkers; w++) {
		char name[NAME_LEN];

		bench_gp_plain(name, sizeof(name), b->worker_name[w]);
		fprintf(f, "%s\"%s\" %d", w ? ", " : "", name, w);
	}
	fprintf(f, ")\nset y2tics scale 0 (");
	for (int w = 0; w < b->nworkers; w++)
		fprintf(f, "%s\"busy %.0f%%%%\" %d", w ? ", " : "",
		        t->elapsed_s > 0 ? 100.0 * busy[w] / t->elapsed_s : 0.0, w);
	fprintf(f, ")\n");
	/* The lanes: grey shows idle time between and around the tasks. */
	for (int w = 0; w < b->nworkers; w++)
		fprintf(
		    f,
		    "set object %d rectangle from graph 0, first %g to graph 1, first %g fc rgb "
		    "\"#e4e4e4\" fs solid 1.0 noborder behind\n",
		    w + 1, w - 0.38, w + 0.38);
	for (int op = 0; op < HETSCHED_NOPS; op++) {
		fprintf(f, "$op%d << EOD\n", op);
		for (size_t i = 0; i < t->nrecords; i++)
			if ((int)t->records[i].op == op)
				fprintf(f, "%d %.6f %.6f\n", t->records[i].worker,
				        t->records[i].start_s * 1e3, t->records[i].end_s * 1e3);
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot keyentry with boxes fc rgb \"#e4e4e4\" title \"idle\"");
	for (int op = 0; op < HETSCHED_NOPS; op++) {
		int any = 0;

		for (size_t i = 0; i < t->nrecords && !any; i++)
			any = (int)t->records[i].op == op;
		if (any)
			fprintf(f,
			        ", \\\n     $op%d using (($2+$3)/2):1:(($3-$2)/2):(0.3) with "
			        "boxxyerror fc rgb \"%s\" title \"%s\"",
			        op, op_color[op], hetsched_op_name((enum hetsched_op)op));
	}
	/* The right axis carries the busy labels only. */
	fprintf(f, ", \\\n     NaN axes x1y2 notitle\n");
	free(busy);
	return bench_gp_finish(b, &s, output);
}

int bench_write_plots(struct bench *b)
{
	char path[4096];

	if (b->o.plot_file)
		return plot_gflops(b);
	if (bench_make_folder(b->o.plot) < 0)
		return -1;
	if (plot_gflops(b) < 0 || plot_share(b) < 0)
		return -1;
	if (b->o.trace_dir)
		for (size_t i = 0; i < b->ntraces; i++)
			if (plot_gantt(b, &b->traces[i]) < 0)
				return -1;
	snprintf(path, sizeof(path), "%s/index.html", b->o.plot);
	return bench_write_atomic(path, bench_html_write, b);
}
