/* tensor.c: tensors as StarPU matrix handles split into tiles; StarPU moves them, to_host
 * gathers them. Their pinned host buffers come from hostbuf.c; rand.c fills them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "codelets.h"
#include "half.h"
#include "internal.h"

static int check_shape(size_t rows, size_t cols, size_t tile_rows, size_t tile_cols)
{
	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched_init must come first");
	if (rows == 0 || cols == 0)
		return hetsched__error(HETSCHED_EINVAL, "tensor shape must be > 0, got %zu x %zu",
		                       rows, cols);
	if (tile_rows == 0 || tile_cols == 0)
		return hetsched__error(HETSCHED_EINVAL, "tile shape must be > 0, got %zu x %zu",
		                       tile_rows, tile_cols);
	/* StarPU's matrix interface counts elements in 32 bits. */
	if (rows > UINT32_MAX || cols > UINT32_MAX)
		return hetsched__error(HETSCHED_EINVAL, "tensor shape %zu x %zu exceeds 2^32 - 1",
		                       rows, cols);
	return 0;
}

static struct hetsched_tensor *tensor_new(size_t rows, size_t cols, size_t tile_rows,
                                          size_t tile_cols, enum hetsched_dtype dtype)
{
	struct hetsched_tensor *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->rows = rows;
	t->cols = cols;
	/* A tile larger than the tensor is the whole tensor. */
	t->tile_rows = tile_rows < rows ? tile_rows : rows;
	t->tile_cols = tile_cols < cols ? tile_cols : cols;
	t->ntile_rows = (rows + t->tile_rows - 1) / t->tile_rows;
	t->ntile_cols = (cols + t->tile_cols - 1) / t->tile_cols;
	t->dtype = dtype;
	return t;
}

/* Bytes of one element of \p t in its handle and home buffer. */
static size_t elem(const struct hetsched_tensor *t)
{
	return hetsched_dtype_size(t->dtype);
}

/* The FP32 copy of a 16-bit tensor is stale once another operation uses the tensor. */
static void drop_host32(struct hetsched_tensor *t)
{
	free(t->host32);
	t->host32 = NULL;
}

int hetsched__tensor_tiles(struct hetsched_tensor *t)
{
	struct starpu_data_filter by_cols, by_rows;

	t->gathered = 0;
	t->requested = 0;
	drop_host32(t);
	if (t->acquired) {
		starpu_data_release(t->handle);
		t->acquired = 0;
	}
	if (!t->partitioned) {
		hetsched__tile_filters(&by_cols, &by_rows, t);
		starpu_data_map_filters(t->handle, 2, &by_cols, &by_rows);
		t->partitioned = 1;
		HETSCHED_CALL(hetsched__mpi_register_tiles(t));
	}
	return 0;
}

int hetsched_tensor_create(hetsched_tensor_t *tensor, size_t rows, size_t cols, size_t tile_rows,
                           size_t tile_cols)
{
	struct hetsched_tensor *t;

	if (!tensor)
		return hetsched__error(HETSCHED_EINVAL, "tensor pointer is NULL");
	HETSCHED_CALL(check_shape(rows, cols, tile_rows, tile_cols));
	t = tensor_new(rows, cols, tile_rows, tile_cols, hetsched__dtype());
	if (!t)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a tensor");
	/* No home buffer: each tile is allocated on the memory node of its first writer. The
	 * handle is split into tiles when first used: a handle that never held values cannot be
	 * unpartitioned (StarPU would try to gather them). */
	starpu_matrix_data_register(&t->handle, -1, 0, (uint32_t)cols, (uint32_t)cols,
	                            (uint32_t)rows, elem(t));
	*tensor = t;
	return 0;
}

int hetsched__tensor_create_home(hetsched_tensor_t *tensor, size_t rows, size_t cols,
                                 size_t tile_rows, size_t tile_cols, enum hetsched_dtype dtype)
{
	struct hetsched_tensor *t;
	int rc;

	HETSCHED_CALL(check_shape(rows, cols, tile_rows, tile_cols));
	t = tensor_new(rows, cols, tile_rows, tile_cols, dtype);
	if (!t)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a tensor");
	/* Pinned, so that devices can copy tiles to and from it asynchronously. */
	t->home = hetsched__hostbuf_alloc(rows * cols * elem(t));
	if (!t->home) {
		free(t);
		return hetsched__error(HETSCHED_ENOMEM, "cannot allocate %zu x %zu %s (%.1f MiB)",
		                       rows, cols, hetsched_dtype_name(dtype),
		                       (double)(rows * cols * hetsched_dtype_size(dtype)) /
		                           (1 << 20));
	}
	starpu_matrix_data_register(&t->handle, STARPU_MAIN_RAM, (uintptr_t)t->home, (uint32_t)cols,
	                            (uint32_t)cols, (uint32_t)rows, elem(t));
	t->written = 1;
	rc = hetsched__tensor_tiles(t);
	if (rc < 0) {
		hetsched_tensor_destroy(t);
		return rc;
	}
	*tensor = t;
	return 0;
}

int hetsched__tensor_wrap(hetsched_tensor_t *tensor, float *buf, size_t rows, size_t cols,
                          size_t tile_rows, size_t tile_cols)
{
	struct hetsched_tensor *t;
	int rc;

	HETSCHED_CALL(check_shape(rows, cols, tile_rows, tile_cols));
	t = tensor_new(rows, cols, tile_rows, tile_cols, HETSCHED_DTYPE_F32);
	if (!t)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a tensor");
	t->home = buf;
	t->home_borrowed = 1;
	starpu_matrix_data_register(&t->handle, STARPU_MAIN_RAM, (uintptr_t)buf, (uint32_t)cols,
	                            (uint32_t)cols, (uint32_t)rows, elem(t));
	t->written = 1;
	rc = hetsched__tensor_tiles(t);
	if (rc < 0) {
		hetsched_tensor_destroy(t);
		return rc;
	}
	*tensor = t;
	return 0;
}

int hetsched__tensor_from_host_as(hetsched_tensor_t *tensor, const float *data, size_t rows,
                                  size_t cols, size_t ld, size_t tile_rows, size_t tile_cols,
                                  enum hetsched_dtype dtype)
{
	struct hetsched_tensor *t;
	int rc;

	if (!tensor || !data)
		return hetsched__error(HETSCHED_EINVAL, "tensor or data pointer is NULL");
	if (ld < cols)
		return hetsched__error(HETSCHED_EINVAL, "ld must be >= cols (%zu), got %zu", cols,
		                       ld);
	HETSCHED_CALL(hetsched__tensor_create_home(&t, rows, cols, tile_rows, tile_cols, dtype));
	/* Nothing reads the tiles yet: write the home buffer while the handle is partitioned.
	 * 16-bit storage keeps each value rounded to nearest even, as the codelets store. */
	starpu_data_unpartition(t->handle, STARPU_MAIN_RAM);
	t->partitioned = 0;
	starpu_data_acquire(t->handle, STARPU_W);
	for (size_t r = 0; r < rows; r++) {
		const float *src = data + r * ld;

		if (dtype == HETSCHED_DTYPE_BF16) {
			uint16_t *dst = (uint16_t *)t->home + r * cols;

			for (size_t c = 0; c < cols; c++)
				dst[c] = hetsched__bf16_from_f32(src[c]);
		} else if (dtype == HETSCHED_DTYPE_F16) {
			uint16_t *dst = (uint16_t *)t->home + r * cols;

			for (size_t c = 0; c < cols; c++)
				dst[c] = hetsched__f16_from_f32(src[c]);
		} else {
			memcpy((float *)t->home + r * cols, src, cols * sizeof(float));
		}
	}
	starpu_data_release(t->handle);
	rc = hetsched__tensor_tiles(t);
	if (rc < 0) {
		hetsched_tensor_destroy(t);
		return rc;
	}
	*tensor = t;
	return 0;
}

int hetsched_tensor_from_host(hetsched_tensor_t *tensor, const float *data, size_t rows,
                              size_t cols, size_t ld, size_t tile_rows, size_t tile_cols)
{
	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched_init must come first");
	return hetsched__tensor_from_host_as(tensor, data, rows, cols, ld, tile_rows, tile_cols,
	                                     hetsched__dtype());
}

int hetsched__numerics_where(int32_t *where, enum hetsched_dtype dtype,
                             enum hetsched_precision precision, const char *what)
{
	int32_t kinds = *where & hetsched__numerics_kinds((uint32_t)dtype, (uint32_t)precision);

	if (!kinds)
		return hetsched__error(
		    HETSCHED_ENODEV,
		    "%s with %s storage and %s products needs a CPU worker: this "
		    "build's OpenCL and CUDA kernels compute f32 storage with "
		    "fp32 products only",
		    what, hetsched_dtype_name(dtype), hetsched_precision_name(precision));
	*where = kinds;
	return 0;
}

enum hetsched_dtype hetsched_tensor_dtype(hetsched_const_tensor_t t)
{
	return t ? t->dtype : HETSCHED_DTYPE_F32;
}

void hetsched_tensor_destroy(hetsched_tensor_t t)
{
	if (!t)
		return;
	if (t->acquired)
		starpu_data_release(t->handle);
	if (t->partitioned && hetsched__mpi_active()) {
		/* Tiles that other ranks own may hold no value here, and StarPU 1.3 cannot
		 * unpartition a handle whose tiles are not all initialised. Writing each tile on
		 * the host (no transfer: W mode, into the handle's own main-memory buffer) gives
		 * them all a value, which the unpartition below then drops. */
		starpu_task_wait_for_all();
		for (size_t i = 0; i < t->ntile_rows; i++)
			for (size_t j = 0; j < t->ntile_cols; j++) {
				starpu_data_handle_t tile = hetsched__tensor_tile(t, i, j);

				if (starpu_data_acquire(tile, STARPU_W) == 0)
					starpu_data_release(tile);
			}
	}
	if (t->partitioned)
		starpu_data_unpartition(t->handle, STARPU_MAIN_RAM);
	starpu_data_unregister_no_coherency(t->handle);
	if (t->home && !t->home_borrowed)
		hetsched__hostbuf_release(t->home, t->rows * t->cols * elem(t));
	drop_host32(t);
	free(t);
}

void hetsched_tensor_shape(hetsched_const_tensor_t t, size_t *rows, size_t *cols, size_t *tile_rows,
                           size_t *tile_cols)
{
	if (rows)
		*rows = t->rows;
	if (cols)
		*cols = t->cols;
	if (tile_rows)
		*tile_rows = t->tile_rows;
	if (tile_cols)
		*tile_cols = t->tile_cols;
}

int hetsched_tensor_to_device(hetsched_tensor_t t, int memory_node)
{
	if (!t)
		return hetsched__error(HETSCHED_EINVAL, "tensor is NULL");
	if (memory_node < 0 || memory_node >= hetsched_memory_node_count())
		return hetsched__error(HETSCHED_EINVAL, "memory node %d does not exist (%d nodes)",
		                       memory_node, hetsched_memory_node_count());
	if (!t->written)
		return hetsched__error(HETSCHED_ESTATE, "the tensor holds no values yet");
	HETSCHED_CALL(hetsched__tensor_tiles(t));
	for (size_t i = 0; i < t->ntile_rows; i++)
		for (size_t j = 0; j < t->ntile_cols; j++)
			starpu_data_prefetch_on_node(hetsched__tensor_tile(t, i, j),
			                             (unsigned)memory_node, 1);
	return 0;
}

static void release_tile(void *handle)
{
	starpu_data_release((starpu_data_handle_t)handle);
}

int hetsched__tensor_request_host(struct hetsched_tensor *t)
{
	for (size_t i = 0; i < t->ntile_rows && t->partitioned; i++)
		for (size_t j = 0; j < t->ntile_cols; j++) {
			starpu_data_handle_t tile = hetsched__tensor_tile(t, i, j);

			if (starpu_data_acquire_cb(tile, STARPU_R, release_tile, tile) != 0)
				return hetsched__error(HETSCHED_ESTARPU,
				                       "cannot bring tile (%zu, %zu) home", i, j);
		}
	t->requested = t->partitioned;
	return 0;
}

int hetsched_tensor_evict(hetsched_tensor_t t)
{
	if (!t)
		return hetsched__error(HETSCHED_EINVAL, "tensor is NULL");
	if (!t->written)
		return hetsched__error(HETSCHED_ESTATE, "the tensor holds no values yet");
	if (hetsched__mpi_active())
		return 0;
	HETSCHED_CALL(hetsched__tensor_tiles(t));
	/* Acquiring a tile for writing in main memory makes that copy the only valid one: StarPU
	 * drops the others. Nothing is written; the values come home first. */
	for (size_t i = 0; i < t->ntile_rows; i++)
		for (size_t j = 0; j < t->ntile_cols; j++) {
			starpu_data_handle_t tile = hetsched__tensor_tile(t, i, j);

			if (starpu_data_acquire(tile, STARPU_RW) != 0)
				return hetsched__error(HETSCHED_ESTARPU,
				                       "cannot bring tile (%zu, %zu) home", i, j);
			starpu_data_release(tile);
		}
	return 0;
}

/* A 16-bit tensor gathered on the host: its FP32 copy (contiguous), which the API hands out,
 * made when first asked for (a run that only times its passes never pays for it). */
static int widen_host(struct hetsched_tensor *t)
{
	const uint16_t *src = (const uint16_t *)starpu_matrix_get_local_ptr(t->handle);
	size_t ld = starpu_matrix_get_local_ld(t->handle);

	t->host32 = malloc(t->rows * t->cols * sizeof(float));
	if (!t->host32) {
		return hetsched__error(HETSCHED_ENOMEM,
		                       "out of memory for the FP32 copy of a %zu x %zu %s tensor",
		                       t->rows, t->cols, hetsched_dtype_name(t->dtype));
	}
	for (size_t r = 0; r < t->rows; r++) {
		const uint16_t *row = src + r * ld;
		float *dst = t->host32 + r * t->cols;

		if (t->dtype == HETSCHED_DTYPE_BF16)
			for (size_t c = 0; c < t->cols; c++)
				dst[c] = hetsched__f32_from_bf16(row[c]);
		else
			for (size_t c = 0; c < t->cols; c++)
				dst[c] = hetsched__f32_from_f16(row[c]);
	}
	return 0;
}

int hetsched_tensor_to_host(hetsched_tensor_t t)
{
	if (!t)
		return hetsched__error(HETSCHED_EINVAL, "tensor is NULL");
	if (t->acquired)
		return 0;
	if (!t->written)
		return hetsched__error(HETSCHED_ESTATE, "the tensor holds no values yet");
	/* With several ranks, every rank sends the tiles it owns to rank 0, which alone gathers;
	 * every rank remembers it, so that a second call is skipped everywhere alike. */
	if (hetsched__mpi_active() && t->gathered)
		return 0;
	if (hetsched__mpi_active() && t->partitioned) {
		HETSCHED_CALL(hetsched__mpi_gather(t));
		t->gathered = 1;
		if (hetsched_rank() != 0) {
			starpu_task_wait_for_all();
			return 0;
		}
	}
	/* Unpartitioning waits for the tasks on the tiles and gathers them in main memory, but one
	 * tile after the other, each a synchronous fetch that the calling thread must wake up for.
	 * So every tile is first asked for at once, each to come home as soon as its last task
	 * ends, the transfers overlapping the tasks still running. Measured on an H200 beside 15
	 * CPU workers (every core running a StarPU worker): gathering tile by tile took 0.4-0.5 s
	 * after 0.03 s of tasks in most passes (14 CPU workers: never); this way, every pass ran in
	 * the time of the GPU-only run. */
	if (t->partitioned) {
		if (!t->requested)
			HETSCHED_CALL(hetsched__tensor_request_host(t));
		t->requested = 0;
		starpu_data_unpartition(t->handle, STARPU_MAIN_RAM);
		t->partitioned = 0;
	}
	if (starpu_data_acquire(t->handle, STARPU_R) != 0)
		return hetsched__error(HETSCHED_ESTARPU, "cannot acquire the tensor on the host");
	t->acquired = 1;
	return 0;
}

int hetsched_tensor_data(hetsched_const_tensor_t t, const float **data, size_t *ld)
{
	if (!t || !data)
		return hetsched__error(HETSCHED_EINVAL, "tensor or data pointer is NULL");
	if (!t->acquired && hetsched_rank() != 0)
		return hetsched__error(HETSCHED_ESTATE,
		                       "tensors are gathered on rank 0, not on rank %d",
		                       hetsched_rank());
	if (!t->acquired)
		return hetsched__error(
		    HETSCHED_ESTATE,
		    "tensor is not on the host: call hetsched_tensor_to_host first");
	/* The FP32 copy is a cache of the gathered values: making it does not change the tensor. */
	if (t->dtype != HETSCHED_DTYPE_F32 && !t->host32)
		HETSCHED_CALL(widen_host((struct hetsched_tensor *)t));
	if (t->host32) {
		*data = t->host32;
		if (ld)
			*ld = t->cols;
		return 0;
	}
	*data = (const float *)starpu_matrix_get_local_ptr(t->handle);
	if (ld)
		*ld = starpu_matrix_get_local_ld(t->handle);
	return 0;
}
