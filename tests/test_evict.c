/* test_evict.c: an OpenCL device whose memory (STARPU_LIMIT_OPENCL_MEM) is smaller than the
 * problem: StarPU evicts tiles to main memory and brings them back, and the results are still
 * right, for one layer (projection check) and for a 2-layer MLP (reference rows). */
#include "config.h"

#include "check.h"
#include "hs_test.h"

#define N 1024
#define TILE 256

int main(void)
{
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, -1.0f, 1.0f, 9, 0};
	struct hetsched__check_layer cl[2];
	struct hetsched__check_result res;
	hetsched_tensor_t x, h, y;
	hetsched_linear_t l1, l2;
	const float *xd, *yd, *hd, *w1, *b1, *w2, *b2;
	size_t ld, ldx, ldy, ldh;
	size_t rows[8];

	if (!hs_opencl_world())
		tap_skip_all("needs the OpenCL worker (run as test_evict.ocl)");
	/* x, h, y and two weights of 1024 x 1024 floats: 20 MiB; the device gets 6 MiB. */
	setenv("STARPU_LIMIT_OPENCL_MEM", "6", 1);
	setenv("STARPU_LIMIT_CUDA_MEM", "6", 1);
	tap_plan(2);
	hs_start("dmda", hs_cuda_world() ? HS_CUDA_ONLY : HS_OPENCL_ONLY);
	HS_CHECK(hetsched_tensor_create(&x, N, N, TILE, TILE));
	HS_CHECK(hetsched_tensor_rand(x, &spec));
	HS_CHECK(hetsched_linear_create(&l1, N, N, HETSCHED_ACT_RELU, TILE, TILE));
	HS_CHECK(hetsched_linear_create(&l2, N, N, HETSCHED_ACT_NONE, TILE, TILE));
	HS_CHECK(hetsched_linear_init_default(l1, 9, 0));
	HS_CHECK(hetsched_linear_init_default(l2, 9, 1));
	HS_CHECK(hetsched_linear_forward(l1, x, &h));
	HS_CHECK(hetsched_linear_forward(l2, h, &y));
	HS_CHECK(hetsched_tensor_to_host(y));
	HS_CHECK(hetsched_tensor_to_host(h));
	HS_CHECK(hetsched_tensor_to_host(x));
	HS_CHECK(hetsched_tensor_data(y, &yd, &ldy));
	HS_CHECK(hetsched_tensor_data(h, &hd, &ldh));
	HS_CHECK(hetsched_tensor_data(x, &xd, &ldx));
	HS_CHECK(hetsched_tensor_to_host(hetsched_linear_weight(l1)));
	HS_CHECK(hetsched_tensor_data(hetsched_linear_weight(l1), &w1, &ld));
	HS_CHECK(hetsched_tensor_to_host(hetsched_linear_bias(l1)));
	HS_CHECK(hetsched_tensor_data(hetsched_linear_bias(l1), &b1, &ld));
	HS_CHECK(hetsched_tensor_to_host(hetsched_linear_weight(l2)));
	HS_CHECK(hetsched_tensor_data(hetsched_linear_weight(l2), &w2, &ld));
	HS_CHECK(hetsched_tensor_to_host(hetsched_linear_bias(l2)));
	HS_CHECK(hetsched_tensor_data(hetsched_linear_bias(l2), &b2, &ld));

	/* The second layer alone, by projection over all rows (no activation after it). */
	cl[1] = (struct hetsched__check_layer){N, N, w2, b2, 0};
	HS_CHECK(hetsched__check_projection(hd, ldh, N, yd, ldy, &cl[1], 3, &res));
	tap_ok(res.ok, "layer 2 under eviction: projection rel err %.3g (tolerance %.3g)",
	       res.max_rel_err, res.tolerance);
	/* The whole MLP on 8 rows spread over the batch, in double. */
	cl[0] = (struct hetsched__check_layer){N, N, w1, b1, 1};
	for (int i = 0; i < 8; i++)
		rows[i] = (size_t)i * (N - 1) / 7;
	HS_CHECK(hetsched__check_rows(xd, ldx, N, yd, ldy, cl, 2, rows, 8, &res));
	tap_ok(res.ok, "2-layer MLP under eviction: rel err %.3g on %zu values", res.max_rel_err,
	       res.checked);
	hetsched_tensor_destroy(y);
	hetsched_tensor_destroy(h);
	hetsched_tensor_destroy(x);
	hetsched_linear_destroy(l1);
	hetsched_linear_destroy(l2);
	hetsched_shutdown();
	return tap_done();
}
