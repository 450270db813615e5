/* problem.c: the problem of run, bench and calibrate, from its description on the host to its
 * tensors, its timed passes and its check. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "problem.h"

void cli_problem_random(struct cli_problem *p, size_t rows, const size_t *dims, size_t nlayers,
                        enum hetsched_activation between, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->rows = rows;
	p->nlayers = nlayers < CLI_MAX_LAYERS ? nlayers : CLI_MAX_LAYERS;
	memcpy(p->dims, dims, (p->nlayers + 1) * sizeof(*dims));
	p->between = between;
	for (size_t l = 0; l < p->nlayers; l++)
		p->activation[l] = l + 1 < p->nlayers ? between : HETSCHED_ACT_NONE;
	p->seed = seed;
}

int cli_problem_load_input(struct cli_problem *p, const char *command, const char *path)
{
	size_t rows = 1;

	if (hetsched_npy_load_shape(path, &p->x_host, &p->x_ndim, p->x_shape) < 0) {
		cli_error(command, "%s", hetsched_last_error());
		return -1;
	}
	if (p->x_ndim == 0) {
		cli_error(command, "%s: a scalar (0-D array) is no input batch", path);
		return -1;
	}
	for (size_t d = 0; d + 1 < p->x_ndim; d++)
		rows *= p->x_shape[d];
	p->rows = rows;
	p->dims[0] = p->x_shape[p->x_ndim - 1];
	return 0;
}

/* x (rows x cols) read as its transpose, in place through a copy. */
static int transpose_input(struct cli_problem *p, const char *command)
{
	size_t r = p->rows, c = p->dims[0];
	float *t = malloc(r * c * sizeof(float));

	if (!t) {
		cli_error(command, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r; i++)
		for (size_t j = 0; j < c; j++)
			t[j * r + i] = p->x_host[i * c + j];
	free(p->x_host);
	p->x_host = t;
	p->rows = c;
	p->dims[0] = r;
	return 0;
}

int cli_problem_load_model(struct cli_problem *p, const char *command, const char *path,
                           struct hetsched_model_options *options, size_t batch)
{
	size_t n, rows, in, out, ndim, shape[HETSCHED_MODEL_MAX_NDIM];
	int transposed;

	if (p->x_host) {
		options->input_ndim = p->x_ndim;
		options->input_shape = p->x_shape;
	}
	options->batch = batch;
	if (hetsched_model_load_options(&p->model, path, options) < 0) {
		cli_error(command, "%s", hetsched_last_error());
		return -1;
	}
	n = hetsched_model_nlayers(p->model);
	if (n > CLI_MAX_LAYERS) {
		cli_error(command, "%s has %zu layers; at most %d are supported", path, n,
		          CLI_MAX_LAYERS);
		return -1;
	}
	hetsched__model_view(p->model, &rows, &in, &out, &transposed);
	p->nlayers = n;
	p->dims[0] = in;
	for (size_t l = 0; l < n; l++)
		hetsched_model_layer(p->model, l, NULL, &p->dims[l + 1], NULL, NULL);
	hetsched_model_shape(p->model, 1, &ndim, shape);
	if (rows) {
		/* ONNX: the model fixed the view of the data, rows x in (a loaded input has the
		 * shape the model was read for; its data are contiguous, so any view fits). */
		if (!p->x_host) {
			hetsched_model_shape(p->model, 0, &p->x_ndim, p->x_shape);
		} else if (transposed) {
			p->rows = p->x_shape[0];
			p->dims[0] = p->x_shape[1];
			if (transpose_input(p, command) < 0)
				return -1;
		}
		p->rows = rows;
		p->dims[0] = in;
		p->y_ndim = ndim;
		memcpy(p->y_shape, shape, ndim * sizeof(size_t));
		return 0;
	}
	/* Any rows: the output keeps the input's leading dimensions (1-D in, 1-D out). */
	if (!p->x_host) {
		p->x_ndim = 2;
		p->x_shape[0] = p->rows;
		p->x_shape[1] = in;
	}
	p->y_ndim = p->x_ndim;
	memcpy(p->y_shape, p->x_shape, p->x_ndim * sizeof(size_t));
	p->y_shape[p->y_ndim - 1] = out;
	return 0;
}

double cli_problem_bytes(const struct cli_problem *p)
{
	double bytes = 4.0 * p->rows * p->dims[0];

	for (size_t l = 0; l < p->nlayers; l++) {
		bytes += 4.0 * (p->dims[l] * p->dims[l + 1] + p->dims[l + 1]);
		bytes += 4.0 * p->rows * p->dims[l + 1];
	}
	if (p->model)
		for (size_t l = 0; l < p->nlayers; l++)
			bytes += 4.0 * (p->dims[l] * p->dims[l + 1] + p->dims[l + 1]);
	if (p->x_host)
		bytes += 4.0 * p->rows * p->dims[0];
	return bytes;
}

size_t cli_problem_largest(const struct cli_problem *p)
{
	size_t largest = p->rows;

	for (size_t l = 0; l <= p->nlayers; l++)
		largest = p->dims[l] > largest ? p->dims[l] : largest;
	return largest;
}

/* --tile auto: square tiles, large enough for BLAS efficiency (CPU tasks of a few to tens of
 * milliseconds, as StarPU advises), small enough to give every worker several output tiles.
 * Beside OpenCL workers (no CUDA), 16 output tiles per worker instead of 4: an OpenCL device
 * may be many times slower than a CPU core (PoCL: about 15 times), and a tile it holds delays
 * the k chain of its output tile by that much, so its tiles must be a small part of the run
 * (1 CPU + 1 PoCL worker, 2048: tile 256 ran at 0.9-1.0 of the CPU alone, tile 512 at 0.7).
 * With CUDA workers the tiles are cut for the GPUs alone, from 4096 down to 16 output tiles per
 * GPU: cuBLAS needs large tiles to reach its peak, fewer tiles move less, and 16 per GPU let
 * the results travel home while the GPU computes. The CPU workers are not counted: a GPU does
 * the work of tens of cores, and dmda gives a core a tile only when it would finish it first.
 * Measured on an H200 beside 15 cores (dmda, host to host): N=8192, tile 2048 0.027 s, tile 1024
 * (what counting the cores gave) 0.040 s; N=16384, tile 4096 0.193 s, tile 2048 0.204 s. */
size_t cli_auto_tile(size_t rows, const size_t *dims, size_t nlayers)
{
	int ncuda = hetsched_worker_count_kind(HETSCHED_KIND_CUDA);
	int nopencl = hetsched_worker_count_kind(HETSCHED_KIND_OPENCL);
	/* 16-bit storage runs one task per output tile with every k tile in it (linear16), in/tile
	 * times longer than a task of f32: 16 output tiles per worker, so that the last tasks
	 * do not leave the other workers idle. */
	const int whole_k = hetsched__dtype() != HETSCHED_DTYPE_F32;
	size_t want = ncuda ? 16 * (size_t)ncuda
	                    : (nopencl || whole_k ? 16 : 4) * (size_t)hetsched_worker_count();
	size_t largest = rows, tile = ncuda ? 4096 : 1024;

	for (size_t l = 0; l <= nlayers; l++)
		largest = dims[l] > largest ? dims[l] : largest;
	/* At least `want` output tiles on the last layer. */
	while (tile > 256) {
		size_t tiles = ((rows + tile - 1) / tile) * ((dims[nlayers] + tile - 1) / tile);

		if (tiles >= want)
			break;
		tile /= 2;
	}
	return tile < largest ? tile : largest;
}

/* ------------------------------------------------------------------ tensors */

int cli_problem_create(struct cli_problem *p, size_t tile, const char **what)
{
	p->tile = tile ? tile : cli_auto_tile(p->rows, p->dims, p->nlayers);
	tile = p->tile;
	/* Input and weights: generated where the policy puts their tiles, or copied in. */
	*what = "cannot create the input";
	if (p->x_host) {
		if (hetsched_tensor_from_host(&p->x, p->x_host, p->rows, p->dims[0], p->dims[0],
		                              tile, tile) < 0)
			return -1;
		free(p->x_host);
		p->x_host = NULL;
	} else {
		struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, p->seed, 0};

		if (hetsched_tensor_create(&p->x, p->rows, p->dims[0], tile, tile) < 0 ||
		    hetsched_tensor_rand(p->x, &spec) < 0)
			return -1;
	}
	return cli_problem_create_layers(p, tile, what);
}

int cli_problem_create_layers(struct cli_problem *p, size_t tile, const char **what)
{
	p->tile = tile ? tile : cli_auto_tile(p->rows, p->dims, p->nlayers);
	tile = p->tile;
	if (p->model) {
		/* The host model stays: the check reads it. */
		*what = "cannot create the model";
		if (hetsched_net_create(&p->net, p->model, tile) < 0)
			return -1;
		for (size_t l = 0; l < p->nlayers; l++)
			p->layer[l] = hetsched_net_layer(p->net, l);
	} else {
		for (size_t l = 0; l < p->nlayers; l++) {
			*what = "cannot create a layer";
			if (hetsched_linear_create(&p->layer[l], p->dims[l], p->dims[l + 1],
			                           p->activation[l], tile, tile) < 0)
				return -1;
			*what = "cannot initialise a layer";
			if (hetsched_linear_init_default(p->layer[l], p->seed, (uint32_t)l) < 0)
				return -1;
		}
	}
	*what = "cannot create the problem";
	return hetsched_wait_all();
}

static float *host_copy(hetsched_tensor_t t)
{
	const float *data;
	size_t rows, cols, ld;
	float *copy;

	hetsched_tensor_shape(t, &rows, &cols, NULL, NULL);
	if (hetsched_tensor_to_host(t) < 0 || hetsched_tensor_data(t, &data, &ld) < 0)
		return NULL;
	copy = malloc(rows * cols * sizeof(float));
	if (!copy)
		return NULL;
	for (size_t r = 0; r < rows; r++)
		memcpy(copy + r * cols, data + r * ld, cols * sizeof(float));
	return copy;
}

int cli_problem_keep_check_copies(struct cli_problem *p)
{
	hetsched_linear_t last = p->layer[p->nlayers - 1];

	p->w_copy = host_copy(hetsched_linear_weight(last));
	p->b_copy = host_copy(hetsched_linear_bias(last));
	if (p->nlayers == 1)
		p->x_copy = host_copy(p->x);
	return p->w_copy && p->b_copy && (p->nlayers > 1 || p->x_copy) ? 0 : -1;
}

void cli_problem_release_pass(struct cli_problem *p)
{
	hetsched_tensor_destroy(p->y);
	p->y = NULL;
	for (size_t l = 0; l < p->nlayers; l++) {
		hetsched_tensor_destroy(p->act[l]);
		p->act[l] = NULL;
	}
}

int cli_problem_pass(struct cli_problem *p, double *elapsed_s)
{
	hetsched_tensor_t cur = p->x;
	double t0;

	cli_problem_release_pass(p);
	t0 = hetsched_time_s();
	if (p->net) {
		if (hetsched_net_forward(p->net, p->x, &p->y) < 0)
			return -1;
		cur = p->y;
	}
	for (size_t l = 0; !p->net && l < p->nlayers; l++) {
		if (hetsched_linear_forward(p->layer[l], cur, &p->act[l]) < 0)
			return -1;
		cur = p->act[l];
	}
	if (hetsched_tensor_to_host(cur) < 0)
		return -1;
	*elapsed_s = hetsched_time_s() - t0;
	/* Task callbacks (statistics) may still be running: let them finish. */
	return hetsched_wait_all();
}

int cli_problem_evict(struct cli_problem *p)
{
	if (hetsched_tensor_evict(p->x) < 0)
		return -1;
	for (size_t l = 0; l < p->nlayers; l++)
		if (hetsched_tensor_evict(hetsched_linear_weight(p->layer[l])) < 0 ||
		    hetsched_tensor_evict(hetsched_linear_bias(p->layer[l])) < 0)
			return -1;
	return hetsched_wait_all();
}

static int read_x_copy(void *ctx, size_t row0, size_t rows, float *dst)
{
	const struct cli_problem *p = ctx;

	memcpy(dst, p->x_copy + row0 * p->dims[0], rows * p->dims[0] * sizeof(float));
	return 0;
}

static int write_y_stream(void *ctx, size_t row0, size_t rows, const float *src)
{
	const struct cli_problem *p = ctx;
	size_t out = p->dims[p->nlayers];

	memcpy(p->y_stream + row0 * out, src, rows * out * sizeof(float));
	return 0;
}

int cli_problem_stream_pass(struct cli_problem *p, size_t batch, double *elapsed_s, uint64_t *h2d,
                            uint64_t *d2h)
{
	struct hetsched_stream_conf conf;
	struct hetsched_stream_stats st;

	if (!p->x_copy)
		return hetsched__error(HETSCHED_ESTATE, "a streamed pass reads x's host copy");
	if (!p->y_stream) {
		p->y_stream = malloc(p->rows * p->dims[p->nlayers] * sizeof(float));
		if (!p->y_stream)
			return hetsched__error(HETSCHED_ENOMEM, "out of memory for y");
	}
	hetsched_stream_conf_init(&conf);
	conf.batch_rows = batch;
	conf.tile_rows = p->tile;
	if (hetsched_stream_run(p->layer, p->nlayers, p->rows, read_x_copy, write_y_stream, p,
	                        &conf, &st) < 0)
		return -1;
	*elapsed_s = st.elapsed_s;
	*h2d = st.h2d_bytes;
	*d2h = st.d2h_bytes;
	return hetsched_wait_all();
}

hetsched_tensor_t cli_problem_output(const struct cli_problem *p)
{
	if (p->net)
		return p->y;
	return p->nlayers ? p->act[p->nlayers - 1] : NULL;
}

void cli_problem_free(struct cli_problem *p)
{
	cli_problem_release_pass(p);
	for (size_t l = 0; !p->net && l < p->nlayers; l++)
		hetsched_linear_destroy(p->layer[l]);
	hetsched_net_destroy(p->net);
	hetsched_tensor_destroy(p->x);
	hetsched_model_destroy(p->model);
	free(p->x_host);
	free(p->x_copy);
	free(p->w_copy);
	free(p->b_copy);
	free(p->y_stream);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ checks */

/* The oracle (codelets/check.c) returns a bare code: word it here. */
static int oracle(int rc)
{
	return rc == HETSCHED_ENOMEM ? hetsched__error(rc, "out of memory for the reference check")
	                             : rc;
}

/* The random model's layers as the oracle's steps, from their gathered tensors. */
static int random_steps(struct cli_problem *p, struct hetsched__step *steps, size_t *nsteps)
{
	*nsteps = 0;
	for (size_t l = 0; l < p->nlayers; l++) {
		struct hetsched__step *s = &steps[(*nsteps)++];
		enum hetsched_activation act = p->activation[l];
		const float *wd, *bd;
		size_t ld;

		if (hetsched_tensor_data(hetsched_linear_weight(p->layer[l]), &wd, &ld) < 0 ||
		    hetsched_tensor_data(hetsched_linear_bias(p->layer[l]), &bd, &ld) < 0)
			return -1;
		memset(s, 0, sizeof(*s));
		s->kind = HETSCHED_STEP_LINEAR;
		s->in = p->dims[l];
		s->out = p->dims[l + 1];
		s->w = (float *)wd;
		s->b = (float *)bd;
		s->bias_rows = 1;
		hetsched__activation_prog(act, &s->prog);
		if (act == HETSCHED_ACT_SOFTMAX || act == HETSCHED_ACT_LOG_SOFTMAX) {
			s = &steps[(*nsteps)++];
			memset(s, 0, sizeof(*s));
			s->kind = act == HETSCHED_ACT_SOFTMAX ? HETSCHED_STEP_SOFTMAX
			                                      : HETSCHED_STEP_LOG_SOFTMAX;
			s->in = s->out = p->dims[l + 1];
		}
	}
	return 0;
}

int cli_problem_check(struct cli_problem *p, struct hetsched__check_result *res)
{
	struct hetsched__step own[2 * CLI_MAX_LAYERS];
	const struct hetsched__step *steps = own;
	hetsched_tensor_t y = cli_problem_output(p);
	const float *xdata, *ydata;
	size_t ldx, ldy, rows = p->rows, nsteps;
	double flops = 0;
	/* The oracle stores and rounds as the run's dtype and precision do. */
	const struct hetsched__check_mode mode = {(uint32_t)hetsched__dtype(),
	                                          (uint32_t)hetsched__precision()};

	/* Gathering is collective under MPI: every rank takes part, rank 0 alone checks. */
	if (hetsched_tensor_to_host(p->x) < 0)
		return -1;
	for (size_t l = 0; !p->model && l < p->nlayers; l++)
		if (hetsched_tensor_to_host(hetsched_linear_weight(p->layer[l])) < 0 ||
		    hetsched_tensor_to_host(hetsched_linear_bias(p->layer[l])) < 0)
			return -1;
	if (hetsched_rank() != 0)
		return 0;
	if (hetsched_tensor_data(p->x, &xdata, &ldx) < 0 ||
	    hetsched_tensor_data(y, &ydata, &ldy) < 0)
		return -1;
	/* A loaded model: its host copy, as read from the file; a random one: its tensors. */
	if (p->model)
		steps = hetsched__model_steps(p->model, &nsteps);
	else if (random_steps(p, own, &nsteps) < 0)
		return -1;
	for (size_t l = 0; l < p->nlayers; l++)
		flops += 2.0 * rows * p->dims[l] * p->dims[l + 1];
	if (nsteps == 0) {
		/* Nothing but reshapes: y must be x, as an empty element-wise step says. */
		memset(own, 0, sizeof(own[0]));
		own[0].kind = HETSCHED_STEP_EPILOGUE;
		own[0].in = own[0].out = p->dims[0];
		steps = own;
		nsteps = 1;
	}
	if (flops <= 4e8)
		return oracle(hetsched__check_chain_mode(xdata, ldx, rows, ydata, ldy, steps,
		                                         nsteps, NULL, 0, &mode, res));
	if (nsteps == 1 && steps[0].kind == HETSCHED_STEP_LINEAR && steps[0].prog.n == 0 &&
	    steps[0].bias_rows == 1) {
		struct hetsched__check_layer L = {steps[0].in, steps[0].out, steps[0].w, steps[0].b,
		                                  0};

		return oracle(hetsched__check_projection_mode(xdata, ldx, rows, ydata, ldy, &L,
		                                              p->seed ^ 0x5eed, &mode, res));
	}
	{
		/* Rows spread over the batch, the first and the last included. */
		size_t n = rows < 256 ? rows : 256, ids[256];

		for (size_t i = 0; i < n; i++)
			ids[i] = n == 1 ? 0 : i * (rows - 1) / (n - 1);
		return oracle(hetsched__check_chain_mode(xdata, ldx, rows, ydata, ldy, steps,
		                                         nsteps, ids, n, &mode, res));
	}
}

int cli_problem_check_projection(struct cli_problem *p, uint64_t seed,
                                 struct hetsched__check_result *res)
{
	size_t last = p->nlayers - 1;
	struct hetsched__check_layer layer = {p->dims[last], p->dims[last + 1], p->w_copy,
	                                      p->b_copy, 0};
	const float *x = p->x_copy, *y;
	size_t ldx = p->dims[0], ldy;

	if (p->nlayers > 1) {
		hetsched_tensor_t in = p->act[p->nlayers - 2];

		if (hetsched_tensor_to_host(in) < 0 || hetsched_tensor_data(in, &x, &ldx) < 0)
			return -1;
	}
	if (p->y_stream) {
		y = p->y_stream;
		ldy = p->dims[p->nlayers];
	} else if (hetsched_tensor_data(cli_problem_output(p), &y, &ldy) < 0) {
		return -1;
	}
	{
		const struct hetsched__check_mode mode = {(uint32_t)hetsched__dtype(),
		                                          (uint32_t)hetsched__precision()};

		return oracle(hetsched__check_projection_mode(x, ldx, p->rows, y, ldy, &layer, seed,
		                                              &mode, res));
	}
}
