/* check.c: host-side oracle for `hetsched run --check`: plain double-precision loops, no BLAS
 * and no code of the kernels (activations through reference.c's own double functions), so that
 * a wrong tile, a missing k tile, a bad bias or a wrong activation cannot hide behind the same
 * library. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "half.h"
#include "hetsched.h"
#include "reference.h"

/* A value stored in dtype (FP32, then rounded to nearest even, as the kernels store). */
static double stored(const struct hetsched__check_mode *mode, double v)
{
	if (mode->dtype == HETSCHED_DTYPE_BF16)
		return hetsched__round_bf16((float)v);
	if (mode->dtype == HETSCHED_DTYPE_F16)
		return hetsched__round_f16((float)v);
	return (float)v;
}

/* An input of the products as the precision rounds it (bf16 and fp16; tf32 is not modelled: its
 * rounding, on CUDA only, is in the tolerance). */
static double product_input(const struct hetsched__check_mode *mode, double v)
{
	if (mode->precision == HETSCHED_PRECISION_BF16)
		return hetsched__round_bf16((float)v);
	if (mode->precision == HETSCHED_PRECISION_FP16)
		return hetsched__round_f16((float)v);
	return v;
}

static const struct hetsched__check_mode f32_mode = {HETSCHED_DTYPE_F32, HETSCHED_PRECISION_FP32};

/* Unit roundoff of a storage format: the relative error of one rounding to it. */
static double unit_roundoff(uint32_t dtype)
{
	return dtype == HETSCHED_DTYPE_BF16 ? 0x1p-8 : dtype == HETSCHED_DTYPE_F16 ? 0x1p-11 : 0;
}

double hetsched__check_tolerance(int projection, size_t in, const struct hetsched__check_mode *mode)
{
	/* Accumulation in FP32: in * 2^-24 against the product's own magnitudes (projection);
	 * 1e-4 against the row's largest value (full and rows). */
	double tol = projection ? (double)in * 0x1p-24 : 1e-4;

	/* TF32 rounds both inputs to 11 significand bits (2^-11 each) on CUDA. */
	if (mode->precision == HETSCHED_PRECISION_TF32)
		tol += projection ? 2 * 0x1p-11 : 1e-2;
	/* The output is stored rounded: one unit roundoff of |y|. A chain of steps stores its
	 * activations too, as the oracle does; but where FP32 and double fall on either side of a
	 * rounding boundary, the two differ by an ulp (two unit roundoffs) there, and a softmax
	 * or a sharp activation carries that on: one more unit roundoff for the full and rows
	 * methods. */
	return tol + (projection ? 1 : 2) * unit_roundoff(mode->dtype);
}

/* Forward row i through the chain in double, ping-ponging between the scratch rows a and b
 * (each as wide as the widest step); returns the one holding the output. */
static const double *forward_row(const float *xrow, size_t i, const struct hetsched__step *steps,
                                 size_t nsteps, double *a, double *b,
                                 const struct hetsched__check_mode *mode)
{
	double *cur = a, *next = b, vec[HETSCHED_EW_MAX_VECS] = {0};

	for (size_t c = 0; c < steps[0].in; c++)
		cur[c] = stored(mode, xrow[c]);
	for (size_t s = 0; s < nsteps; s++) {
		const struct hetsched__step *S = &steps[s];
		double *tmp, mx = -INFINITY, sum = 0;

		switch (S->kind) {
		case HETSCHED_STEP_LINEAR:
			for (size_t o = 0; o < S->out; o++) {
				const float *w = S->w + o * S->in;
				double acc = 0;

				if (S->b)
					acc = stored(mode,
					             S->b[(S->bias_rows > 1 ? i * S->out : 0) + o]);
				for (size_t c = 0; c < S->in; c++)
					acc += product_input(mode, cur[c]) *
					       product_input(mode, stored(mode, w[c]));
				next[o] = acc;
			}
			break;
		case HETSCHED_STEP_EPILOGUE:
			for (size_t o = 0; o < S->out; o++)
				next[o] = cur[o];
			break;
		case HETSCHED_STEP_SOFTMAX:
		case HETSCHED_STEP_LOG_SOFTMAX:
			for (size_t o = 0; o < S->out; o++)
				mx = cur[o] > mx || cur[o] != cur[o] ? cur[o] : mx;
			for (size_t o = 0; o < S->out; o++)
				sum += exp(cur[o] - mx);
			for (size_t o = 0; o < S->out; o++)
				next[o] = S->kind == HETSCHED_STEP_SOFTMAX ? exp(cur[o] - mx) / sum
				                                           : cur[o] - mx - log(sum);
			break;
		}
		if (S->kind == HETSCHED_STEP_LINEAR || S->kind == HETSCHED_STEP_EPILOGUE)
			for (size_t o = 0; S->prog.n && o < S->out; o++) {
				for (uint32_t v = 0; v < S->prog.nvec; v++)
					vec[v] = S->vecs[v * S->out + o];
				next[o] = hetsched__ref_ew_value(&S->prog, next[o], vec);
			}
		/* What a step stores, the next reads: 16-bit activations in between (the last
		 * output is left unrounded: its rounding is in the tolerance). */
		for (size_t o = 0;
		     mode->dtype != HETSCHED_DTYPE_F32 && s + 1 < nsteps && o < S->out; o++)
			next[o] = stored(mode, next[o]);
		tmp = cur;
		cur = next;
		next = tmp;
	}
	return cur;
}

/* splitmix64: the projection vector needs no more than a decent, independent generator. */
static double next_unit(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1p-53 * 2.0 - 1.0;
}

static void spot(struct hetsched__check_spot *s, size_t row, size_t col)
{
	if (s->count++ == 0) {
		s->row = row;
		s->col = col;
	}
}

static void check_init(struct hetsched__check_result *res, const char *method, double tolerance)
{
	struct hetsched__check_spot none = {0, 0, 0};

	res->max_abs_err = res->max_rel_err = 0;
	res->checked = 0;
	res->method = method;
	res->tolerance = tolerance;
	res->input_nonfinite = res->output_nonfinite = res->nonfinite_mismatch = none;
}

int hetsched__check_chain(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                          const struct hetsched__step *steps, size_t nsteps, const size_t *row_ids,
                          size_t nrow_ids, struct hetsched__check_result *res)
{
	return hetsched__check_chain_mode(x, ldx, rows, y, ldy, steps, nsteps, row_ids, nrow_ids,
	                                  &f32_mode, res);
}

int hetsched__check_chain_mode(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                               const struct hetsched__step *steps, size_t nsteps,
                               const size_t *row_ids, size_t nrow_ids,
                               const struct hetsched__check_mode *mode,
                               struct hetsched__check_result *res)
{
	size_t width = steps[0].in, out = steps[nsteps - 1].out;
	size_t n = row_ids ? nrow_ids : rows;
	double *a, *b;

	for (size_t s = 0; s < nsteps; s++)
		width = steps[s].out > width ? steps[s].out : width;
	a = malloc(width * sizeof(double));
	b = malloc(width * sizeof(double));
	if (!a || !b) {
		free(a);
		free(b);
		return HETSCHED_ENOMEM;
	}
	/* Float accumulation over the longest layer, with margin for the layers in between. */
	check_init(res, row_ids ? "rows" : "full", hetsched__check_tolerance(0, width, mode));
	for (size_t r = 0; r < n; r++) {
		size_t i = row_ids ? row_ids[r] : r;
		const double *ref;
		double scale = 1e-30;

		for (size_t c = 0; c < steps[0].in; c++)
			if (!isfinite(x[i * ldx + c]))
				spot(&res->input_nonfinite, i, c);
		ref = forward_row(x + i * ldx, i, steps, nsteps, a, b, mode);
		for (size_t o = 0; o < out; o++)
			if (isfinite(ref[o]))
				scale = fabs(ref[o]) > scale ? fabs(ref[o]) : scale;
		for (size_t o = 0; o < out; o++) {
			double v = y[i * ldy + o], err;

			if (!isfinite(v))
				spot(&res->output_nonfinite, i, o);
			if (!isfinite(v) || !isfinite(ref[o])) {
				/* Same NaN or same infinity: exact. Anything else: a mismatch. */
				if ((isnan(v) && isnan(ref[o])) || v == ref[o])
					continue;
				spot(&res->nonfinite_mismatch, i, o);
				res->max_abs_err = res->max_rel_err = INFINITY;
				continue;
			}
			err = fabs(v - ref[o]);
			res->max_abs_err = err > res->max_abs_err ? err : res->max_abs_err;
			res->max_rel_err =
			    err / scale > res->max_rel_err ? err / scale : res->max_rel_err;
		}
		res->checked += out;
	}
	res->ok = res->max_rel_err <= res->tolerance && res->nonfinite_mismatch.count == 0;
	free(a);
	free(b);
	return 0;
}

int hetsched__check_rows(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                         const struct hetsched__check_layer *layers, size_t nlayers,
                         const size_t *row_ids, size_t nrow_ids, struct hetsched__check_result *res)
{
	struct hetsched__step *steps = calloc(nlayers, sizeof(*steps));
	int rc;

	if (!steps)
		return HETSCHED_ENOMEM;
	for (size_t l = 0; l < nlayers; l++) {
		steps[l].kind = HETSCHED_STEP_LINEAR;
		steps[l].in = layers[l].in;
		steps[l].out = layers[l].out;
		steps[l].w = (float *)layers[l].w;
		steps[l].b = (float *)layers[l].b;
		steps[l].bias_rows = 1;
		if (layers[l].relu) {
			steps[l].prog.n = 1;
			steps[l].prog.code[0] = HETSCHED_EW_CODE(HETSCHED_EW_RELU, 0, 0, 0, 0, 0);
		}
	}
	rc = hetsched__check_chain(x, ldx, rows, y, ldy, steps, nlayers, row_ids, nrow_ids, res);
	free(steps);
	return rc;
}

int hetsched__check_projection(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                               const struct hetsched__check_layer *L, uint64_t seed,
                               struct hetsched__check_result *res)
{
	return hetsched__check_projection_mode(x, ldx, rows, y, ldy, L, seed, &f32_mode, res);
}

int hetsched__check_projection_mode(const float *x, size_t ldx, size_t rows, const float *y,
                                    size_t ldy, const struct hetsched__check_layer *L,
                                    uint64_t seed, const struct hetsched__check_mode *mode,
                                    struct hetsched__check_result *res)
{
	double *t = malloc(L->out * sizeof(double)), *wt = malloc(L->in * sizeof(double));
	double *awt = malloc(L->in * sizeof(double));
	double bt = 0, abt = 0;

	if (!t || !wt || !awt) {
		free(t);
		free(wt);
		free(awt);
		return HETSCHED_ENOMEM;
	}
	/* t uniform in [-1, 1). */
	for (size_t o = 0; o < L->out; o++)
		t[o] = next_unit(&seed);
	for (size_t c = 0; c < L->in; c++)
		wt[c] = awt[c] = 0;
	/* wt = W^T t and awt = |W|^T |t|, row by row of W. */
	for (size_t o = 0; o < L->out; o++) {
		const float *w = L->w + o * L->in;

		for (size_t c = 0; c < L->in; c++) {
			double wc = product_input(mode, stored(mode, w[c]));

			wt[c] += wc * t[o];
			awt[c] += fabs(wc) * fabs(t[o]);
		}
		bt += L->b ? stored(mode, L->b[o]) * t[o] : 0;
		abt += L->b ? fabs(stored(mode, L->b[o]) * t[o]) : 0;
	}
	check_init(res, "projection", hetsched__check_tolerance(1, L->in, mode));
	res->checked = rows * L->out;
	for (size_t i = 0; i < rows; i++) {
		const float *xi = x + i * ldx, *yi = y + i * ldy;
		double yt = 0, ref = bt, scale = abt + 1e-30, err;

		for (size_t o = 0; o < L->out; o++) {
			yt += (double)yi[o] * t[o];
			if (!isfinite(yi[o]))
				spot(&res->output_nonfinite, i, o);
		}
		for (size_t c = 0; c < L->in; c++) {
			double xc = product_input(mode, stored(mode, xi[c]));

			ref += xc * wt[c];
			scale += fabs(xc) * awt[c];
			if (!isfinite(xi[c]))
				spot(&res->input_nonfinite, i, c);
		}
		/* A NaN or infinity in the row's input reaches every output of the row and both
		 * projections: they then agree by being NaN alike (or the same infinity). */
		if (!isfinite(yt) || !isfinite(ref)) {
			if ((isnan(yt) && isnan(ref)) || yt == ref)
				continue;
			spot(&res->nonfinite_mismatch, i, 0);
		}
		err = fabs(yt - ref);
		if (!(err == err))
			err = INFINITY;
		res->max_abs_err = err > res->max_abs_err ? err : res->max_abs_err;
		res->max_rel_err = err / scale > res->max_rel_err ? err / scale : res->max_rel_err;
	}
	res->ok = res->max_rel_err <= res->tolerance && res->nonfinite_mismatch.count == 0;
	free(t);
	free(wt);
	free(awt);
	return 0;
}
