/* check.h: verification of a forward pass against an independent double-precision oracle.
 * Plain C with no dependency: both functions return 0, or HETSCHED_ENOMEM (hetsched.h) when
 * their scratch memory cannot be allocated; the caller words the message. */
#ifndef HETSCHED_CHECK_H
#define HETSCHED_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"

/* One layer as host arrays: w is out x in (row-major, contiguous), b has out entries. */
struct hetsched__check_layer {
	size_t in, out;
	const float *w, *b;
	int relu;
};

/* Where the first of a kind of value was met, and how many there were. */
struct hetsched__check_spot {
	size_t count;    /* 0: none */
	size_t row, col; /* the first one (row-major order of the checked rows) */
};

struct hetsched__check_result {
	double max_abs_err; /* largest |y - reference| over the checked values */
	double max_rel_err; /* largest |y - reference| / scale, scale given by the method */
	double tolerance;   /* the bound max_rel_err must stay under */
	size_t checked;     /* number of values compared */
	const char *method; /* "full", "rows" or "projection" */
	/* NaN and infinities (full and rows methods): where the input has some; where the output
	 * has some; where the output's differ from the reference's (NaN where the reference is a
	 * number, or the reverse, or another infinity). Matching ones count as exact. */
	struct hetsched__check_spot input_nonfinite, output_nonfinite, nonfinite_mismatch;
	int ok;
};

/* The numerics of the checked run (enum hetsched_dtype, enum hetsched_precision): the oracle
 * stores x, the weights, the biases and every activation between steps as the dtype does, and
 * rounds the inputs of the products as a bf16 or fp16 precision does (tf32, which only CUDA
 * applies, is left to the tolerance); then computes in double. */
struct hetsched__check_mode {
	uint32_t dtype, precision;
};

/* The bound of max_rel_err (see README, "Precision"): FP32 accumulation (1e-4 of the row's
 * largest value for the full and rows methods; in x 2^-24 of the magnitudes for the projection),
 * plus for tf32 1e-2 (rows) or 2 x 2^-11 (projection), plus in a 16-bit dtype the unit
 * roundoff u (2^-8 bf16, 2^-11 f16) of the output (projection), or 2 u (full and rows: the
 * activations stored between steps). */
double hetsched__check_tolerance(int projection, size_t in,
                                 const struct hetsched__check_mode *mode);

/* Full reference: y (rows x layers[n-1].out, leading dimension ldy) against the MLP applied to
 * x (rows x layers[0].in, ldx) in double precision, for the rows listed in row_ids (all rows
 * when row_ids is NULL). Relative error: |y - ref| / max(|ref| over the row, 1e-30). */
int hetsched__check_rows(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                         const struct hetsched__check_layer *layers, size_t nlayers,
                         const size_t *row_ids, size_t nrow_ids,
                         struct hetsched__check_result *res);

/* Full reference of a chain of steps (chain.h): y (rows x the last step's out, ldy) against the
 * chain applied to x (rows x steps[0].in, ldx) in double precision, for the rows listed in
 * row_ids (all when NULL). Per element: |y - ref| / max(|ref| over the row's finite values,
 * 1e-30); NaN and infinities compared by position (see hetsched__check_result). */
int hetsched__check_chain(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                          const struct hetsched__step *steps, size_t nsteps, const size_t *row_ids,
                          size_t nrow_ids, struct hetsched__check_result *res);

/* The same for the numerics of \p mode (the function above: f32 and fp32). */
int hetsched__check_chain_mode(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                               const struct hetsched__step *steps, size_t nsteps,
                               const size_t *row_ids, size_t nrow_ids,
                               const struct hetsched__check_mode *mode,
                               struct hetsched__check_result *res);

/* Random projection for one layer without activation: compares Y t with X (W^T t) + (b.t) for a
 * random vector t, over every row, in O(rows * (in + out)). Error of row i is scaled by
 * |X_i| |W|^T |t| + |b||t|, against a tolerance of in * 2^-24 (the bound of a float dot
 * product of length in). */
int hetsched__check_projection(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                               const struct hetsched__check_layer *layer, uint64_t seed,
                               struct hetsched__check_result *res);

/* The same for the numerics of \p mode. */
int hetsched__check_projection_mode(const float *x, size_t ldx, size_t rows, const float *y,
                                    size_t ldy, const struct hetsched__check_layer *L,
                                    uint64_t seed, const struct hetsched__check_mode *mode,
                                    struct hetsched__check_result *res);

#endif
