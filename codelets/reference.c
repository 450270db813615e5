/* reference.c: reference kernels, written for obviousness rather than speed (see reference.h). */
#include "config.h"

#include "reference.h"

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
