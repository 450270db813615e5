/* 02_tiles_everywhere.c: a larger forward pass (1024 x 1024 -> 1024, tiles of 256) and which
 * worker ran each tile: a 4 x 4 grid of output tiles, each with the worker that finished it
 * (the task of its last k tile), then the number of tasks per worker. Run it with
 * STARPU_OPENCL_ON_CPUS=1 STARPU_NCPU=1 STARPU_NOPENCL=1, or on a GPU node, to see the tiles
 * spread over kinds of device. */
#include <stdio.h>
#include <stdlib.h>

#include <hetsched.h>

#define N 1024
#define TILE 256
#define GRID (N / TILE)

#define CALL(expr)                                                                                 \
	do {                                                                                       \
		if ((expr) < 0) {                                                                  \
			fprintf(stderr, "%s failed: %s\n", #expr, hetsched_last_error());          \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

int main(void)
{
	struct hetsched_conf conf;
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, 0.0f, 1.0f, 2, 0};
	const struct hetsched_task_record *rec;
	hetsched_tensor_t x, y;
	hetsched_linear_t layer;
	int owner[GRID][GRID], tasks[64] = {0};
	size_t n;

	hetsched_conf_init(&conf);
	conf.quiet = 1;
	CALL(hetsched_init(&conf));
	CALL(hetsched_tensor_create(&x, N, N, TILE, TILE));
	CALL(hetsched_tensor_rand(x, &spec));
	CALL(hetsched_linear_create(&layer, N, N, HETSCHED_ACT_RELU, TILE, TILE));
	CALL(hetsched_linear_init_default(layer, 2, 0));
	CALL(hetsched_wait_all());

	hetsched_stats_reset();
	CALL(hetsched_linear_forward(layer, x, &y));
	CALL(hetsched_tensor_to_host(y));
	/* Statistics are recorded by task callbacks: wait for the last ones. */
	CALL(hetsched_wait_all());
	n = hetsched_stats_records(&rec);
	for (size_t i = 0; i < n; i++) {
		if (rec[i].op != HETSCHED_OP_LINEAR)
			continue;
		if (rec[i].tile_k == GRID - 1)
			owner[rec[i].tile_row][rec[i].tile_col] = rec[i].worker;
		if (rec[i].worker < 64)
			tasks[rec[i].worker]++;
	}
	printf("policy %s; worker that finished each output tile:\n", hetsched_sched_name());
	for (int i = 0; i < GRID; i++) {
		for (int j = 0; j < GRID; j++)
			printf(" %3d", owner[i][j]);
		printf("\n");
	}
	printf("tasks per worker:\n");
	for (int w = 0; w < hetsched_worker_count() && w < 64; w++) {
		struct hetsched_worker_info info;

		CALL(hetsched_worker_get_info(w, &info));
		printf("  worker %d (%s, %s): %d tasks\n", w, info.name,
		       hetsched_kind_name(info.kind), tasks[w]);
	}
	hetsched_tensor_destroy(y);
	hetsched_tensor_destroy(x);
	hetsched_linear_destroy(layer);
	CALL(hetsched_shutdown());
	return 0;
}
