/* check.h: verification of a forward pass against an independent double-precision oracle.
 * Plain C with no dependency: both functions return 0, or HETSCHED_ENOMEM (hetsched.h) when
 * their scratch memory cannot be allocated; the caller words the message. */
#ifndef HETSCHED_CHECK_H
#define HETSCHED_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* One layer as host arrays: w is out x in (row-major, contiguous), b has out entries. */
struct hetsched__check_layer {
	size_t in, out;
	const float *w, *b;
	int relu;
};

struct hetsched__check_result {
	double max_abs_err; /* largest |y - reference| over the checked values */
	double max_rel_err; /* largest |y - reference| / scale, scale given by the method */
	double tolerance;   /* the bound max_rel_err must stay under */
	size_t checked;     /* number of values compared */
	const char *method; /* "full", "rows" or "projection" */
	int ok;
};

/* Full reference: y (rows x layers[n-1].out, leading dimension ldy) against the MLP applied to
 * x (rows x layers[0].in, ldx) in double precision, for the rows listed in row_ids (all rows
 * when row_ids is NULL). Relative error: |y - ref| / max(|ref| over the row, 1e-30). */
int hetsched__check_rows(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                         const struct hetsched__check_layer *layers, size_t nlayers,
                         const size_t *row_ids, size_t nrow_ids,
                         struct hetsched__check_result *res);

/* Random projection for one layer without activation: compares Y t with X (W^T t) + (b.t) for a
 * random vector t, over every row, in O(rows * (in + out)). Error of row i is scaled by
 * |X_i| |W|^T |t| + |b||t|, against a tolerance of in * 2^-24 (the bound of a float dot
 * product of length in). */
int hetsched__check_projection(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                               const struct hetsched__check_layer *layer, uint64_t seed,
                               struct hetsched__check_result *res);

#endif
