/* html.c: index.html of --plot DIR, the report that shows the charts with the tables of
 * medians, the workers and the command that produced them. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "bench.h"

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		const char *entity = *s == '&'   ? "&amp;"
		                     : *s == '<' ? "&lt;"
		                     : *s == '>' ? "&gt;"
		                     : *s == '"' ? "&quot;"
		                                 : NULL;

		if (entity)
			fputs(entity, f);
		else
			fputc(*s, f);
	}
}

int bench_html_write(FILE *f, void *ctx)
{
	const struct bench *b = ctx;

	char when[32], foot[512];

	bench_workers_line(b, foot, sizeof(foot));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>hetsched bench</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 2em; max-width: 1300px; color: #222; }\n"
	      "table { border-collapse: collapse; margin: 1em 0; }\n"
	      "th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }\n"
	      "th { background: #f0f0f0; }\n"
	      "td.l, th.l { text-align: left; }\n"
	      "tr.best td { font-weight: bold; background: #eef6ee; }\n"
	      "td.bad { color: #b00; font-weight: bold; }\n"
	      "p.warn { color: #8a5a00; background: #fff6e0; padding: 0.5em; }\n"
	      "img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }\n"
	      "code { background: #f6f6f6; padding: 0.1em 0.3em; }\n"
	      "</style>\n</head>\n<body>\n<h1>hetsched bench: scheduling policies</h1>\n",
	      f);
	fputs("<p>", f);
	html_text(f, foot);
	fprintf(f, ".<br>\nStarted %s; ", b->started);
	fprintf(f,
	        "a size N is an N&nbsp;&times;&nbsp;N input through %zu linear layer%s of N&nbsp;"
	        "&rarr;&nbsp;N features (2&nbsp;N<sup>3</sup>&nbsp;&times;&nbsp;%zu floating-point "
	        "operations per pass); %zu timed passes per configuration after warm-up.</p>\n",
	        b->o.layers, b->o.layers == 1 ? "" : "s", b->o.layers, b->o.repeat);
	fputs("<p>Workers:", f);
	for (int w = 0; w < b->nworkers; w++) {
		fputs(w ? ", " : " ", f);
		html_text(f, b->worker_full_name[w]);
	}
	fputs(".</p>\n<p>Command: <code>hetsched", f);
	for (int i = 0; i < b->argc; i++) {
		fputc(' ', f);
		html_text(f, b->argv[i]);
	}
	fputs("</code></p>\n", f);

	fprintf(f,
	        "<h2>Best policy per shape</h2>\n<p>Shape: batch = in = out = N, %zu layer%s; "
	        "by median GFLOP/s over all tiles tried, with the spread (min&ndash;max) of the "
	        "timed passes. When the spreads of the best and the next best policy overlap, "
	        "the passes do not tell them apart: that is a tie.</p>\n",
	        b->o.layers, b->o.layers == 1 ? "" : "s");
	/* Two noisy passes under uncalibrated models do not make a ranking: say so first. */
	if (b->nuncalibrated)
		fprintf(
		    f,
		    "<p class=\"warn\">Warning: StarPU's performance models were not calibrated "
		    "for %zu of the %zu configurations timed under a policy that uses them: "
		    "those passes were scheduled partly as by eager, and their times are not "
		    "those of a calibrated run. Run <code>hetsched calibrate</code> first, or "
		    "raise <code>--max-warmup</code>.</p>\n",
		    b->nuncalibrated, b->nmodel_configs);
	fputs("<table>\n<tr><th>N</th><th class=\"l\">best "
	      "policy</th><th>tile</th><th>median GFLOP/s</th><th>spread</th><th class=\"l\">"
	      "next best policy</th><th>GFLOP/s</th><th>spread</th><th>difference</th>"
	      "<th class=\"l\">verdict</th></tr>\n",
	      f);
	for (size_t s = 0; s < b->o.nsizes; s++) {
		const struct bench_group *second,
		    *best = bench_best_of_size(b, b->o.sizes[s], &second);
		int tie;

		if (!best)
			continue;
		tie = second && second->max_gflops >= best->min_gflops;
		fprintf(f, "<tr><td>%zu</td><td class=\"l\">", b->o.sizes[s]);
		if (tie)
			fputs("tie: ", f);
		html_text(f, b->o.scheds[best->sched]);
		if (tie) {
			fputs(", ", f);
			html_text(f, b->o.scheds[second->sched]);
		}
		fprintf(f, "</td><td>%zu</td><td>%.2f</td><td>%.2f&ndash;%.2f</td><td class=\"l\">",
		        best->tile, best->med_gflops, best->min_gflops, best->max_gflops);
		if (second) {
			html_text(f, b->o.scheds[second->sched]);
			fprintf(
			    f,
			    " (tile %zu)</td><td>%.2f</td><td>%.2f&ndash;%.2f</td><td>%+.1f%%</td>"
			    "<td class=\"l\">%s</td></tr>\n",
			    second->tile, second->med_gflops, second->min_gflops,
			    second->max_gflops, 100.0 * (second->med_gflops / best->med_gflops - 1),
			    tie ? "tie: the spreads overlap" : "ahead: the spreads do not overlap");
		} else {
			fputs("&ndash;</td><td></td><td></td><td></td><td class=\"l\">one policy"
			      "</td></tr>\n",
			      f);
		}
	}
	fputs("</table>\n", f);

	fputs("<h2>Throughput</h2>\n<img src=\"gflops.png\" alt=\"GFLOP/s against N, one line per "
	      "policy\">\n<h2>Where the work ran</h2>\n<img src=\"share.png\" alt=\"share of the "
	      "work per worker kind, per policy\">\n",
	      f);

	fputs("<h2>Medians per configuration</h2>\n<p>Bold: the best tile of each (policy, N). "
	      "Busy: task time of a kind / (elapsed &times; workers of that kind). Bytes moved: "
	      "between memory nodes during the pass.</p>\n<table>\n<tr><th class=\"l\">policy</th>"
	      "<th>N</th><th>tile</th><th>median s</th><th>median GFLOP/s</th><th>min</th>"
	      "<th>max</th>",
	      f);
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		if (b->nkind[k])
			fprintf(f, "<th>tasks %s</th>", hetsched_kind_name((enum hetsched_kind)k));
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		if (b->nkind[k])
			fprintf(f, "<th>busy %s</th>", hetsched_kind_name((enum hetsched_kind)k));
	fputs("<th>MB moved</th><th>checks</th></tr>\n", f);
	for (size_t i = 0; i < b->ngroups; i++) {
		const struct bench_group *g = &b->groups[i];

		fprintf(f, "<tr%s><td class=\"l\">", g->best_tile ? " class=\"best\"" : "");
		html_text(f, b->o.scheds[g->sched]);
		fprintf(f,
		        "</td><td>%zu</td><td>%zu</td><td>%.4f</td><td>%.2f</td><td>%.2f</td>"
		        "<td>%.2f</td>",
		        g->size, g->tile, g->med_s, g->med_gflops, g->min_gflops, g->max_gflops);
		for (int k = 0; k < HETSCHED_NKINDS; k++)
			if (b->nkind[k])
				fprintf(f, "<td>%.0f</td>", g->med_tasks[k]);
		for (int k = 0; k < HETSCHED_NKINDS; k++)
			if (b->nkind[k])
				fprintf(f, "<td>%.0f%%</td>", 100.0 * g->med_busy[k]);
		if (hetsched_is_simulation())
			fprintf(f, "<td>%.1f</td><td>simulated: none</td></tr>\n",
			        g->med_bytes / 1e6);
		else
			fprintf(f, "<td>%.1f</td><td%s>%zu/%zu</td></tr>\n", g->med_bytes / 1e6,
			        g->nok == g->n ? "" : " class=\"bad\"", g->nok, g->n);
	}
	fputs("</table>\n", f);

	if (b->ntraces) {
		fputs("<h2>Gantt charts of the last pass of each configuration</h2>\n", f);
		for (size_t i = 0; i < b->ntraces; i++) {
			char name[512];

			bench_gantt_name(b, &b->traces[i], name, sizeof(name));
			fputs("<h3>", f);
			html_text(f, b->o.scheds[b->traces[i].sched]);
			fprintf(f, ", N = %zu, tile %zu</h3>\n<img src=\"", b->traces[i].size,
			        b->traces[i].tile);
			html_text(f, name);
			fputs("\" alt=\"Gantt chart\">\n", f);
		}
	}
	if (b->o.csv) {
		fputs("<p>Every timed pass: <code>", f);
		html_text(f, b->o.csv);
		fputs("</code> (CSV).</p>\n", f);
	}
	if (b->o.trace_dir) {
		fputs(
		    "<p>Chrome traces of the last pass of each configuration, for Perfetto: <code>",
		    f);
		html_text(f, b->o.trace_dir);
		fputs("</code>.</p>\n", f);
	}
	bench_iso_time(time(NULL), when, sizeof(when));
	fprintf(f, "<p><small>Written %s by hetsched %s.</small></p>\n</body>\n</html>\n", when,
	        HETSCHED_VERSION);
	return ferror(f) ? -1 : 0;
}
