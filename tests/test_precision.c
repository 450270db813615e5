/* test_precision.c: a linear layer in every mode of storage (f32, bf16, f16) and products (fp32,
 * tf32, bf16, fp16) on every worker set of the world: y against the --check oracle (plain double
 * loops fed with x and the weights as the mode stores and rounds them, check.c), inside the
 * mode's documented tolerance, with the activations that run fused (relu, gelu), as a step of
 * their own (tanh through the epilogue codelet) and row-wise (softmax); and the same oracle
 * refuses y once one element of it is off by a tenth of its row's largest value. A worker set
 * whose devices cannot compute the mode yet (codelets.h) must get HETSCHED_ENODEV. Row tiles
 * of 16 rows, or one of 530 (the CPU kernel's panels); k tiles of 64 or 290. */
#include "config.h"

#include "check.h"
#include "hs_numerics.h"
#include "internal.h"

#define IN 300
#define OUT 45

static const enum hetsched_activation acts[] = {HETSCHED_ACT_NONE, HETSCHED_ACT_RELU,
                                                HETSCHED_ACT_GELU, HETSCHED_ACT_SOFTMAX};

/* One forward pass through the library: 0, or the error of the forward call. */
static int forward(enum hetsched_activation act, int tanh_step, size_t rows, size_t tile_rows,
                   size_t tile_in, float **x, float **w, float **b, float **y)
{
	hetsched_linear_t l;
	hetsched_tensor_t xt, yt;
	const struct hetsched_rand_spec spec = {HETSCHED_DIST_NORMAL, 0.5f, 1.0f, 11, 40};
	int rc;

	/* Tiles of 16 x tile_in (k tiles of 64 and 44, or 290, across the CPU kernel's slices
	 * of 256, and 10), output tiles of 32 (and 13). */
	HS_CHECK(hetsched_linear_create(&l, IN, OUT, act, 32, tile_in));
	HS_CHECK(hetsched_tensor_create(&xt, rows, IN, tile_rows, tile_in));
	/* rand on 16-bit storage and the forward pass may both be refused. */
	rc = hetsched_tensor_rand(xt, &spec);
	if (rc == 0)
		rc = hetsched_linear_init_default(l, 5, 0);
	if (rc == 0)
		rc = hetsched_linear_forward(l, xt, &yt);
	if (rc == 0 && tanh_step) {
		struct hetsched_ew_prog prog;

		HS_CHECK(hetsched__activation_prog(HETSCHED_ACT_TANH, &prog));
		HS_CHECK(hetsched__epilogue_submit(yt, &prog, NULL));
	}
	if (rc == 0) {
		*x = hs_gather(xt);
		*w = hs_gather(hetsched_linear_weight(l));
		*b = hs_gather(hetsched_linear_bias(l));
		*y = hs_gather(yt);
		hetsched_tensor_destroy(yt);
	}
	hetsched_tensor_destroy(xt);
	hetsched_linear_destroy(l);
	return rc;
}

int main(void)
{
	enum hs_workers sets[3];
	int nsets = hs_worker_sets(sets), plan = 0;

	for (int s = 0; s < nsets; s++)
		for (int d = 0; d < HETSCHED_NDTYPES; d++)
			for (int p = 0; p < HETSCHED_NPRECISIONS; p++)
				plan += hs_numerics_nodev(sets[s], d, p) ? 1 : 2;
	tap_plan(plan);
	for (int s = 0; s < nsets; s++)
		for (int d = 0; d < HETSCHED_NDTYPES; d++)
			for (int p = 0; p < HETSCHED_NPRECISIONS; p++) {
				const enum hetsched_activation act = acts[(d + p) % 4];
				const int tanh_step = (d + p) % 3 == 0;
				/* One tile of 530 rows: the CPU kernel's panels of 256 rows. */
				const size_t rows = (d + p) % 3 == 1 ? 530 : 37;
				const struct hetsched__check_mode mode = {(uint32_t)d, (uint32_t)p};
				struct hetsched__step steps[3];
				struct hetsched__check_result res;
				size_t nsteps = 1;
				float *x = NULL, *w = NULL, *b = NULL, *y = NULL;
				char name[96];
				int rc;

				snprintf(name, sizeof(name), "%s, %s storage, %s products, %s%s",
				         hs_workers_name(sets[s]), hetsched_dtype_name(d),
				         hetsched_precision_name(p),
				         act == HETSCHED_ACT_NONE   ? "no activation"
				         : act == HETSCHED_ACT_RELU ? "relu"
				         : act == HETSCHED_ACT_GELU ? "gelu"
				                                    : "softmax",
				         tanh_step ? " then tanh" : "");
				hs_start_numerics("dmda", sets[s], d, p);
				rc = forward(act, tanh_step, rows, rows > 37 ? rows : 16,
				             (d + p) % 2 ? 290 : 64, &x, &w, &b, &y);
				if (hs_numerics_nodev(sets[s], d, p)) {
					tap_ok(rc == HETSCHED_ENODEV, "%s: refused (%s)", name,
					       hetsched_last_error());
					hetsched_shutdown();
					continue;
				}
				HS_CHECK(rc);
				memset(steps, 0, sizeof(steps));
				steps[0].kind = HETSCHED_STEP_LINEAR;
				steps[0].in = IN;
				steps[0].out = OUT;
				steps[0].w = w;
				steps[0].b = b;
				steps[0].bias_rows = 1;
				HS_CHECK(hetsched__activation_prog(act, &steps[0].prog));
				if (act == HETSCHED_ACT_SOFTMAX) {
					steps[nsteps].kind = HETSCHED_STEP_SOFTMAX;
					steps[nsteps].in = steps[nsteps].out = OUT;
					nsteps++;
				}
				if (tanh_step) {
					steps[nsteps].kind = HETSCHED_STEP_EPILOGUE;
					steps[nsteps].in = steps[nsteps].out = OUT;
					HS_CHECK(hetsched__activation_prog(HETSCHED_ACT_TANH,
					                                   &steps[nsteps].prog));
					nsteps++;
				}
				HS_CHECK(hetsched__check_chain_mode(x, IN, rows, y, OUT, steps,
				                                    nsteps, NULL, 0, &mode, &res));
				tap_ok(res.ok, "%s: max rel err %.3g <= %.3g (max abs %.3g)", name,
				       res.max_rel_err, res.tolerance, res.max_abs_err);
				{
					/* One element off by a tenth of its row's largest value. */
					float mx = 0;

					for (size_t c = 0; c < OUT; c++)
						mx = fabsf(y[5 * OUT + c]) > mx
						         ? fabsf(y[5 * OUT + c])
						         : mx;
					y[5 * OUT + 7] += 0.1f * mx;
					HS_CHECK(hetsched__check_chain_mode(x, IN, rows, y, OUT,
					                                    steps, nsteps, NULL, 0,
					                                    &mode, &res));
					tap_ok(!res.ok,
					       "%s: an error of 0.1 is caught (%.3g > %.3g)", name,
					       res.max_rel_err, res.tolerance);
				}
				free(x);
				free(w);
				free(b);
				free(y);
				hetsched_shutdown();
			}
	return tap_done();
}
