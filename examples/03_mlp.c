/* 03_mlp.c: a 3-layer MLP (784 -> 256 -> 128 -> 10, ReLU between layers) over a batch of 2048
 * random inputs, as a classifier of MNIST-sized images would run; prints the time, and for the
 * first rows of the batch the output row and its arg max (the predicted class). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <hetsched.h>

#define BATCH 2048
#define TILE 256

#define CALL(expr)                                                                                 \
	do {                                                                                       \
		if ((expr) < 0) {                                                                  \
			fprintf(stderr, "%s failed: %s\n", #expr, hetsched_last_error());          \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

int main(void)
{
	static const size_t dims[4] = {784, 256, 128, 10};
	struct hetsched_conf conf;
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 3, 0};
	hetsched_linear_t layers[3];
	hetsched_tensor_t x, cur;
	struct timespec t0, t1;
	const float *y;
	size_t ld;

	hetsched_conf_init(&conf);
	conf.quiet = 1;
	CALL(hetsched_init(&conf));
	CALL(hetsched_tensor_create(&x, BATCH, dims[0], TILE, TILE));
	CALL(hetsched_tensor_rand(x, &spec));
	for (int l = 0; l < 3; l++) {
		CALL(hetsched_linear_create(&layers[l], dims[l], dims[l + 1],
		                            l < 2 ? HETSCHED_ACT_RELU : HETSCHED_ACT_NONE, TILE,
		                            TILE));
		CALL(hetsched_linear_init_default(layers[l], 3, (uint32_t)l));
	}
	CALL(hetsched_wait_all());

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cur = x;
	for (int l = 0; l < 3; l++) {
		hetsched_tensor_t next;

		CALL(hetsched_linear_forward(layers[l], cur, &next));
		if (cur != x)
			hetsched_tensor_destroy(cur);
		cur = next;
	}
	CALL(hetsched_tensor_to_host(cur));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CALL(hetsched_tensor_data(cur, &y, &ld));

	printf("MLP 784 -> 256 -> 128 -> 10 over %d rows: %.2f ms\n", BATCH,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) * 1e-6);
	for (int r = 0; r < 3; r++) {
		int best = 0;

		printf("row %d:", r);
		for (int c = 0; c < 10; c++) {
			printf(" %.4f", y[r * ld + c]);
			best = y[r * ld + c] > y[r * ld + best] ? c : best;
		}
		printf("  -> class %d\n", best);
	}
	hetsched_tensor_destroy(cur);
	hetsched_tensor_destroy(x);
	for (int l = 0; l < 3; l++)
		hetsched_linear_destroy(layers[l]);
	CALL(hetsched_shutdown());
	return 0;
}
