/* run_stream.c: `hetsched run --batch-size B`: the input file streamed through the model batch by
 * batch into a pre-sized output file, through the library's stream (hetsched_stream_npy). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "tool.h"

/* The options --batch-size cannot go with; -1 after printing why. */
int run_check_stream_options(const struct run_options *o, const struct cli_problem *p)
{
	const char *clash = o->repeat > 1   ? "--repeat (a stream is one pass over the file)"
	                    : o->save_input ? "--save-input (the input is a file already)"
	                                    : NULL;

	if (!o->input || !o->save) {
		cli_error("run",
		          "--batch-size streams --input (a .npy file) to --save (a .npy file): "
		          "give both");
		return -1;
	}
	if (p->model) {
		size_t nsteps, rows, in, out;
		const struct hetsched__step *steps = hetsched__model_steps(p->model, &nsteps);
		int transposed, layers_only = 1;

		/* A stream runs linear layers (their element-wise activations fused): a model with
		 * steps of its own (softmax, element-wise ones where no layer comes before, an ONNX
		 * model's view of its N-D input) would lose them. */
		for (size_t s = 0; s < nsteps; s++)
			layers_only &=
			    steps[s].kind == HETSCHED_STEP_LINEAR && steps[s].bias_rows == 1;
		hetsched__model_view(p->model, &rows, &in, &out, &transposed);
		if (!layers_only || rows) {
			cli_error("run",
			          "--batch-size streams models of linear layers and their "
			          "element-wise activations; %s: run it without --batch-size",
			          rows ? "an ONNX model runs the input shape it was read for"
			               : "this model has a softmax or a step of its own");
			return -1;
		}
	}
	if (clash) {
		cli_error("run", "--batch-size cannot be combined with %s", clash);
		return -1;
	}
	if (strlen(o->save) < 4 || strcmp(o->save + strlen(o->save) - 4, ".npy")) {
		cli_error("run",
		          "--batch-size writes a .npy file batch by batch: --save %s must end "
		          "with .npy",
		          o->save);
		return -1;
	}
	if (!strcmp(o->input, o->save)) {
		cli_error("run", "--save %s is the --input being streamed: write another file",
		          o->save);
		return -1;
	}
	return 0;
}

/* Bytes a stream holds at its peak: the weights (host and device copies alike), and per batch
 * in flight its input, its output and the activations between layers. */
double run_stream_bytes(const struct cli_problem *p, size_t batch, size_t window)
{
	double bytes = 0, per_row = p->dims[0];

	for (size_t l = 0; l < p->nlayers; l++) {
		bytes += 4.0 * (p->dims[l] * p->dims[l + 1] + p->dims[l + 1]);
		per_row += p->dims[l + 1];
	}
	if (p->model)
		bytes *= 2;
	return bytes + 4.0 * per_row * (double)batch * (double)window;
}

struct stream_progress {
	size_t in_bytes_per_row;
};

/* rows, GB/s of input read, ETA; on stderr, a terminal only. */
static void stream_progress(void *ctx, size_t done, size_t total, double elapsed)
{
	const struct stream_progress *sp = ctx;
	double rate = elapsed > 0 ? done / elapsed : 0;

	fprintf(stderr, "\r\033[Kstream: %zu/%zu rows (%.0f%%), %.2f GB/s in, ETA %.0f s", done,
	        total, 100.0 * done / total, rate * sp->in_bytes_per_row * 1e-9,
	        rate > 0 ? (total - done) / rate : 0.0);
	cli_progress_on_line = 1;
	if (done == total) {
		fputs("\r\033[K", stderr);
		cli_progress_on_line = 0;
	}
}

/* The check of a stream: every batch, at rows spread over it (its first and last included; 256
 * rows in all, at least 2 per batch), read back from the input and the written output and put
 * through cli_problem_check, the oracle of the in-memory run. */
static int stream_check(const struct run_options *o, struct cli_problem *p, size_t batch,
                        struct hetsched__check_result *res)
{
	size_t rows = p->rows, nbatches = (rows + batch - 1) / batch, per = 256 / nbatches, n = 0;
	size_t in = p->dims[0], out = p->dims[p->nlayers], *ids;
	float *xs = NULL, *ys = NULL;
	hetsched_tensor_t *y;
	int rc = -1;

	if (per < 2)
		per = 2;
	ids = malloc(nbatches * per * sizeof(*ids));
	if (!ids)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for the check's rows");
	for (size_t b = 0; b < nbatches; b++) {
		size_t r0 = b * batch, len = rows - r0 < batch ? rows - r0 : batch;
		size_t k = per < len ? per : len;

		for (size_t t = 0; t < k; t++)
			ids[n++] = r0 + (k == 1 ? 0 : t * (len - 1) / (k - 1));
	}
	xs = malloc(n * in * sizeof(float));
	ys = malloc(n * out * sizeof(float));
	if (!xs || !ys) {
		hetsched__error(HETSCHED_ENOMEM, "out of memory for the check's rows");
		goto out;
	}
	if (hetsched__npy_read_rows(o->input, ids, n, in, xs) < 0 ||
	    hetsched__npy_read_rows(o->save, ids, n, out, ys) < 0)
		goto out;
	/* The sample stands for the problem: its rows as x, the output's as the last layer's. */
	y = p->net ? &p->y : &p->act[p->nlayers - 1];
	if (hetsched_tensor_from_host(&p->x, xs, n, in, in, n, in) < 0 ||
	    hetsched_tensor_from_host(y, ys, n, out, out, n, out) < 0 ||
	    hetsched_tensor_to_host(*y) < 0)
		goto out;
	p->rows = n;
	rc = cli_problem_check(p, res);
	p->rows = rows;
	/* A reference of every sampled row is still a sample of the output. */
	if (rc == 0 && !strcmp(res->method, "full"))
		res->method = "rows";
out:
	free(ids);
	free(xs);
	free(ys);
	return rc;
}

int run_stream(const struct run_options *o, struct cli_problem *p)
{
	struct hetsched__check_result check = {0};
	static char bus_message[4400];
	struct hetsched_stream_conf conf;
	struct hetsched_stream_stats st;
	struct stream_progress sp = {4 * p->dims[0]};
	struct hetsched_rank_info rank;
	size_t rows = p->rows, batch = o->batch_size < p->rows ? o->batch_size : p->rows;
	const char *what;
	double elapsed;
	uint64_t h2d, d2h;
	int rc;

	rc = cli_start_one_process(&o->workers, o->json || o->quiet, "run --batch-size");
	if (rc != EXIT_OK)
		return rc;
	/* An auto tile is chosen for one batch, the work each pass of the layers sees. */
	p->rows = batch;
	rc = cli_problem_create_layers(p, o->tile, &what);
	p->rows = rows;
	if (rc < 0) {
		cli_error("run", "%s: %s", what, hetsched_last_error());
		cli_problem_free(p);
		hetsched_shutdown();
		return EXIT_RUNTIME;
	}
	/* Interrupted, or the input shrinking under its mapping: no output, not even the
	 * temporary file. */
	snprintf(bus_message, sizeof(bus_message),
	         "hetsched: run: %s shrank while it was streamed (truncated?), no output written\n",
	         o->input);
	cli_signals_cleanup(hetsched_stream_remove_partial);
	cli_signals_catch_bus(bus_message);
	hetsched_stream_conf_init(&conf);
	conf.batch_rows = batch;
	conf.tile_rows = p->tile;
	if (!o->json && !o->quiet && isatty(STDERR_FILENO)) {
		conf.progress = stream_progress;
		conf.progress_ctx = &sp;
	}
	hetsched_stats_reset();
	rc = hetsched_stream_npy(p->layer, p->nlayers, o->input, o->save, &conf, &st);
	if (cli_progress_on_line) {
		fputs("\r\033[K", stderr);
		cli_progress_on_line = 0;
	}
	if (rc < 0 || hetsched_wait_all() < 0) {
		cli_error("run", "stream failed, no output written: %s", hetsched_last_error());
		cli_problem_free(p);
		hetsched_shutdown();
		return rc == HETSCHED_ESHAPE ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (o->check && stream_check(o, p, batch, &check) < 0) {
		cli_error("run", "check failed to run: %s", hetsched_last_error());
		cli_problem_free(p);
		hetsched_shutdown();
		return EXIT_RUNTIME;
	}
	elapsed = st.elapsed_s;
	h2d = st.h2d_bytes;
	d2h = st.d2h_bytes;
	hetsched_ranks_gather(&rank);
	{
		const char *residency = "stream";
		struct run_report report = {
		    .batch = rows,
		    .dims = p->dims,
		    .nlayers = p->nlayers,
		    .tile = p->tile,
		    .tile_auto = o->tile == 0,
		    .seed = o->seed,
		    .times = &elapsed,
		    .pass_s = &elapsed,
		    .repeat = 1,
		    .last_s = elapsed,
		    .save = o->save,
		    .ranks = &rank,
		    .nranks = 1,
		    .residency = &residency,
		    .h2d = &h2d,
		    .d2h = &d2h,
		    .stream = &st,
		    .input = o->input,
		    .batch_rows = batch,
		    .check = o->check ? &check : NULL,
		};

		if (o->trace && report_write_trace(o->trace) < 0)
			cli_error("run", "cannot write the trace: %s", hetsched_last_error());
		if (o->json)
			report_print_json(&report);
		else if (!o->quiet)
			report_print_text(&report);
	}
	cli_problem_free(p);
	hetsched_shutdown();
	if (o->check && !check.ok) {
		if (check.nonfinite_mismatch.count)
			cli_error(
			    "run",
			    "check FAILED: %zu NaN or infinite values of the sampled rows differ "
			    "from the reference",
			    check.nonfinite_mismatch.count);
		else
			cli_error("run",
			          "check FAILED: max relative error %.3g above tolerance %.3g",
			          check.max_rel_err, check.tolerance);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
