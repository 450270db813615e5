/* problem.c: the tensors of one (size, tile) of the sweep: the input, the layers, the
 * activations of the current pass, and host copies of what the check reads (the input and the
 * last layer never change); the timed pass and its check. Kept apart so that the tool's shared
 * problem module can replace it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "check.h" /* hetsched__check_projection, until the shared problem module */

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

void bench_problem_release_pass(struct bench_problem *p)
{
	for (size_t l = 0; l < p->layers; l++) {
		hetsched_tensor_destroy(p->act[l]);
		p->act[l] = NULL;
	}
}

void bench_problem_free(struct bench_problem *p)
{
	bench_problem_release_pass(p);
	for (size_t l = 0; l < p->layers; l++)
		hetsched_linear_destroy(p->layer[l]);
	hetsched_tensor_destroy(p->x);
	free(p->x_host);
	free(p->w_host);
	free(p->b_host);
	memset(p, 0, sizeof(*p));
}

int bench_problem_setup(struct bench_problem *p, size_t n, size_t tile, size_t layers, uint64_t seed)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, seed, 0};

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->tile = tile;
	p->layers = layers;
	if (hetsched_tensor_create(&p->x, n, n, tile, tile) < 0 ||
	    hetsched_tensor_rand(p->x, &spec) < 0)
		return -1;
	for (size_t l = 0; l < layers; l++) {
		enum hetsched_activation act =
		    l + 1 < layers ? HETSCHED_ACT_RELU : HETSCHED_ACT_NONE;

		if (hetsched_linear_create(&p->layer[l], n, n, act, tile, tile) < 0 ||
		    hetsched_linear_init_default(p->layer[l], seed, (uint32_t)l) < 0)
			return -1;
	}
	if (hetsched_wait_all() < 0)
		return -1;
	/* The check's copies, taken once: gathering them again after every pass would move the
	 * weights back to main memory and change what the next pass has to transfer. */
	p->w_host = host_copy(hetsched_linear_weight(p->layer[layers - 1]));
	p->b_host = host_copy(hetsched_linear_bias(p->layer[layers - 1]));
	if (layers == 1)
		p->x_host = host_copy(p->x);
	if (!p->w_host || !p->b_host || (layers == 1 && !p->x_host))
		return -1;
	return 0;
}

/* One forward pass, timed from the first submission until the output is gathered on the host
 * (the tutorial's y.to("cpu")). The activations stay alive until bench_problem_release_pass(), so
 * that freeing them costs nothing inside the timed region. */
int bench_problem_pass(struct bench_problem *p, double *elapsed)
{
	hetsched_tensor_t cur = p->x;
	double t0 = cli_now_s();

	for (size_t l = 0; l < p->layers; l++) {
		if (hetsched_linear_forward(p->layer[l], cur, &p->act[l]) < 0)
			return -1;
		cur = p->act[l];
	}
	if (hetsched_tensor_to_host(cur) < 0)
		return -1;
	*elapsed = cli_now_s() - t0;
	/* Task callbacks (statistics) may still be running: let them finish. */
	return hetsched_wait_all();
}

/* The random-projection check of the last layer against its own input: O(N^2), so every timed
 * pass can afford it. */
int bench_problem_check(struct bench_problem *p, uint64_t seed, int *ok)
{
	struct hetsched__check_layer layer = {p->n, p->n, p->w_host, p->b_host, 0};
	struct hetsched__check_result res;
	const float *x = p->x_host, *y;
	size_t ldx = p->n, ldy;

	if (p->layers > 1) {
		hetsched_tensor_t in = p->act[p->layers - 2];

		if (hetsched_tensor_to_host(in) < 0 || hetsched_tensor_data(in, &x, &ldx) < 0)
			return -1;
	}
	if (hetsched_tensor_data(p->act[p->layers - 1], &y, &ldy) < 0 ||
	    hetsched__check_projection(x, ldx, p->n, y, ldy, &layer, seed, &res) < 0)
		return -1;
	*ok = res.ok;
	return 0;
}
