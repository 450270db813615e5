/* check.c: host-side oracle for `hetsched run --check`: plain double-precision loops, no BLAS
 * and no code of the kernels (activations through reference.c's own double functions), so that
 * a wrong tile, a missing k tile, a bad bias or a wrong activation cannot hide behind the same
 * library. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "hetsched.h"
#include "reference.h"

/* Forward row i through the chain in double, ping-ponging between the scratch rows a and b
 * (each as wide as the widest step); returns the one holding the output. */
static const double *forward_row(const float *xrow, size_t i, const struct hetsched__step *steps,
                                 size_t nsteps, double *a, double *b)
{
	double *cur = a, *next = b, vec[HETSCHED_EW_MAX_VECS] = {0};

	for (size_t c = 0; c < steps[0].in; c++)
		cur[c] = xrow[c];
	for (size_t s = 0; s < nsteps; s++) {
		const struct hetsched__step *S = &steps[s];
		double *tmp, mx = -INFINITY, sum = 0;

		switch (S->kind) {
		case HETSCHED_STEP_LINEAR:
			for (size_t o = 0; o < S->out; o++) {
				const float *w = S->w + o * S->in;
				double acc = 0;

				if (S->b)
					acc = S->b[(S->bias_rows > 1 ? i * S->out : 0) + o];
				for (size_t c = 0; c < S->in; c++)
					acc += cur[c] * (double)w[c];
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
	check_init(res, row_ids ? "rows" : "full", 1e-4);
	for (size_t r = 0; r < n; r++) {
		size_t i = row_ids ? row_ids[r] : r;
		const double *ref;
		double scale = 1e-30;

		for (size_t c = 0; c < steps[0].in; c++)
			if (!isfinite(x[i * ldx + c]))
				spot(&res->input_nonfinite, i, c);
		ref = forward_row(x + i * ldx, i, steps, nsteps, a, b);
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
			wt[c] += (double)w[c] * t[o];
			awt[c] += fabs((double)w[c]) * fabs(t[o]);
		}
		bt += L->b ? L->b[o] * t[o] : 0;
		abt += L->b ? fabs(L->b[o] * t[o]) : 0;
	}
	check_init(res, "projection", (double)L->in * ldexp(1.0, -24));
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
			ref += (double)xi[c] * wt[c];
			scale += fabs((double)xi[c]) * awt[c];
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
