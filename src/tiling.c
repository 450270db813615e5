/* tiling.c: StarPU filters that cut a row-major matrix into tiles of a fixed size, the last
 * ones smaller. StarPU's own block filters split into n nearly equal parts instead, which would
 * make the tile a user asked for depend on the shape. */
#include "config.h"

#include <string.h>

#include <starpu.h>

#include "internal.h"

/* Columns are StarPU's nx (contiguous): the child starts `first` elements to the right. */
static void filter_cols(void *father_interface, void *child_interface, struct starpu_data_filter *f,
                        unsigned id, unsigned nparts)
{
	struct starpu_matrix_interface *father = father_interface;
	struct starpu_matrix_interface *child = child_interface;
	size_t tile = f->filter_arg;
	size_t first = (size_t)id * tile;
	size_t n = father->nx - first < tile ? father->nx - first : tile;
	size_t offset = first * father->elemsize;

	child->id = father->id;
	child->nx = n;
	child->ny = father->ny;
	child->elemsize = father->elemsize;
	child->allocsize = n * father->ny * father->elemsize;
	if (father->dev_handle) {
		if (father->ptr)
			child->ptr = father->ptr + offset;
		child->ld = father->ld;
		child->dev_handle = father->dev_handle;
		child->offset = father->offset + offset;
	}
}

/* Rows are StarPU's ny: the child starts `first` rows down, ld elements per row. */
static void filter_rows(void *father_interface, void *child_interface, struct starpu_data_filter *f,
                        unsigned id, unsigned nparts)
{
	struct starpu_matrix_interface *father = father_interface;
	struct starpu_matrix_interface *child = child_interface;
	size_t tile = f->filter_arg;
	size_t first = (size_t)id * tile;
	size_t n = father->ny - first < tile ? father->ny - first : tile;

	child->id = father->id;
	child->nx = father->nx;
	child->ny = n;
	child->elemsize = father->elemsize;
	child->allocsize = father->nx * n * father->elemsize;
	if (father->dev_handle) {
		size_t offset = first * father->ld * father->elemsize;

		if (father->ptr)
			child->ptr = father->ptr + offset;
		child->ld = father->ld;
		child->dev_handle = father->dev_handle;
		child->offset = father->offset + offset;
	}
}

void hetsched__tile_filters(struct starpu_data_filter *by_cols, struct starpu_data_filter *by_rows,
                            const struct hetsched_tensor *t)
{
	memset(by_cols, 0, sizeof(*by_cols));
	memset(by_rows, 0, sizeof(*by_rows));
	by_cols->filter_func = filter_cols;
	by_cols->nchildren = (unsigned)t->ntile_cols;
	by_cols->filter_arg = (unsigned)t->tile_cols;
	by_rows->filter_func = filter_rows;
	by_rows->nchildren = (unsigned)t->ntile_rows;
	by_rows->filter_arg = (unsigned)t->tile_rows;
}

starpu_data_handle_t hetsched__tensor_tile(const struct hetsched_tensor *t, size_t i, size_t j)
{
	/* map_filters applied the column filter first: the first index is the tile column. */
	return starpu_data_get_sub_data(t->handle, 2, (unsigned)j, (unsigned)i);
}

void hetsched__tile_extent(const struct hetsched_tensor *t, size_t i, size_t j, size_t *rows,
                           size_t *cols, size_t *row0, size_t *col0)
{
	size_t r0 = i * t->tile_rows, c0 = j * t->tile_cols;

	if (row0)
		*row0 = r0;
	if (col0)
		*col0 = c0;
	if (rows)
		*rows = t->rows - r0 < t->tile_rows ? t->rows - r0 : t->tile_rows;
	if (cols)
		*cols = t->cols - c0 < t->tile_cols ? t->cols - c0 : t->tile_cols;
}
