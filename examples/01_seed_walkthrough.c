/* 01_seed_walkthrough.c: the six steps of the PyTorch beginner's tutorial, in C with hetsched.
 *
 *   device = "cuda" if torch.cuda.is_available() else "cpu"     -> hetsched_init, workers
 *   x = torch.rand(3, 3).to(device)                              -> tensor_create + tensor_rand
 *   model = nn.Linear(3, 3).to(device)                           -> linear_create + init_default
 *   y = model(x)                                                 -> linear_forward
 *   y.to("cpu")                                                  -> tensor_to_host
 *
 * The random tensor is written on the device that runs its tile: no host copy until step 6.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hetsched.h>

#define CALL(expr)                                                                                 \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		if (rc_ < 0) {                                                                     \
			fprintf(stderr, "%s failed: %s\n", #expr, hetsched_last_error());          \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static void print_matrix(const char *name, hetsched_tensor_t t)
{
	const float *data;
	size_t rows, cols, ld;

	hetsched_tensor_shape(t, &rows, &cols, NULL, NULL);
	CALL(hetsched_tensor_to_host(t));
	CALL(hetsched_tensor_data(t, &data, &ld));
	printf("%s =", name);
	for (size_t r = 0; r < rows; r++) {
		printf(" [");
		for (size_t c = 0; c < cols; c++)
			printf("%s%.9g", c ? ", " : "", data[r * ld + c]);
		printf("]");
	}
	printf("\n");
}

int main(void)
{
	struct hetsched_conf conf;
	struct hetsched_rand_spec rand01 = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 0, 0};
	hetsched_tensor_t x, y;
	hetsched_linear_t model;
	int device_node = 0;

	/* Step 2: which devices are there? */
	hetsched_conf_init(&conf);
	conf.quiet = 1;
	CALL(hetsched_init(&conf));
	printf("found: %d CPU workers, %d CUDA workers, %d OpenCL workers\n",
	       hetsched_worker_count_kind(HETSCHED_KIND_CPU),
	       hetsched_worker_count_kind(HETSCHED_KIND_CUDA),
	       hetsched_worker_count_kind(HETSCHED_KIND_OPENCL));
	for (int i = 0; i < hetsched_worker_count(); i++) {
		struct hetsched_worker_info w;

		CALL(hetsched_worker_get_info(i, &w));
		if (w.kind != HETSCHED_KIND_CPU && device_node == 0)
			device_node = w.memory_node;
	}

	/* Step 3: a random 3x3 tensor, created on a device, then moved there explicitly too. */
	CALL(hetsched_tensor_create(&x, 3, 3, 3, 3));
	CALL(hetsched_tensor_rand(x, &rand01));
	CALL(hetsched_tensor_to_device(x, device_node));

	/* Step 4: nn.Linear(3, 3) with PyTorch's default initialisation. */
	CALL(hetsched_linear_create(&model, 3, 3, HETSCHED_ACT_NONE, 3, 3));
	CALL(hetsched_linear_init_default(model, 0, 0));

	/* Step 5: y = model(x). */
	CALL(hetsched_linear_forward(model, x, &y));

	/* Step 6: back on the CPU. */
	print_matrix("x", x);
	print_matrix("weight", hetsched_linear_weight(model));
	print_matrix("bias", hetsched_linear_bias(model));
	print_matrix("y", y);

	/* The tutorial's "Using {device} device": here, the kinds of worker that really ran the
	 * tasks (the scheduler chose), with their task counts. */
	{
		static const char *const names[HETSCHED_NKINDS] = {"cpu", "cuda", "opencl"};
		struct hetsched_totals by_kind[HETSCHED_NKINDS];
		int first = 1;

		CALL(hetsched_wait_all());
		CALL(hetsched_stats_totals(NULL, 0, by_kind));
		printf("Using ");
		for (int k = 0; k < HETSCHED_NKINDS; k++)
			if (by_kind[k].tasks > 0) {
				printf("%s%s", first ? "" : " + ", names[k]);
				first = 0;
			}
		printf(" device (tasks: cpu %zu, cuda %zu, opencl %zu)\n",
		       by_kind[HETSCHED_KIND_CPU].tasks, by_kind[HETSCHED_KIND_CUDA].tasks,
		       by_kind[HETSCHED_KIND_OPENCL].tasks);
	}

	hetsched_tensor_destroy(y);
	hetsched_tensor_destroy(x);
	hetsched_linear_destroy(model);
	CALL(hetsched_shutdown());
	return 0;
}
