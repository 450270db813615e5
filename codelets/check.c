/* check.c: host-side oracle for `hetsched run --check`: plain double-precision loops, no BLAS,
 * so that a wrong tile, a missing k tile or a bad bias cannot hide behind the same library. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "hetsched.h"

/* Forward one row through the MLP in double, ping-ponging between the scratch rows a and b
 * (each as wide as the widest layer); returns the one holding the output. */
static const double *forward_row(const float *xrow, const struct hetsched__check_layer *layers,
                                 size_t nlayers, double *a, double *b)
{
	double *cur = a, *next = b;

	for (size_t c = 0; c < layers[0].in; c++)
		cur[c] = xrow[c];
	for (size_t l = 0; l < nlayers; l++) {
		const struct hetsched__check_layer *L = &layers[l];
		double *tmp;

		for (size_t o = 0; o < L->out; o++) {
			const float *w = L->w + o * L->in;
			double s = L->b ? L->b[o] : 0.0;

			for (size_t c = 0; c < L->in; c++)
				s += cur[c] * (double)w[c];
			next[o] = L->relu && s < 0 ? 0 : s;
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

int hetsched__check_rows(const float *x, size_t ldx, size_t rows, const float *y, size_t ldy,
                         const struct hetsched__check_layer *layers, size_t nlayers,
                         const size_t *row_ids, size_t nrow_ids, struct hetsched__check_result *res)
{
	size_t width = layers[0].in, out = layers[nlayers - 1].out;
	size_t n = row_ids ? nrow_ids : rows;
	double *a, *b;

	for (size_t l = 0; l < nlayers; l++)
		width = layers[l].out > width ? layers[l].out : width;
	a = malloc(width * sizeof(double));
	b = malloc(width * sizeof(double));
	if (!a || !b) {
		free(a);
		free(b);
		return HETSCHED_ENOMEM;
	}
	res->max_abs_err = res->max_rel_err = 0;
	res->checked = 0;
	res->method = row_ids ? "rows" : "full";
	/* Float accumulation over the longest layer, with margin for the layers in between. */
	res->tolerance = 1e-4;
	for (size_t r = 0; r < n; r++) {
		size_t i = row_ids ? row_ids[r] : r;
		const double *ref;
		double scale = 1e-30;

		ref = forward_row(x + i * ldx, layers, nlayers, a, b);
		for (size_t o = 0; o < out; o++)
			scale = fabs(ref[o]) > scale ? fabs(ref[o]) : scale;
		for (size_t o = 0; o < out; o++) {
			double err = fabs((double)y[i * ldy + o] - ref[o]);

			/* NaN compares false: count it as an infinite error. */
			if (!(err == err))
				err = INFINITY;
			res->max_abs_err = err > res->max_abs_err ? err : res->max_abs_err;
			res->max_rel_err =
			    err / scale > res->max_rel_err ? err / scale : res->max_rel_err;
		}
		res->checked += out;
	}
	res->ok = res->max_rel_err <= res->tolerance;
	free(a);
	free(b);
	return 0;
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
	res->max_abs_err = res->max_rel_err = 0;
	res->checked = rows * L->out;
	res->method = "projection";
	res->tolerance = (double)L->in * ldexp(1.0, -24);
	for (size_t i = 0; i < rows; i++) {
		const float *xi = x + i * ldx, *yi = y + i * ldy;
		double yt = 0, ref = bt, scale = abt + 1e-30, err;

		for (size_t o = 0; o < L->out; o++)
			yt += (double)yi[o] * t[o];
		for (size_t c = 0; c < L->in; c++) {
			ref += (double)xi[c] * wt[c];
			scale += fabs((double)xi[c]) * awt[c];
		}
		err = fabs(yt - ref);
		if (!(err == err))
			err = INFINITY;
		res->max_abs_err = err > res->max_abs_err ? err : res->max_abs_err;
		res->max_rel_err = err / scale > res->max_rel_err ? err / scale : res->max_rel_err;
	}
	res->ok = res->max_rel_err <= res->tolerance;
	free(t);
	free(wt);
	free(awt);
	return 0;
}
