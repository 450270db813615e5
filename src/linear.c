/* linear.c: linear layers (nn.Linear) and the task graph of a forward pass: the product, its
 * element-wise epilogue fused into the last k tile, and a softmax after it when asked. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "codelets.h"
#include "internal.h"

struct hetsched_linear {
	size_t in_features, out_features;
	size_t tile_out, tile_in;
	enum hetsched_activation activation;
	hetsched_tensor_t weight;     /* out x in */
	hetsched_tensor_t bias;       /* 1 x out, or bias_rows x out (a bias per element) */
	size_t bias_rows;             /* 1, or the rows of the only input the layer accepts */
	struct hetsched_ew_prog prog; /* the epilogue, from the activation or a model's chain */
	hetsched_tensor_t vecs;       /* prog.nvec x out per-column constants, or NULL */
	int rowwise;                  /* 0, or 1 + log: a softmax step after the epilogue */
};

int hetsched_linear_create(hetsched_linear_t *layer, size_t in_features, size_t out_features,
                           enum hetsched_activation activation, size_t tile_out, size_t tile_in)
{
	struct hetsched_linear *l;
	int rc;

	if (!layer)
		return hetsched__error(HETSCHED_EINVAL, "layer pointer is NULL");
	if (in_features == 0)
		return hetsched__error(HETSCHED_EINVAL, "in_features must be > 0, got 0");
	if (out_features == 0)
		return hetsched__error(HETSCHED_EINVAL, "out_features must be > 0, got 0");
	if ((unsigned)activation >= HETSCHED_NACTIVATIONS)
		return hetsched__error(HETSCHED_EINVAL, "unknown activation %d", (int)activation);
	l = calloc(1, sizeof(*l));
	if (!l)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a layer");
	hetsched__activation_prog(activation, &l->prog);
	l->rowwise = activation == HETSCHED_ACT_SOFTMAX       ? 1
	             : activation == HETSCHED_ACT_LOG_SOFTMAX ? 2
	                                                      : 0;
	l->bias_rows = 1;
	l->in_features = in_features;
	l->out_features = out_features;
	if (tile_out == 0 || tile_in == 0) {
		free(l);
		return hetsched__error(HETSCHED_EINVAL, "tile shape must be > 0, got %zu x %zu",
		                       tile_out, tile_in);
	}
	l->tile_out = tile_out < out_features ? tile_out : out_features;
	l->tile_in = tile_in < in_features ? tile_in : in_features;
	l->activation = activation;
	HETSCHED_TRY(
	    rc, hetsched_tensor_create(&l->weight, out_features, in_features, tile_out, tile_in),
	    fail_weight);
	HETSCHED_TRY(rc, hetsched_tensor_create(&l->bias, 1, out_features, 1, tile_out), fail_bias);
	*layer = l;
	return 0;

fail_bias:
	hetsched_tensor_destroy(l->weight);
fail_weight:
	free(l);
	return rc;
}

int hetsched_linear_init_default(hetsched_linear_t l, uint64_t seed, uint32_t index)
{
	/* PyTorch's nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) for the weight and
	 * U(-1/sqrt(in), 1/sqrt(in)) for the bias, which are the same bound. */
	float bound = (float)(1.0 / sqrt((double)l->in_features));
	struct hetsched_rand_spec spec = {HETSCHED_DIST_UNIFORM, -bound, bound, seed,
	                                  2 * index + 1};

	HETSCHED_CALL(hetsched_tensor_rand(l->weight, &spec));
	spec.stream = 2 * index + 2;
	return hetsched_tensor_rand(l->bias, &spec);
}

int hetsched_linear_load(hetsched_linear_t l, const float *weight, const float *bias)
{
	hetsched_tensor_t w, b;
	float *zeros = NULL;
	int rc;

	if (!l || !weight)
		return hetsched__error(HETSCHED_EINVAL, "layer or weight is NULL");
	if (!bias) {
		zeros = calloc(l->out_features, sizeof(float));
		if (!zeros)
			return hetsched__error(HETSCHED_ENOMEM, "out of memory for a bias");
		bias = zeros;
	}
	HETSCHED_TRY(rc,
	             hetsched_tensor_from_host(&w, weight, l->out_features, l->in_features,
	                                       l->in_features, l->tile_out, l->tile_in),
	             fail_weight);
	HETSCHED_TRY(rc,
	             hetsched_tensor_from_host(&b, bias, 1, l->out_features, l->out_features, 1,
	                                       l->tile_out),
	             fail_bias);
	hetsched_tensor_destroy(l->weight);
	hetsched_tensor_destroy(l->bias);
	l->weight = w;
	l->bias = b;
	free(zeros);
	return 0;

fail_bias:
	hetsched_tensor_destroy(w);
fail_weight:
	free(zeros);
	return rc;
}

int hetsched__linear_set_epilogue(hetsched_linear_t l, const struct hetsched_ew_prog *prog,
                                  const float *vecs)
{
	hetsched_tensor_t v = NULL;

	if (prog->n > HETSCHED_EW_MAX_INSNS || prog->nvec > HETSCHED_EW_MAX_VECS ||
	    (prog->nvec && !vecs))
		return hetsched__error(HETSCHED_EINVAL, "epilogue: %u instructions, %u constants",
		                       prog->n, prog->nvec);
	if (prog->nvec)
		HETSCHED_CALL(hetsched__tensor_from_host_as(&v, vecs, prog->nvec, l->out_features,
		                                            l->out_features, prog->nvec,
		                                            l->tile_out, HETSCHED_DTYPE_F32));
	hetsched_tensor_destroy(l->vecs);
	l->vecs = v;
	l->prog = *prog;
	/* The named activation whose program this is, for hetsched_linear_shape() (a softmax
	 * layer keeps its name: its program is empty). */
	if (!l->rowwise)
		l->activation = HETSCHED_ACT_NONE;
	for (int a = 1; a < HETSCHED_NACTIVATIONS && prog->n; a++) {
		struct hetsched_ew_prog q;

		hetsched__activation_prog((enum hetsched_activation)a, &q);
		if (q.n == prog->n && !memcmp(q.code, prog->code, q.n * sizeof(q.code[0])) &&
		    !memcmp(q.p0, prog->p0, q.n * sizeof(float)) &&
		    !memcmp(q.p1, prog->p1, q.n * sizeof(float)))
			l->activation = (enum hetsched_activation)a;
	}
	return 0;
}

int hetsched__linear_set_bias_rows(hetsched_linear_t l, const float *bias, size_t rows,
                                   size_t tile_rows)
{
	hetsched_tensor_t b;

	HETSCHED_CALL(hetsched_tensor_from_host(&b, bias, rows, l->out_features, l->out_features,
	                                        tile_rows, l->tile_out));
	hetsched_tensor_destroy(l->bias);
	l->bias = b;
	l->bias_rows = rows;
	return 0;
}

void hetsched_linear_shape(const struct hetsched_linear *l, size_t *in_features,
                           size_t *out_features, enum hetsched_activation *activation)
{
	if (in_features)
		*in_features = l->in_features;
	if (out_features)
		*out_features = l->out_features;
	if (activation)
		*activation = l->activation;
}

hetsched_tensor_t hetsched_linear_weight(hetsched_linear_t l)
{
	return l->weight;
}

hetsched_tensor_t hetsched_linear_bias(hetsched_linear_t l)
{
	return l->bias;
}

static void linear_done(void *arg)
{
	const struct hetsched_linear_args *args = arg;

	hetsched__stats_record(HETSCHED_OP_LINEAR, args->tile_row, args->tile_col, args->tile_k,
	                       args->flops, args->footprint);
}

/* The checks of a forward pass, and the kinds of worker its tasks may run on. */
static int forward_where(const struct hetsched_linear *l, const struct hetsched_tensor *x,
                         int32_t *where)
{
	if (x->dtype != l->weight->dtype || x->dtype != l->bias->dtype)
		return hetsched__error(
		    HETSCHED_EDTYPE, "input is %s but the layer's weight is %s and bias %s",
		    hetsched_dtype_name(x->dtype), hetsched_dtype_name(l->weight->dtype),
		    hetsched_dtype_name(l->bias->dtype));
	if (x->cols != l->in_features)
		return hetsched__error(HETSCHED_ESHAPE,
		                       "input has %zu columns but the layer has in_features %zu",
		                       x->cols, l->in_features);
	if (!x->written || !l->weight->written || !l->bias->written)
		return hetsched__error(HETSCHED_ESTATE,
		                       "the input or the layer holds no values yet");
	if (x->tile_cols != l->tile_in)
		return hetsched__error(HETSCHED_ESHAPE,
		                       "input tiles have %zu columns but the layer's weight tiles "
		                       "have %zu",
		                       x->tile_cols, l->tile_in);
	if (l->bias_rows > 1 && (x->rows != l->bias_rows || x->tile_rows != l->bias->tile_rows))
		return hetsched__error(HETSCHED_ESHAPE,
		                       "the layer's bias has %zu rows (tiles of %zu) but the input "
		                       "has %zu (tiles of %zu)",
		                       l->bias_rows, l->bias->tile_rows, x->rows, x->tile_rows);
	/* Tasks of more than four buffers and row-wise steps are not distributed (yet). */
	if (hetsched__mpi_active() && (l->vecs || l->bias_rows > 1 || l->rowwise))
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "this layer's epilogue (%s) runs on one rank only, not under "
		    "several MPI ranks",
		    l->rowwise ? "softmax" : "per-column constants or bias");
	if (hetsched__mpi_active() && x->dtype != HETSCHED_DTYPE_F32)
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "linear layers on %s tensors run on one rank only, not under "
		    "several MPI ranks",
		    hetsched_dtype_name(x->dtype));
	if (x->dtype == HETSCHED_DTYPE_F32) {
		/* A task holds an x tile, a weight tile, a bias tile, a y tile and the constants.
		 */
		HETSCHED_CALL(hetsched__task_where(
		    sizeof(float) * (x->tile_rows * l->tile_in + l->tile_out * l->tile_in +
		                     (l->bias_rows > 1 ? x->tile_rows : 1) * l->tile_out +
		                     x->tile_rows * l->tile_out + l->prog.nvec * l->tile_out),
		    "a linear task", where));
	} else {
		/* linear16: a row tile of x, one of the weight (every k tile), a bias tile, a y
		 * tile, then the FP32 constants and accumulator. */
		HETSCHED_CALL(hetsched__task_where(
		    hetsched_dtype_size(x->dtype) *
		            (x->tile_rows * l->in_features + l->tile_out * l->in_features +
		             (l->bias_rows > 1 ? x->tile_rows : 1) * l->tile_out +
		             x->tile_rows * l->tile_out) +
		        sizeof(float) * (l->prog.nvec + x->tile_rows) * l->tile_out,
		    "a linear task", where));
	}
	return hetsched__numerics_where(where, x->dtype, hetsched__precision(), "a linear layer");
}

int hetsched_linear_forward(hetsched_linear_t l, hetsched_tensor_t x, hetsched_tensor_t *y)
{
	hetsched_tensor_t out;
	int32_t where;
	int rc;

	if (!l || !x || !y)
		return hetsched__error(HETSCHED_EINVAL, "layer, input or output pointer is NULL");
	HETSCHED_CALL(forward_where(l, x, &where));
	/* One rank: y gets a host buffer of its own, which CPU workers write in place. Several
	 * ranks: each allocates only the tiles it computes, and rank 0 gathers. */
	if (hetsched__mpi_active()) {
		HETSCHED_CALL(hetsched_tensor_create(&out, x->rows, l->out_features, x->tile_rows,
		                                     l->tile_out));
		HETSCHED_CALL(hetsched__tensor_tiles(out));
		out->written = 1;
	} else {
		HETSCHED_CALL(hetsched__tensor_create_home(&out, x->rows, l->out_features,
		                                           x->tile_rows, l->tile_out, x->dtype));
	}
	rc = hetsched__linear_forward_into(l, x, out);
	if (rc < 0) {
		hetsched_tensor_destroy(out);
		return rc;
	}
	*y = out;
	return 0;
}

/* The tasks of a layer on 16-bit tensors: one linear16 task per output tile (i, j), holding
 * every k tile of row tile i of x and of row tile j of the weight, so that the whole sum is
 * accumulated in FP32 (in a scratch matrix that StarPU gives each worker) and rounded to 16 bits
 * once. */
static int submit_linear16(const struct hetsched_linear *l, struct hetsched_tensor *x,
                           struct hetsched_tensor *out, struct hetsched__placement *plan)
{
	const size_t nk = x->ntile_cols;
	const unsigned nbuffers = (unsigned)(2 * nk + 3 + (l->vecs ? 1 : 0));
	starpu_data_handle_t acc;
	int rc = 0;

	starpu_matrix_data_register(&acc, -1, 0, (uint32_t)out->tile_cols, (uint32_t)out->tile_cols,
	                            (uint32_t)out->tile_rows, sizeof(float));
	for (size_t i = 0; i < out->ntile_rows && rc == 0; i++)
		for (size_t j = 0; j < out->ntile_cols && rc == 0; j++) {
			struct starpu_task *task = starpu_task_create();
			struct hetsched_linear16_args *args = calloc(1, sizeof(*args));
			unsigned b = 0;
			size_t m, n;

			if (!args ||
			    (nbuffers > STARPU_NMAXBUFS &&
			     (!(task->dyn_handles =
			            malloc(nbuffers * sizeof(*task->dyn_handles))) ||
			      !(task->dyn_modes = malloc(nbuffers * sizeof(*task->dyn_modes)))))) {
				free(task->dyn_handles);
				free(task->dyn_modes);
				task->dyn_handles = NULL;
				task->dyn_modes = NULL;
				free(args);
				starpu_task_destroy(task);
				rc = hetsched__error(HETSCHED_ENOMEM, "out of memory for a task");
				break;
			}
			hetsched__tile_extent(out, i, j, &m, &n, NULL, NULL);
			args->base.first = 1;
			args->base.last = 1;
			args->base.prog = l->prog;
			args->base.tile_row = (uint32_t)i;
			args->base.tile_col = (uint32_t)j;
			args->base.flops = 2.0 * (double)m * (double)n * (double)l->in_features;
			args->base.dtype = (uint32_t)x->dtype;
			args->base.precision = (uint32_t)hetsched__precision();
			args->nk = (uint32_t)nk;
			/* STARPU_TASK_SET_MODE reads the codelet: it comes first. */
			task->cl = &hetsched_cl_linear16;
			for (size_t k = 0; k < nk; k++, b++) {
				STARPU_TASK_SET_HANDLE(task, hetsched__tensor_tile(x, i, k),
				                       (int)b);
				STARPU_TASK_SET_MODE(task, STARPU_R, (int)b);
			}
			for (size_t k = 0; k < nk; k++, b++) {
				STARPU_TASK_SET_HANDLE(task, hetsched__tensor_tile(l->weight, j, k),
				                       (int)b);
				STARPU_TASK_SET_MODE(task, STARPU_R, (int)b);
			}
			STARPU_TASK_SET_HANDLE(
			    task, hetsched__tensor_tile(l->bias, l->bias_rows > 1 ? i : 0, j),
			    (int)b);
			STARPU_TASK_SET_MODE(task, STARPU_R, (int)b++);
			STARPU_TASK_SET_HANDLE(task, hetsched__tensor_tile(out, i, j), (int)b);
			STARPU_TASK_SET_MODE(task, STARPU_W, (int)b++);
			if (l->vecs) {
				STARPU_TASK_SET_HANDLE(task, hetsched__tensor_tile(l->vecs, 0, j),
				                       (int)b);
				STARPU_TASK_SET_MODE(task, STARPU_R, (int)b++);
			}
			STARPU_TASK_SET_HANDLE(task, acc, (int)b);
			STARPU_TASK_SET_MODE(task, STARPU_SCRATCH, (int)b++);
			task->nbuffers = (int)nbuffers;
			task->where = hetsched__placement_next(plan);
			task->cl_arg = args;
			task->cl_arg_size = sizeof(*args);
			task->cl_arg_free = 1;
			task->callback_func = linear_done;
			task->callback_arg = &args->base;
			args->base.footprint = hetsched_cl_linear16.model->footprint(task);
			hetsched__placement_note(args->base.footprint, plan->where);
			rc = starpu_task_submit(task);
			if (rc != 0)
				rc = hetsched__error(
				    HETSCHED_ESTARPU, "cannot submit a linear task: %s",
				    rc == -ENODEV ? "no worker can run it" : strerror(-rc));
		}
	/* StarPU frees the scratch once the tasks are done with it. */
	starpu_data_unregister_submit(acc);
	return rc;
}

int hetsched__linear_forward_into(hetsched_linear_t l, hetsched_tensor_t x, hetsched_tensor_t out)
{
	struct hetsched__placement plan;
	int32_t where;

	if (!l || !x || !out)
		return hetsched__error(HETSCHED_EINVAL, "layer, input or output is NULL");
	HETSCHED_CALL(forward_where(l, x, &where));
	/* No tile to a kind of worker that would take longer over it than the fastest kind over
	 * the whole pass, and few to a slower one (placement.c). */
	{
		/* linear16 tasks hold every k tile of their output tile. */
		const int whole_k = x->dtype != HETSCHED_DTYPE_F32;
		const size_t task_k = whole_k ? l->in_features : l->tile_in;

		hetsched__placement_plan(
		    &plan, where, 2.0 * (double)x->tile_rows * (double)l->tile_out * (double)task_k,
		    2.0 * (double)x->rows * (double)l->out_features * (double)l->in_features,
		    (size_t)((x->rows + x->tile_rows - 1) / x->tile_rows) *
		        ((l->out_features + l->tile_out - 1) / l->tile_out) *
		        (whole_k ? 1 : (l->in_features + l->tile_in - 1) / l->tile_in));
	}
	if (out->rows != x->rows || out->cols != l->out_features ||
	    out->tile_rows != x->tile_rows || out->tile_cols != l->tile_out)
		return hetsched__error(
		    HETSCHED_ESHAPE,
		    "output is %zu x %zu (tiles %zu x %zu), the layer makes %zu x "
		    "%zu (tiles %zu x %zu)",
		    out->rows, out->cols, out->tile_rows, out->tile_cols, x->rows, l->out_features,
		    x->tile_rows, l->tile_out);
	HETSCHED_CALL(hetsched__tensor_tiles(out));
	HETSCHED_CALL(hetsched__tensor_tiles(x));
	HETSCHED_CALL(hetsched__tensor_tiles(l->weight));
	HETSCHED_CALL(hetsched__tensor_tiles(l->bias));
	if (l->vecs)
		HETSCHED_CALL(hetsched__tensor_tiles(l->vecs));

	if (x->dtype != HETSCHED_DTYPE_F32) {
		HETSCHED_CALL(submit_linear16(l, x, out, &plan));
		goto rowwise;
	}
	/* One task per (row tile, column tile, k tile); the k tiles of one output tile are
	 * submitted in order, so StarPU's sequential consistency chains them: the first writes
	 * the tile (bias + partial product), the last applies the activation. */
	for (size_t i = 0; i < out->ntile_rows; i++) {
		for (size_t j = 0; j < out->ntile_cols; j++) {
			for (size_t k = 0; k < x->ntile_cols; k++) {
				struct starpu_task *task = starpu_task_create();
				struct hetsched_linear_args *args = calloc(1, sizeof(*args));
				size_t m, n, kk;
				int rc;

				if (!args) {
					starpu_task_destroy(task);
					return hetsched__error(HETSCHED_ENOMEM,
					                       "out of memory for a task");
				}
				args->first = k == 0;
				args->last = k + 1 == x->ntile_cols;
				args->prog = l->prog;
				args->dtype = (uint32_t)x->dtype;
				args->precision = (uint32_t)hetsched__precision();
				args->tile_row = (uint32_t)i;
				args->tile_col = (uint32_t)j;
				args->tile_k = (uint32_t)k;
				hetsched__tile_extent(out, i, j, &m, &n, NULL, NULL);
				hetsched__tile_extent(x, i, k, NULL, &kk, NULL, NULL);
				args->flops = 2.0 * (double)m * (double)n * (double)kk;
				task->cl = &hetsched_cl_linear;
				task->where = hetsched__placement_next(&plan);
				task->nbuffers = l->vecs ? 5 : 4;
				task->handles[0] = hetsched__tensor_tile(x, i, k);
				task->modes[0] = STARPU_R;
				task->handles[1] = hetsched__tensor_tile(l->weight, j, k);
				task->modes[1] = STARPU_R;
				task->handles[2] =
				    hetsched__tensor_tile(l->bias, l->bias_rows > 1 ? i : 0, j);
				task->modes[2] = STARPU_R;
				task->handles[3] = hetsched__tensor_tile(out, i, j);
				task->modes[3] = k == 0 ? STARPU_W : STARPU_RW;
				if (l->vecs) {
					task->handles[4] = hetsched__tensor_tile(l->vecs, 0, j);
					task->modes[4] = STARPU_R;
				}
				task->cl_arg = args;
				task->cl_arg_size = sizeof(*args);
				task->cl_arg_free = 1;
				task->callback_func = linear_done;
				task->callback_arg = args;
				args->footprint = hetsched_cl_linear.model->footprint(task);
				hetsched__placement_note(args->footprint, plan.where);
				rc = hetsched__mpi_submit(task);
				if (rc != 0)
					return hetsched__error(
					    HETSCHED_ESTARPU, "cannot submit a linear task: %s",
					    rc == -ENODEV ? "no worker can run it" : strerror(-rc));
			}
		}
	}
rowwise:
	/* A softmax after the layer: one task per row tile, once its tiles are all written. */
	if (l->rowwise)
		HETSCHED_CALL(hetsched__softmax_submit(out, l->rowwise == 2));
	return 0;
}

void hetsched__linear_tiles(const struct hetsched_linear *l, size_t *tile_out, size_t *tile_in)
{
	*tile_out = l->tile_out;
	*tile_in = l->tile_in;
}

void hetsched_linear_destroy(hetsched_linear_t l)
{
	if (!l)
		return;
	hetsched_tensor_destroy(l->weight);
	hetsched_tensor_destroy(l->bias);
	hetsched_tensor_destroy(l->vecs);
	free(l);
}
