/* report.c: per-worker statistics of the last forward pass, as a table, as JSON, and as a
 * Chrome trace (one track per worker, one slice per task). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "tool.h"
#include "report.h"

#define MAX_WORKERS 1024

/* Tasks, busy time and work of the last pass per worker and per kind; returns the work. */
static double totals(struct hetsched_totals *w, int nworkers, struct hetsched_totals *kinds)
{
	double flops = 0;

	hetsched_stats_totals(w, nworkers, kinds);
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		flops += kinds[k].flops;
	return flops;
}

/* Which error the check prints: per element, or of each row's random projection. */
static void print_check(const struct hetsched__check_result *c)
{
	const struct hetsched__check_spot *in = &c->input_nonfinite, *out = &c->output_nonfinite;

	if (!strcmp(c->method, "projection"))
		printf(
		    "check: %s (random projection: error of each row's y.t against (x W^T + b).t "
		    "for a random t, relative to |x| |W|^T |t| + |b.t|; %zu values, max abs err "
		    "%.3g, max rel err %.3g, tolerance %.3g)\n",
		    c->ok ? "OK" : "FAILED", c->checked, c->max_abs_err, c->max_rel_err,
		    c->tolerance);
	else
		printf("check: %s (%s reference, per element, relative to the row's largest "
		       "value; %zu values, max abs err %.3g, max rel err %.3g, tolerance %.3g)\n",
		       c->ok ? "OK" : "FAILED",
		       !strcmp(c->method, "full") ? "full" : "sampled rows'", c->checked,
		       c->max_abs_err, c->max_rel_err, c->tolerance);
	if (in->count)
		printf("check: the input has %zu NaN or infinite values, the first at row %zu, "
		       "column %zu\n",
		       in->count, in->row, in->col);
	if (out->count)
		printf("check: the output has %zu NaN or infinite values, the first at row %zu, "
		       "column %zu; %s\n",
		       out->count, out->row, out->col,
		       c->nonfinite_mismatch.count ? "they differ from the reference's"
		                                   : "the reference has the same");
	if (c->nonfinite_mismatch.count)
		printf("check: %zu NaN or infinite values differ from the reference, the first at "
		       "row %zu, column %zu\n",
		       c->nonfinite_mismatch.count, c->nonfinite_mismatch.row,
		       c->nonfinite_mismatch.col);
}

/* A JSON number, or null for NaN and infinities (JSON has neither). */
static json_t *json_number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static const char *residency_words(const char *residency)
{
	if (!strcmp(residency, "cold"))
		return "cold: x and W started on the host";
	if (!strcmp(residency, "stream"))
		return "stream: W resident, x streamed from the host";
	return "resident: x and W started where earlier tasks left them";
}

static const char *elapsed_includes(const struct run_report *r)
{
	return r->stream ? "the whole stream: first row read to the output file synced"
	                 : "one forward pass: first task submitted to y gathered in main memory";
}

void report_print_text(const struct run_report *r)
{
	static struct hetsched_totals w[MAX_WORKERS];
	struct hetsched_totals kinds[HETSCHED_NKINDS];
	int nworkers = hetsched_worker_count();
	double elapsed = r->times[0], flops;

	nworkers = nworkers < MAX_WORKERS ? nworkers : MAX_WORKERS;
	flops = totals(w, nworkers, kinds);
	printf("hetsched run: %zu x %zu", r->batch, r->dims[0]);
	for (size_t l = 0; l < r->nlayers; l++)
		printf(" -> %zu", r->dims[l + 1]);
	printf(" (%zu layer%s), tile %zu%s, policy %s, seed %llu\n", r->nlayers,
	       r->nlayers == 1 ? "" : "s", r->tile, r->tile_auto ? " (auto)" : "",
	       hetsched_sched_name(), (unsigned long long)r->seed);
	printf("numerics: %s storage, %s products, FP32 accumulation\n",
	       hetsched_dtype_name(hetsched__dtype()),
	       hetsched_precision_name(hetsched__precision()));
	printf("workers: %d cpu, %d cuda, %d opencl; OpenBLAS core %s%s%s%s\n",
	       hetsched_worker_count_kind(HETSCHED_KIND_CPU),
	       hetsched_worker_count_kind(HETSCHED_KIND_CUDA),
	       hetsched_worker_count_kind(HETSCHED_KIND_OPENCL), hetsched_blas_corename(),
	       getenv("HETSCHED_BLAS_FIXED") ? " (set by hetsched, OpenBLAS had picked " : "",
	       getenv("HETSCHED_BLAS_FIXED") ? getenv("HETSCHED_BLAS_FIXED") : "",
	       getenv("HETSCHED_BLAS_FIXED") ? ")" : "");
	if (r->repeat > 1)
		printf("elapsed: min %.4f s, median %.4f s over %zu repeats; %.1f GFLOP/s (best)\n",
		       elapsed, cli_median_sorted(r->times, r->repeat), r->repeat,
		       flops / elapsed * 1e-9);
	else
		printf("elapsed: %.4f s, %.1f GFLOP/s\n", elapsed, flops / elapsed * 1e-9);
	if (r->stream)
		printf("stream: %s in %zu batches of %zu rows, %zu in flight, %.1f MiB of pinned "
		       "batch buffers\n",
		       r->input, r->stream->batches, r->batch_rows, r->stream->window,
		       r->stream->host_bytes / 1048576.0);
	if (r->residency) {
		size_t last = r->repeat - 1;

		printf("data%s: %s; moved host->device %.3f GB, device->host %.3f GB\n",
		       r->repeat > 1 ? " (last pass)" : "", residency_words(r->residency[last]),
		       r->h2d[last] * 1e-9, r->d2h[last] * 1e-9);
	}
	if (r->repeat > 1)
		printf("\nlast pass (%.4f s):", r->last_s);
	printf("\n  %-3s %-28s %-6s %7s %7s %9s\n", "id", "worker", "kind", "tasks", "busy%",
	       "GFLOP");
	for (int i = 0; i < nworkers; i++) {
		struct hetsched_worker_info info;

		hetsched_worker_get_info(i, &info);
		printf("  %-3d %-28.28s %-6s %7zu %6.1f%% %9.2f\n", i, info.name,
		       hetsched_kind_name(info.kind), w[i].tasks,
		       100.0 * w[i].busy_s / (r->last_s > 0 ? r->last_s : 1), w[i].flops * 1e-9);
	}
	printf("\nshare of work:");
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		if (hetsched_worker_count_kind((enum hetsched_kind)k) > 0)
			printf(" %s %.1f%%", hetsched_kind_name((enum hetsched_kind)k),
			       flops > 0 ? 100.0 * kinds[k].flops / flops : 0.0);
	printf("\n");
	if (r->nranks > 1) {
		printf("\n  %-4s %-20s %7s %7s %7s %9s %12s %12s\n", "rank", "host", "cpu", "cuda",
		       "opencl", "busy s", "sent MB", "received MB");
		for (size_t i = 0; i < r->nranks; i++)
			printf("  %-4d %-20.20s %7llu %7llu %7llu %9.3f %12.1f %12.1f\n",
			       r->ranks[i].rank, r->ranks[i].host,
			       (unsigned long long)r->ranks[i].tasks_by_kind[HETSCHED_KIND_CPU],
			       (unsigned long long)r->ranks[i].tasks_by_kind[HETSCHED_KIND_CUDA],
			       (unsigned long long)r->ranks[i].tasks_by_kind[HETSCHED_KIND_OPENCL],
			       r->ranks[i].busy_s, r->ranks[i].bytes_sent / 1e6,
			       r->ranks[i].bytes_received / 1e6);
	}
	if (r->check)
		print_check(r->check);
	if (r->save && r->save_ndim) {
		/* The shape the file holds: N-D for .npy outputs of N-D or 1-D inputs. */
		printf("saved: %s (", r->save);
		for (size_t d = 0; d < r->save_ndim; d++)
			printf("%s%zu", d ? " x " : "", r->save_shape[d]);
		printf(" %s)\n", r->save_type ? r->save_type : "float32");
	} else if (r->save)
		printf("saved: %s (%zu x %zu %s)\n", r->save, r->batch, r->dims[r->nlayers],
		       r->save_type ? r->save_type : "float32");
}

void report_print_json(const struct run_report *r)
{
	static struct hetsched_totals w[MAX_WORKERS];
	struct hetsched_totals kinds[HETSCHED_NKINDS];
	int nworkers = hetsched_worker_count();
	double elapsed = r->times[0], flops;
	json_t *root = json_object(), *shape = json_object(), *hidden = json_array();
	json_t *workers = json_array(), *by_kind = json_object(), *times = json_array();

	nworkers = nworkers < MAX_WORKERS ? nworkers : MAX_WORKERS;
	flops = totals(w, nworkers, kinds);
	json_object_set_new(root, "version", json_string(HETSCHED_VERSION));
	json_object_set_new(root, "starpu_version", json_string(hetsched_starpu_version()));
	json_object_set_new(root, "sched", json_string(hetsched_sched_name()));
	json_object_set_new(root, "blas_core", json_string(hetsched_blas_corename()));
	json_object_set_new(root, "dtype", json_string(hetsched_dtype_name(hetsched__dtype())));
	json_object_set_new(root, "precision",
	                    json_string(hetsched_precision_name(hetsched__precision())));
	json_object_set_new(shape, "batch", json_integer((json_int_t)r->batch));
	json_object_set_new(shape, "in", json_integer((json_int_t)r->dims[0]));
	json_object_set_new(shape, "out", json_integer((json_int_t)r->dims[r->nlayers]));
	for (size_t l = 0; l + 1 < r->nlayers; l++)
		json_array_append_new(hidden, json_integer((json_int_t)r->dims[l + 1]));
	json_object_set_new(shape, "hidden", hidden);
	json_object_set_new(root, "shape", shape);
	json_object_set_new(root, "tile", json_integer((json_int_t)r->tile));
	json_object_set_new(root, "tile_auto", json_boolean(r->tile_auto));
	json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(root, "elapsed_s", json_real(elapsed));
	json_object_set_new(root, "median_s", json_real(cli_median_sorted(r->times, r->repeat)));
	for (size_t i = 0; i < r->repeat; i++)
		json_array_append_new(times, json_real(r->times[i]));
	json_object_set_new(root, "repeats_s", times);
	json_object_set_new(root, "elapsed_includes", json_string(elapsed_includes(r)));
	if (r->residency) {
		json_t *passes = json_array();
		size_t last = r->repeat - 1;

		json_object_set_new(root, "residency", json_string(r->residency[last]));
		json_object_set_new(root, "h2d_bytes", json_integer((json_int_t)r->h2d[last]));
		json_object_set_new(root, "d2h_bytes", json_integer((json_int_t)r->d2h[last]));
		for (size_t i = 0; i < r->repeat; i++)
			json_array_append_new(passes,
			                      json_pack("{s:f, s:s, s:I, s:I}", "elapsed_s",
			                                r->pass_s[i], "residency", r->residency[i],
			                                "h2d_bytes", (json_int_t)r->h2d[i],
			                                "d2h_bytes", (json_int_t)r->d2h[i]));
		json_object_set_new(root, "passes", passes);
	}
	if (r->stream)
		json_object_set_new(root, "stream",
		                    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "input", r->input,
		                              "rows", (json_int_t)r->stream->rows, "batch_rows",
		                              (json_int_t)r->batch_rows, "batches",
		                              (json_int_t)r->stream->batches, "window",
		                              (json_int_t)r->stream->window, "host_buffer_bytes",
		                              (json_int_t)r->stream->host_bytes));
	json_object_set_new(root, "flops", json_real(flops));
	json_object_set_new(root, "gflops", json_real(flops / elapsed * 1e-9));
	for (int i = 0; i < nworkers; i++) {
		struct hetsched_worker_info info;

		hetsched_worker_get_info(i, &info);
		json_array_append_new(workers,
		                      json_pack("{s:i, s:s, s:s, s:I, s:f, s:f}", "id", i, "name",
		                                info.name, "kind", hetsched_kind_name(info.kind),
		                                "tasks", (json_int_t)w[i].tasks, "busy_s",
		                                w[i].busy_s, "gflop", w[i].flops * 1e-9));
	}
	json_object_set_new(root, "workers", workers);
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		json_object_set_new(by_kind, hetsched_kind_name((enum hetsched_kind)k),
		                    json_integer((json_int_t)kinds[k].tasks));
	json_object_set_new(root, "tasks_by_kind", by_kind);
	{
		json_t *ranks = json_array();

		for (size_t i = 0; i < r->nranks; i++) {
			json_t *kinds = json_object();

			for (int k = 0; k < HETSCHED_NKINDS; k++)
				json_object_set_new(
				    kinds, hetsched_kind_name((enum hetsched_kind)k),
				    json_integer((json_int_t)r->ranks[i].tasks_by_kind[k]));
			json_array_append_new(
			    ranks,
			    json_pack("{s:i, s:s, s:o, s:f, s:I, s:I}", "rank", r->ranks[i].rank,
			              "host", r->ranks[i].host, "tasks_by_kind", kinds, "busy_s",
			              r->ranks[i].busy_s, "bytes_sent",
			              (json_int_t)r->ranks[i].bytes_sent, "bytes_received",
			              (json_int_t)r->ranks[i].bytes_received));
		}
		json_object_set_new(root, "ranks", ranks);
	}
	if (r->check)
		json_object_set_new(
		    root, "check",
		    json_pack("{s:o, s:o, s:f, s:s, s:I, s:b, s:I, s:I, s:I}", "max_abs_err",
		              json_number(r->check->max_abs_err), "max_rel_err",
		              json_number(r->check->max_rel_err), "tolerance", r->check->tolerance,
		              "method", r->check->method, "checked", (json_int_t)r->check->checked,
		              "ok", r->check->ok, "input_nonfinite",
		              (json_int_t)r->check->input_nonfinite.count, "output_nonfinite",
		              (json_int_t)r->check->output_nonfinite.count, "nonfinite_mismatch",
		              (json_int_t)r->check->nonfinite_mismatch.count));
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

static int emit_json(FILE *f, void *root)
{
	return json_dumpf(root, f, JSON_COMPACT);
}

int report_write_trace(const char *path)
{
	const struct hetsched_task_record *rec;
	size_t n = hetsched_stats_records(&rec);
	int nworkers = hetsched_worker_count();
	json_t *root = json_object(), *events = json_array();
	int rc;

	/* Metadata events name the process and one track (tid) per worker. */
	json_array_append_new(events,
	                      json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "process_name",
	                                "ph", "M", "pid", 0, "tid", 0, "args", "name", "hetsched"));
	for (int i = 0; i < nworkers; i++) {
		struct hetsched_worker_info info;

		hetsched_worker_get_info(i, &info);
		json_array_append_new(events, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name",
		                                        "thread_name", "ph", "M", "pid", 0, "tid",
		                                        i, "args", "name", info.name));
	}
	for (size_t i = 0; i < n; i++) {
		char name[96];

		if (rec[i].op == HETSCHED_OP_LINEAR)
			snprintf(name, sizeof(name), "linear (%u,%u,%u)", rec[i].tile_row,
			         rec[i].tile_col, rec[i].tile_k);
		else
			snprintf(name, sizeof(name), "%s (%u,%u)", hetsched_op_name(rec[i].op),
			         rec[i].tile_row, rec[i].tile_col);
		json_array_append_new(
		    events,
		    json_pack("{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:{s:f}}", "name", name, "cat",
		              hetsched_op_name(rec[i].op), "ph", "X", "ts", rec[i].start_s * 1e6,
		              "dur", (rec[i].end_s - rec[i].start_s) * 1e6, "pid", 0, "tid",
		              rec[i].worker, "args", "gflop", rec[i].flops * 1e-9));
	}
	json_object_set_new(root, "traceEvents", events);
	json_object_set_new(root, "displayTimeUnit", json_string("ms"));
	rc = hetsched__write_atomic(path, emit_json, root);
	json_decref(root);
	return rc;
}
