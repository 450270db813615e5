/* test_linear.c: forward passes against the plain reference kernel (double accumulation):
 * max |y - ref| / max |ref| <= 1e-4 on 1x1, 3x3, a shape no tile divides, a tall-skinny batch,
 * with and without ReLU, and a 3-layer MLP, on every worker set of the test's world. */
#include "config.h"

#include "hs_test.h"
#include "reference.h"

struct shape {
	size_t batch, in, out, tile;
	enum hetsched_activation act;
};

/* One layer: returns the relative error against the reference. */
static double one_layer(const struct shape *s, uint64_t seed)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, -1.0f, 1.0f, seed, 0};
	hetsched_tensor_t x, y;
	hetsched_linear_t layer;
	float *xh, *wh, *bh, *yh, *ref;
	double err, abs_err;

	HS_CHECK(hetsched_tensor_create(&x, s->batch, s->in, s->tile, s->tile));
	HS_CHECK(hetsched_tensor_rand(x, &spec));
	HS_CHECK(hetsched_linear_create(&layer, s->in, s->out, s->act, s->tile, s->tile));
	HS_CHECK(hetsched_linear_init_default(layer, seed, 0));
	HS_CHECK(hetsched_linear_forward(layer, x, &y));
	yh = hs_gather(y);
	xh = hs_gather(x);
	wh = hs_gather(hetsched_linear_weight(layer));
	bh = hs_gather(hetsched_linear_bias(layer));
	ref = malloc(s->batch * s->out * sizeof(float));
	hetsched__ref_linear(xh, s->in, wh, s->in, bh, ref, s->out, s->batch, s->out, s->in,
	                     s->act == HETSCHED_ACT_RELU);
	err = hs_max_rel_err(yh, ref, s->batch * s->out, &abs_err);
	tap_diag("%zux%zu -> %zu tile %zu: max abs err %.3g, max rel err %.3g", s->batch, s->in,
	         s->out, s->tile, abs_err, err);
	free(xh);
	free(wh);
	free(bh);
	free(yh);
	free(ref);
	hetsched_tensor_destroy(y);
	hetsched_tensor_destroy(x);
	hetsched_linear_destroy(layer);
	return err;
}

/* A 3-layer MLP, ReLU between layers; the reference chains the reference kernel. */
static double mlp(size_t batch, const size_t *dims, size_t tile)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 11, 0};
	hetsched_linear_t layers[3];
	hetsched_tensor_t x, cur;
	float *ref, *yh;
	double err;

	HS_CHECK(hetsched_tensor_create(&x, batch, dims[0], tile, tile));
	HS_CHECK(hetsched_tensor_rand(x, &spec));
	cur = x;
	ref = hs_gather(x);
	HS_CHECK(hetsched_tensor_to_host(x));
	for (int l = 0; l < 3; l++) {
		hetsched_tensor_t next;
		float *wh, *bh, *out;

		HS_CHECK(hetsched_linear_create(&layers[l], dims[l], dims[l + 1],
		                                l < 2 ? HETSCHED_ACT_RELU : HETSCHED_ACT_NONE, tile,
		                                tile));
		HS_CHECK(hetsched_linear_init_default(layers[l], 11, (uint32_t)l));
		HS_CHECK(hetsched_linear_forward(layers[l], cur, &next));
		if (cur != x)
			hetsched_tensor_destroy(cur);
		cur = next;
		wh = hs_gather(hetsched_linear_weight(layers[l]));
		bh = hs_gather(hetsched_linear_bias(layers[l]));
		out = malloc(batch * dims[l + 1] * sizeof(float));
		hetsched__ref_linear(ref, dims[l], wh, dims[l], bh, out, dims[l + 1], batch,
		                     dims[l + 1], dims[l], l < 2);
		free(ref);
		free(wh);
		free(bh);
		ref = out;
	}
	yh = hs_gather(cur);
	err = hs_max_rel_err(yh, ref, batch * dims[3], NULL);
	free(yh);
	free(ref);
	hetsched_tensor_destroy(cur);
	hetsched_tensor_destroy(x);
	for (int l = 0; l < 3; l++)
		hetsched_linear_destroy(layers[l]);
	return err;
}

int main(void)
{
	static const struct shape shapes[] = {
	    {1, 1, 1, 1, HETSCHED_ACT_NONE},          {3, 3, 3, 2, HETSCHED_ACT_NONE},
	    {3, 3, 3, 3, HETSCHED_ACT_RELU},          {1000, 777, 333, 128, HETSCHED_ACT_NONE},
	    {1000, 777, 333, 128, HETSCHED_ACT_RELU}, {100000, 16, 8, 4096, HETSCHED_ACT_NONE},
	    {512, 1024, 256, 256, HETSCHED_ACT_RELU},
	};
	static const size_t dims[4] = {300, 200, 100, 10};
	const size_t nshapes = sizeof(shapes) / sizeof(shapes[0]);
	enum hs_workers sets[3];
	int nsets = hs_worker_sets(sets);

	tap_plan(nsets * (int)(nshapes + 1));
	for (int s = 0; s < nsets; s++) {
		hs_start("dmda", sets[s]);
		for (size_t i = 0; i < nshapes; i++) {
			double err = one_layer(&shapes[i], 100 + i);

			tap_ok(err <= 1e-4,
			       "%s: %zux%zu -> %zu, tile %zu%s: max rel err %.3g <= 1e-4",
			       hs_workers_name(sets[s]), shapes[i].batch, shapes[i].in,
			       shapes[i].out, shapes[i].tile,
			       shapes[i].act == HETSCHED_ACT_RELU ? ", relu" : "", err);
		}
		{
			double err = mlp(257, dims, 64);

			tap_ok(err <= 1e-4,
			       "%s: 3-layer MLP 257x300->200->100->10, tile 64: max rel "
			       "err %.3g <= 1e-4",
			       hs_workers_name(sets[s]), err);
		}
		hetsched_shutdown();
	}
	return tap_done();
}
