/* reference.c: reference kernels, written for obviousness rather than speed (see reference.h). */
#include "config.h"

#include "reference.h"

#include <math.h>

#include "codelets.h"
#include "philox.h"

/* y[i][j] = relu?(b[j] + sum_p x[i][p] w[j][p]), accumulated in double. */
void hetsched__ref_linear(const float *x, size_t ldx, const float *w, size_t ldw, const float *b,
                          float *y, size_t ldy, size_t m, size_t n, size_t k, int relu)
{
	size_t i, j, p;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			double acc = b ? (double)b[j] : 0.0;

			for (p = 0; p < k; p++)
				acc += (double)x[i * ldx + p] * (double)w[j * ldw + p];
			if (relu && acc < 0.0)
				acc = 0.0;
			y[i * ldy + j] = (float)acc;
		}
	}
}

void hetsched__ref_rand(float *out, size_t ld, size_t rows, size_t cols, uint64_t row0,
                        uint64_t col0, const struct hetsched_rand_args *args)
{
	size_t i, j;

	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			out[i * ld + j] =
			    hetsched__rand_element(args->seed, args->stream, args->dist, args->a,
			                           args->b, row0 + i, col0 + j);
}

/* The activations as their papers and ONNX's operator documents write them, in double. */
static double ref_unary(uint32_t op, double x, double p0, double p1)
{
	switch (op) {
	case HETSCHED_EW_RELU:
		return x > 0 ? x : (x == x ? 0.0 : x);
	case HETSCHED_EW_LEAKY_RELU:
		return x >= 0 ? x : p0 * x;
	case HETSCHED_EW_ELU:
		return x >= 0 ? x : p0 * (exp(x) - 1.0);
	case HETSCHED_EW_SELU:
		return x > 0 ? p1 * x : p1 * (p0 * exp(x) - p0);
	case HETSCHED_EW_TANH:
		return tanh(x);
	case HETSCHED_EW_SIGMOID:
		return 1.0 / (1.0 + exp(-x));
	case HETSCHED_EW_HARD_SIGMOID:
		return fmax(0.0, fmin(1.0, p0 * x + p1));
	case HETSCHED_EW_GELU:
		return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
	case HETSCHED_EW_GELU_TANH:
		return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * pow(x, 3.0))));
	case HETSCHED_EW_SQRT:
		return sqrt(x);
	case HETSCHED_EW_ERF:
		return erf(x);
	case HETSCHED_EW_EXP:
		return exp(x);
	case HETSCHED_EW_COPY:
		return x;
	}
	return NAN;
}

static double ref_binary(uint32_t op, double x, double y)
{
	switch (op) {
	case HETSCHED_EW_ADD:
		return x + y;
	case HETSCHED_EW_SUB:
		return x - y;
	case HETSCHED_EW_MUL:
		return x * y;
	case HETSCHED_EW_DIV:
		return x / y;
	case HETSCHED_EW_POWER:
		return pow(x, y);
	}
	return NAN;
}

double hetsched__ref_ew_value(const struct hetsched_ew_prog *prog, double x, const double *vec)
{
	double r[HETSCHED_EW_NREGS] = {x, 0, 0, 0};

	for (uint32_t i = 0; i < prog->n; i++) {
		uint32_t c = prog->code[i], op = HETSCHED_EW_OP(c);
		double a = r[HETSCHED_EW_A(c)], b;

		if (op < HETSCHED_EW_ADD) {
			r[HETSCHED_EW_DST(c)] = ref_unary(op, a, prog->p0[i], prog->p1[i]);
			continue;
		}
		switch (HETSCHED_EW_BSRC(c)) {
		case HETSCHED_EW_B_REG:
			b = r[HETSCHED_EW_BIDX(c)];
			break;
		case HETSCHED_EW_B_SCALAR:
			b = prog->p0[i];
			break;
		default:
			b = vec[HETSCHED_EW_BIDX(c)];
		}
		r[HETSCHED_EW_DST(c)] =
		    HETSCHED_EW_SWAP(c) ? ref_binary(op, b, a) : ref_binary(op, a, b);
	}
	return r[0];
}

void hetsched__ref_epilogue(float *y, size_t ldy, size_t m, size_t n,
                            const struct hetsched_ew_prog *prog, const float *vecs, size_t ldv)
{
	double vec[HETSCHED_EW_MAX_VECS] = {0};

	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++) {
			for (uint32_t v = 0; v < prog->nvec; v++)
				vec[v] = vecs[v * ldv + j];
			y[i * ldy + j] = (float)hetsched__ref_ew_value(prog, y[i * ldy + j], vec);
		}
}

void hetsched__ref_softmax(float *y, size_t ldy, size_t m, size_t n, int log_softmax)
{
	for (size_t i = 0; i < m; i++) {
		float *row = y + i * ldy;
		double mx = -INFINITY, sum = 0;

		for (size_t j = 0; j < n; j++)
			mx = fmax(mx, row[j]);
		for (size_t j = 0; j < n; j++)
			sum += exp(row[j] - mx);
		for (size_t j = 0; j < n; j++)
			row[j] = log_softmax ? (float)(row[j] - mx - log(sum))
			                     : (float)(exp(row[j] - mx) / sum);
	}
}
