/* perturb_sgemm.c: an LD_PRELOAD library for precision.sh: every cblas_sgemm call (the products
 * of the CPU kernels of every mode) returns with C[0][0] off by a fifth of the largest |C| of its
 * first row, plus one: an error that --check must catch in every mode. The library itself
 * carries no such hook; OpenBLAS is a shared library, so its cblas_sgemm can be interposed. The
 * real one is found with dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cblas.h>

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
                         const enum CBLAS_TRANSPOSE, const blasint, const blasint, const blasint,
                         const float, const float *, const blasint, const float *, const blasint,
                         const float, float *, const blasint);

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                 const enum CBLAS_TRANSPOSE tb, const blasint m, const blasint n, const blasint k,
                 const float alpha, const float *a, const blasint lda, const float *b,
                 const blasint ldb, const float beta, float *c, const blasint ldc)
{
	static sgemm_fn real;
	float mx = 0;

	if (!real)
		real = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
	if (!real) {
		fprintf(stderr, "perturb_sgemm: no cblas_sgemm to wrap\n");
		abort();
	}
	real(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	/* Row-major is all hetsched uses: the first row is c[0 .. n-1]. */
	for (blasint j = 0; j < n && m > 0; j++)
		mx = fabsf(c[j]) > mx ? fabsf(c[j]) : mx;
	if (m > 0 && n > 0)
		c[0] += 0.2f * mx + 1.0f;
}
