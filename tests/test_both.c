/* test_both.c: with one CPU worker and one OpenCL worker, one forward pass (2048^3, tile 256)
 * has tasks executed by the CPU worker AND by the OpenCL worker, as StarPU's per-task profiling
 * records them, under eager and under dmda after calibration; and the result is still right
 * (random projection against the double-precision oracle). */
#include "config.h"

#include "check.h"
#include "hs_test.h"

#define N 2048
#define TILE 256

/* Forward once; counts linear tasks per kind; returns the check's relative error. */
static double forward(hetsched_tensor_t x, hetsched_linear_t layer, size_t per_kind[3], int *ok)
{
	const struct hetsched_task_record *rec;
	struct hetsched__check_layer cl = {N, N, NULL, NULL, 0};
	struct hetsched__check_result res;
	hetsched_tensor_t y;
	const float *xd, *yd, *wd, *bd;
	size_t ldx, ldy, ldw, ldb, n;

	hetsched_stats_reset();
	HS_CHECK(hetsched_linear_forward(layer, x, &y));
	HS_CHECK(hetsched_tensor_to_host(y));
	HS_CHECK(hetsched_wait_all());
	n = hetsched_stats_records(&rec);
	per_kind[0] = per_kind[1] = per_kind[2] = 0;
	for (size_t i = 0; i < n; i++) {
		struct hetsched_worker_info info;

		HS_CHECK(hetsched_worker_get_info(rec[i].worker, &info));
		if (rec[i].op == HETSCHED_OP_LINEAR)
			per_kind[info.kind]++;
	}
	HS_CHECK(hetsched_tensor_data(y, &yd, &ldy));
	HS_CHECK(hetsched_tensor_to_host(x));
	HS_CHECK(hetsched_tensor_data(x, &xd, &ldx));
	HS_CHECK(hetsched_tensor_to_host(hetsched_linear_weight(layer)));
	HS_CHECK(hetsched_tensor_data(hetsched_linear_weight(layer), &wd, &ldw));
	HS_CHECK(hetsched_tensor_to_host(hetsched_linear_bias(layer)));
	HS_CHECK(hetsched_tensor_data(hetsched_linear_bias(layer), &bd, &ldb));
	cl.w = wd;
	cl.b = bd;
	HS_CHECK(hetsched__check_projection(xd, ldx, N, yd, ldy, &cl, 1, &res));
	*ok = res.ok;
	hetsched_tensor_destroy(y);
	return res.max_rel_err;
}

int main(void)
{
	static const char *const policies[] = {"eager", "dmda"};

	if (!hs_opencl_world())
		tap_skip_all("needs the CPU + OpenCL worker set (run as test_both.ocl)");
	tap_plan(4);
	for (int p = 0; p < 2; p++) {
		struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, -1.0f, 1.0f, 5, 0};
		hetsched_tensor_t x;
		hetsched_linear_t layer;
		size_t per_kind[3];
		double err = 0;
		int ok = 0;

		hs_start(policies[p], hs_cuda_world() ? HS_CPU_CUDA : HS_MIXED);
		HS_CHECK(hetsched_tensor_create(&x, N, N, TILE, TILE));
		HS_CHECK(hetsched_tensor_rand(x, &spec));
		HS_CHECK(hetsched_linear_create(&layer, N, N, HETSCHED_ACT_NONE, TILE, TILE));
		HS_CHECK(hetsched_linear_init_default(layer, 5, 0));
		/* dmda schedules by its performance models: calibrate them first (StarPU counts a
		 * model calibrated after 10 samples per worker kind and footprint). */
		for (int run = 0; run < (p == 1 ? 3 : 0); run++) {
			err = forward(x, layer, per_kind, &ok);
			tap_diag("dmda calibration run %d: cpu %zu, opencl %zu tasks", run,
			         per_kind[HETSCHED_KIND_CPU], per_kind[HETSCHED_KIND_OPENCL]);
		}
		err = forward(x, layer, per_kind, &ok);
		tap_ok(per_kind[HETSCHED_KIND_CPU] > 0 &&
		           per_kind[hs_cuda_world() ? HETSCHED_KIND_CUDA : HETSCHED_KIND_OPENCL] >
		               0,
		       "%s: linear tasks ran on both kinds: cpu %zu, opencl %zu, cuda %zu",
		       policies[p], per_kind[HETSCHED_KIND_CPU], per_kind[HETSCHED_KIND_OPENCL],
		       per_kind[HETSCHED_KIND_CUDA]);
		tap_ok(ok, "%s: result right (projection rel err %.3g)", policies[p], err);
		hetsched_tensor_destroy(x);
		hetsched_linear_destroy(layer);
		hetsched_shutdown();
	}
	return tap_done();
}
