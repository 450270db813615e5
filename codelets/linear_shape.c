/* linear_shape.c: the shape of a linear task's tiles, checked, for every variant of the linear
 * codelet (a file of its own, so that linear.c and linear_opencl.c do not call each other). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "codelets.h"

/* Shape of the task's tiles: x is m x k, w n x k, b 1 x n, y m x n. A mismatch is a tiling bug
 * upstream and is fatal. Shared by the
 * variants of linear.c and linear_opencl.c. */
void hetsched__linear_shape(void *buffers[], uint32_t *m, uint32_t *n, uint32_t *k)
{
	*m = STARPU_MATRIX_GET_NY(buffers[0]);
	*k = STARPU_MATRIX_GET_NX(buffers[0]);
	*n = STARPU_MATRIX_GET_NY(buffers[1]);
	if (STARPU_MATRIX_GET_NX(buffers[1]) != *k || STARPU_MATRIX_GET_NX(buffers[2]) != *n ||
	    STARPU_MATRIX_GET_NY(buffers[3]) != *m || STARPU_MATRIX_GET_NX(buffers[3]) != *n) {
		fprintf(stderr,
		        "%s:%d: linear: tiles do not match: x %ux%u, w %ux%u, b %ux%u, y %ux%u "
		        "(rows x cols)\n",
		        __FILE__, __LINE__, (unsigned)*m, (unsigned)*k, (unsigned)*n,
		        (unsigned)STARPU_MATRIX_GET_NX(buffers[1]),
		        (unsigned)STARPU_MATRIX_GET_NY(buffers[2]),
		        (unsigned)STARPU_MATRIX_GET_NX(buffers[2]),
		        (unsigned)STARPU_MATRIX_GET_NY(buffers[3]),
		        (unsigned)STARPU_MATRIX_GET_NX(buffers[3]));
		abort();
	}
}
