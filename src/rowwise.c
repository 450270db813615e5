/* rowwise.c: the steps of a model that are not linear layers, submitted on a tensor in place:
 * an element-wise program on its own (one epilogue task per tile), and softmax or log-softmax
 * along the rows (one task per row tile, holding every column tile of it: a row's maximum and
 * sum need all of its columns). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "codelets.h"
#include "internal.h"

static void epilogue_done(void *arg)
{
	const struct hetsched_ew_args *args = arg;

	hetsched__stats_record(HETSCHED_OP_EPILOGUE, args->tile_row, args->tile_col, 0, args->flops,
	                       args->footprint);
}

static void softmax_done(void *arg)
{
	const struct hetsched_softmax_args *args = arg;

	hetsched__stats_record(HETSCHED_OP_SOFTMAX, args->tile_row, 0, 0, args->flops,
	                       args->footprint);
}

static int submitted(int rc, const char *what)
{
	if (rc == 0)
		return 0;
	return hetsched__error(HETSCHED_ESTARPU, "cannot submit %s task: %s", what,
	                       rc == -ENODEV ? "no worker can run it" : strerror(-rc));
}

int hetsched__epilogue_submit(hetsched_tensor_t t, const struct hetsched_ew_prog *prog,
                              hetsched_tensor_t vecs)
{
	int32_t where;

	if (!t->written)
		return hetsched__error(HETSCHED_ESTATE, "the tensor holds no values yet");
	if (prog->nvec && (!vecs || vecs->cols != t->cols || vecs->tile_cols != t->tile_cols))
		return hetsched__error(HETSCHED_ESHAPE,
		                       "epilogue constants do not match the tensor");
	if (hetsched__mpi_active() && prog->nvec)
		return hetsched__error(HETSCHED_EINVAL,
		                       "an epilogue with per-column constants runs "
		                       "on one rank only, not under several MPI ranks");
	HETSCHED_CALL(
	    hetsched__task_where(t->tile_cols * (hetsched_dtype_size(t->dtype) * t->tile_rows +
	                                         sizeof(float) * prog->nvec),
	                         "an epilogue task", &where));
	HETSCHED_CALL(
	    hetsched__numerics_where(&where, t->dtype, HETSCHED_PRECISION_FP32, "an activation"));
	HETSCHED_CALL(hetsched__tensor_tiles(t));
	if (prog->nvec)
		HETSCHED_CALL(hetsched__tensor_tiles(vecs));
	for (size_t i = 0; i < t->ntile_rows; i++)
		for (size_t j = 0; j < t->ntile_cols; j++) {
			struct starpu_task *task = starpu_task_create();
			struct hetsched_ew_args *args = calloc(1, sizeof(*args));
			size_t m, n;

			if (!args) {
				starpu_task_destroy(task);
				return hetsched__error(HETSCHED_ENOMEM, "out of memory for a task");
			}
			hetsched__tile_extent(t, i, j, &m, &n, NULL, NULL);
			args->prog = *prog;
			args->dtype = (uint32_t)t->dtype;
			args->tile_row = (uint32_t)i;
			args->tile_col = (uint32_t)j;
			args->flops = (double)prog->n * (double)m * (double)n;
			task->cl = &hetsched_cl_epilogue;
			task->where = where;
			task->nbuffers = prog->nvec ? 2 : 1;
			task->handles[0] = hetsched__tensor_tile(t, i, j);
			task->modes[0] = STARPU_RW;
			if (prog->nvec) {
				task->handles[1] = hetsched__tensor_tile(vecs, 0, j);
				task->modes[1] = STARPU_R;
			}
			task->cl_arg = args;
			task->cl_arg_size = sizeof(*args);
			task->cl_arg_free = 1;
			task->callback_func = epilogue_done;
			task->callback_arg = args;
			args->footprint = hetsched_cl_epilogue.model->footprint(task);
			HETSCHED_CALL(submitted(hetsched__mpi_submit(task), "an epilogue"));
		}
	return 0;
}

int hetsched__softmax_submit(hetsched_tensor_t t, int log_softmax)
{
	int32_t where;

	if (!t->written)
		return hetsched__error(HETSCHED_ESTATE, "the tensor holds no values yet");
	if (hetsched__mpi_active())
		return hetsched__error(HETSCHED_EINVAL, "softmax runs on one rank only, not under "
		                                        "several MPI ranks");
	/* A task holds a whole row tile and its scratch. */
	HETSCHED_CALL(hetsched__task_where(
	    t->tile_rows * (hetsched_dtype_size(t->dtype) * t->cols + 2 * sizeof(float)),
	    "a softmax task", &where));
	HETSCHED_CALL(
	    hetsched__numerics_where(&where, t->dtype, HETSCHED_PRECISION_FP32, "softmax"));
	HETSCHED_CALL(hetsched__tensor_tiles(t));
	for (size_t i = 0; i < t->ntile_rows; i++) {
		struct starpu_task *task = starpu_task_create();
		struct hetsched_softmax_args *args = calloc(1, sizeof(*args));
		unsigned nbuffers = (unsigned)t->ntile_cols + 1;
		starpu_data_handle_t scratch;
		size_t m;
		int rc;

		if (!args) {
			starpu_task_destroy(task);
			return hetsched__error(HETSCHED_ENOMEM, "out of memory for a task");
		}
		hetsched__tile_extent(t, i, 0, &m, NULL, NULL, NULL);
		/* Two floats per row, allocated on the worker's node by StarPU for the task. */
		starpu_vector_data_register(&scratch, -1, 0, (uint32_t)(2 * m), sizeof(float));
		args->log = log_softmax != 0;
		args->dtype = (uint32_t)t->dtype;
		args->tile_row = (uint32_t)i;
		args->flops = 5.0 * (double)m * (double)t->cols;
		task->cl = &hetsched_cl_softmax;
		task->where = where;
		task->nbuffers = (int)nbuffers;
		if (nbuffers > STARPU_NMAXBUFS) {
			task->dyn_handles = malloc(nbuffers * sizeof(*task->dyn_handles));
			task->dyn_modes = malloc(nbuffers * sizeof(*task->dyn_modes));
			if (!task->dyn_handles || !task->dyn_modes) {
				free(task->dyn_handles);
				free(task->dyn_modes);
				task->dyn_handles = NULL;
				task->dyn_modes = NULL;
				free(args);
				starpu_task_destroy(task);
				starpu_data_unregister_submit(scratch);
				return hetsched__error(HETSCHED_ENOMEM, "out of memory for a task");
			}
		}
		STARPU_TASK_SET_HANDLE(task, scratch, 0);
		STARPU_TASK_SET_MODE(task, STARPU_SCRATCH, 0);
		for (size_t j = 0; j < t->ntile_cols; j++) {
			STARPU_TASK_SET_HANDLE(task, hetsched__tensor_tile(t, i, j), (int)j + 1);
			STARPU_TASK_SET_MODE(task, STARPU_RW, (int)j + 1);
		}
		task->cl_arg = args;
		task->cl_arg_size = sizeof(*args);
		task->cl_arg_free = 1;
		task->callback_func = softmax_done;
		task->callback_arg = args;
		args->footprint = hetsched_cl_softmax.model->footprint(task);
		rc = starpu_task_submit(task);
		/* StarPU frees the scratch once the task is done with it. */
		starpu_data_unregister_submit(scratch);
		HETSCHED_CALL(submitted(rc, "a softmax"));
	}
	return 0;
}
