/* rand.c: the rand task graph: one rand task per tile of a tensor (codelets/rand.c computes
 * it), each with the tile's global origin, so that the values do not depend on the tiling. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "codelets.h"
#include "internal.h"

/* What the statistics callback of a rand task needs; freed by the callback. */
struct rand_note {
	uint32_t tile_row, tile_col;
	double elements;
	uint32_t footprint;
};

static void rand_done(void *arg)
{
	struct rand_note *note = arg;

	hetsched__stats_record(HETSCHED_OP_RAND, note->tile_row, note->tile_col, 0, note->elements,
	                       note->footprint);
	free(note);
}

int hetsched_tensor_rand(hetsched_tensor_t t, const struct hetsched_rand_spec *spec)
{
	int32_t where;

	if (!t || !spec)
		return hetsched__error(HETSCHED_EINVAL, "tensor or spec is NULL");
	if (spec->dist == HETSCHED_DIST_UNIFORM && !(spec->b > spec->a))
		return hetsched__error(HETSCHED_EINVAL,
		                       "uniform bounds must satisfy low < high, got [%g, %g)",
		                       (double)spec->a, (double)spec->b);
	if (spec->dist == HETSCHED_DIST_NORMAL && !(spec->b >= 0))
		return hetsched__error(HETSCHED_EINVAL, "normal std must be >= 0, got %g",
		                       (double)spec->b);
	if (spec->dist != HETSCHED_DIST_UNIFORM && spec->dist != HETSCHED_DIST_NORMAL)
		return hetsched__error(HETSCHED_EINVAL, "unknown distribution %d", (int)spec->dist);
	HETSCHED_CALL(hetsched__task_where(
	    t->tile_rows * t->tile_cols * hetsched_dtype_size(t->dtype), "a rand task", &where));
	HETSCHED_CALL(hetsched__numerics_where(&where, t->dtype, HETSCHED_PRECISION_FP32, "rand"));
	HETSCHED_CALL(hetsched__tensor_tiles(t));
	t->written = 1;
	for (size_t i = 0; i < t->ntile_rows; i++) {
		for (size_t j = 0; j < t->ntile_cols; j++) {
			struct starpu_task *task = starpu_task_create();
			struct hetsched_rand_args *args = calloc(1, sizeof(*args));
			struct rand_note *note = malloc(sizeof(*note));
			size_t rows, cols, row0, col0;
			int rc;

			if (!args || !note) {
				starpu_task_destroy(task);
				free(args);
				free(note);
				return hetsched__error(HETSCHED_ENOMEM, "out of memory for a task");
			}
			hetsched__tile_extent(t, i, j, &rows, &cols, &row0, &col0);
			args->seed = spec->seed;
			args->stream = spec->stream;
			args->dist = (uint32_t)spec->dist;
			args->a = spec->a;
			args->b = spec->b;
			args->row0 = row0;
			args->col0 = col0;
			args->dtype = (uint32_t)t->dtype;
			note->tile_row = (uint32_t)i;
			note->tile_col = (uint32_t)j;
			note->elements = (double)rows * (double)cols;
			task->cl = &hetsched_cl_rand;
			task->where = where;
			task->handles[0] = hetsched__tensor_tile(t, i, j);
			task->modes[0] = STARPU_W;
			task->cl_arg = args;
			task->cl_arg_size = sizeof(*args);
			task->cl_arg_free = 1;
			task->callback_func = rand_done;
			task->callback_arg = note;
			note->footprint = hetsched_cl_rand.model->footprint(task);
			rc = hetsched__mpi_submit(task);
			if (rc != 0) {
				return hetsched__error(
				    HETSCHED_ESTARPU, "cannot submit a rand task: %s",
				    rc == -ENODEV ? "no worker can run it" : strerror(-rc));
			}
		}
	}
	return 0;
}
