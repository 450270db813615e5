/* codelets.h: the codelets of hetsched and the arguments their tasks carry.
 *
 * Buffers are StarPU matrix tiles of float32. A row-major tile of r rows and c columns is, in
 * StarPU's terms, nx = c (contiguous), ny = r, ld >= c.
 *
 * rand:     buffers { out W };           cl_arg struct hetsched_rand_args.
 * linear:   buffers { x R, w R, b R, y [, vecs R] }; cl_arg struct hetsched_linear_args.
 *           x: m x k tile of the input, w: n x k tile of the weight, b: 1 x n tile of the bias
 *           (broadcast over rows) or m x n (a bias per element), y: m x n tile of the output,
 *           accessed W when first (its previous value is not read) and RW otherwise; vecs:
 *           nvec x n, the epilogue's per-column constants (only when prog.nvec > 0).
 *           y = (first ? b : y) + x w^T, then the epilogue program (epilogue.h) when last.
 *           F32 storage only (16-bit storage is linear16); with precision bf16 or fp16 each
 *           element of x and w (not b) is rounded to it before the products.
 * epilogue: buffers { y RW [, vecs R] };   cl_arg struct hetsched_ew_args: y = prog(y).
 * softmax:  buffers { scratch SCRATCH, y_0 RW, ..., y_{t-1} RW }: the t column tiles of one row
 *           tile (m rows each), scratch a vector of 2 m floats; cl_arg struct
 *           hetsched_softmax_args. Each row becomes softmax or log-softmax over all its columns.
 * linear16: buffers { x_0 R, ..., x_{K-1} R, w_0 R, ..., w_{K-1} R, b R, y W [, vecs R],
 *           acc SCRATCH }; cl_arg struct hetsched_linear16_args. One task per output tile for
 *           16-bit storage (dtype BF16 or F16): the K k tiles of row tile i of x and of row tile
 *           j of w, so that the sum over k is accumulated in FP32 (acc: an m x n FP32 matrix,
 *           per worker) and rounded to 16 bits once: acc = sum_kt x_kt w_kt^T in order
 *           kt = 0..K-1, then y = round16(prog(acc + b)). vecs stay FP32.
 *
 * Storage (args.dtype, enum hetsched_dtype): rand, linear16, epilogue and softmax buffers hold
 * elements of that dtype (2 bytes for BF16 and F16, codelets/half.h), vecs and scratch FP32.
 * Arithmetic (args.precision, enum hetsched_precision): a linear's inputs are rounded to it
 * (BF16, FP16) before the products, which are accumulated in FP32; TF32 is CUDA's tensor-core
 * mode, computed in FP32 on CPU and OpenCL workers. Every value is computed in FP32 and stored
 * rounded to nearest even, so the bits do not depend on the worker.
 *
 * Which device variants honour dtype and precision: HETSCHED_OPENCL_NUMERICS and
 * HETSCHED_CUDA_NUMERICS (1 once that backend's rand, linear, epilogue and softmax kernels read
 * them and linear16 has its variant). Until then src/ sends the tasks of any other mode than F32
 * storage with FP32 (or TF32) products to CPU workers only (hetsched__numerics_kinds), and a
 * worker set without CPUs gets HETSCHED_ENODEV with a sentence, never a wrong value.
 */
#ifndef HETSCHED_CODELETS_H
#define HETSCHED_CODELETS_H

#include <stdint.h>
#include <starpu.h>

#include "epilogue.h"

struct hetsched_rand_args {
	uint64_t seed;   /* Philox key */
	uint32_t stream; /* Philox counter word 3: independent streams for one seed */
	uint32_t dist;   /* enum hetsched_dist */
	float a, b;      /* [a, b) or mean a, std b */
	uint64_t row0;   /* global row of the tile's first element */
	uint64_t col0;   /* global column of the tile's first element */
	uint32_t dtype;  /* enum hetsched_dtype of out: the FP32 value, stored rounded */
};

struct hetsched_linear_args {
	uint32_t first;                      /* first k tile: y = b + x w^T (y not read) */
	uint32_t last;                       /* last k tile: apply the epilogue */
	struct hetsched_ew_prog prog;        /* the epilogue (n == 0: none) */
	uint32_t tile_row, tile_col, tile_k; /* coordinates, for statistics and traces */
	double flops;                        /* 2 m n k, for statistics */
	uint32_t footprint;                  /* the model's key of the task, for statistics */
	uint32_t dtype;                      /* enum hetsched_dtype of x, w, b, y (linear: F32) */
	uint32_t precision;                  /* enum hetsched_precision of the products */
};

struct hetsched_linear16_args {
	struct hetsched_linear_args base; /* first and last are both 1; tile_k is 0 */
	uint32_t nk;                      /* K, the k tiles in the buffers */
};

struct hetsched_ew_args {
	struct hetsched_ew_prog prog;
	uint32_t tile_row, tile_col; /* coordinates, for statistics and traces */
	double flops;                /* instructions x elements, for statistics */
	uint32_t footprint;
	uint32_t dtype; /* enum hetsched_dtype of y */
};

struct hetsched_softmax_args {
	uint32_t log;      /* 1: log-softmax */
	uint32_t tile_row; /* for statistics and traces */
	double flops;      /* about 5 per element */
	uint32_t footprint;
	uint32_t dtype; /* enum hetsched_dtype of the y tiles */
};

#ifndef HETSCHED_OPENCL_NUMERICS
#define HETSCHED_OPENCL_NUMERICS 0
#endif
#ifndef HETSCHED_CUDA_NUMERICS
#define HETSCHED_CUDA_NUMERICS 0
#endif

/* The kinds of worker (a STARPU_CPU | STARPU_CUDA | STARPU_OPENCL mask) whose variants compute
 * tasks of storage \p dtype and products \p precision (enum hetsched_dtype, enum
 * hetsched_precision) as this header says. F32 with FP32 products runs everywhere; TF32 too (CPU
 * and OpenCL compute it in FP32, which is its contract there). */
static inline int32_t hetsched__numerics_kinds(uint32_t dtype, uint32_t precision)
{
	const int plain = dtype == 0 && (precision == 0 || precision == 1);
	int32_t kinds = STARPU_CPU;

	if (plain || HETSCHED_OPENCL_NUMERICS)
		kinds |= STARPU_OPENCL;
	if (plain || HETSCHED_CUDA_NUMERICS)
		kinds |= STARPU_CUDA;
	return kinds;
}

/* CPU helpers of 16-bit storage and rounded products (linear16.c). A per-thread FP32 buffer of
 * at least \p floats (slot 0 or 1; aborts when memory runs out). */
float *hetsched__cpu_scratch(unsigned slot, size_t floats);
/* dst (rows x cols FP32, ldd) = src (stored in \p dtype, lds elements per row) widened exactly,
 * each value then rounded to \p precision when it is bf16 or fp16 and differs from the storage. */
void hetsched__cpu_widen(float *dst, size_t ldd, const void *src, size_t lds, size_t rows,
                         size_t cols, uint32_t dtype, uint32_t precision);
/* 1 when hetsched__cpu_widen rounds values of \p dtype for \p precision. */
int hetsched__cpu_rounds(uint32_t dtype, uint32_t precision);
/* dst (rows x cols stored in \p dtype, ldd elements per row) = src rounded to nearest even. */
void hetsched__cpu_store(void *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                         size_t cols, uint32_t dtype);

/* The CUDA and OpenCL variants of linear16 (linear16_cuda.c, linear16_opencl.c), in the
 * codelet when the build has them (linear16.c). */
void hetsched__linear16_cuda(void *buffers[], void *cl_arg);
void hetsched__linear16_opencl(void *buffers[], void *cl_arg);

extern struct starpu_codelet hetsched_cl_rand;
extern struct starpu_codelet hetsched_cl_linear;
extern struct starpu_codelet hetsched_cl_linear16;
extern struct starpu_codelet hetsched_cl_epilogue;
extern struct starpu_codelet hetsched_cl_softmax;

/* The epilogue on the host: y (m x n, ldy) = prog(y), vecs (prog->nvec x n, ldv) its per-column
 * constants (NULL when none). The CPU variant of the codelets (epilogue.c). */
void hetsched__epilogue_cpu(float *y, size_t ldy, size_t m, size_t n,
                            const struct hetsched_ew_prog *prog, const float *vecs, size_t ldv);
/* Hash of a program, for the performance models' footprints. */
uint32_t hetsched__ew_prog_hash(const struct hetsched_ew_prog *prog, uint32_t h);

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
