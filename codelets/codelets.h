/* codelets.h: the codelets of hetsched and the arguments their tasks carry.
 *
 * Buffers are StarPU matrix tiles of float32. A row-major tile of r rows and c columns is, in
 * StarPU's terms, nx = c (contiguous), ny = r, ld >= c.
 *
 * rand:   buffers { out W };           cl_arg struct hetsched_rand_args.
 * linear: buffers { x R, w R, b R, y }; cl_arg struct hetsched_linear_args.
 *         x: m x k tile of the input, w: n x k tile of the weight, b: 1 x n tile of the bias,
 *         y: m x n tile of the output, accessed W when first (its previous value is not read)
 *         and RW otherwise. y = (first ? b : y) + x w^T, then max(0, .) when last && act.
 */
#ifndef HETSCHED_CODELETS_H
#define HETSCHED_CODELETS_H

#include <stdint.h>
#include <starpu.h>

struct hetsched_rand_args {
	uint64_t seed;   /* Philox key */
	uint32_t stream; /* Philox counter word 3: independent streams for one seed */
	uint32_t dist;   /* enum hetsched_dist */
	float a, b;      /* [a, b) or mean a, std b */
	uint64_t row0;   /* global row of the tile's first element */
	uint64_t col0;   /* global column of the tile's first element */
};

struct hetsched_linear_args {
	uint32_t first;                      /* first k tile: y = b + x w^T (y not read) */
	uint32_t last;                       /* last k tile: apply the activation */
	uint32_t act;                        /* enum hetsched_activation */
	uint32_t tile_row, tile_col, tile_k; /* coordinates, for statistics and traces */
	double flops;                        /* 2 m n k, for statistics */
	uint32_t footprint;                  /* the model's key of the task, for statistics */
};

extern struct starpu_codelet hetsched_cl_rand;
extern struct starpu_codelet hetsched_cl_linear;

/* Rows m, columns n and inner size k of a linear task's tiles (linear_shape.c); aborts when the
 * four tiles do not fit together. */
void hetsched__linear_shape(void *buffers[], uint32_t *m, uint32_t *n, uint32_t *k);

/* Load device programs (OpenCL) after starpu_init. Returns 0, or HETSCHED_ESTARPU when building
 * them fails, with StarPU's status of the failing call in *starpu_status (when not NULL): the
 * caller words the message (the compiler's log is already printed). */
int hetsched__codelets_init(int *starpu_status);
/* Unload them before starpu_shutdown. */
void hetsched__codelets_shutdown(void);

#endif
