/* opencl_programs.h: the OpenCL side of the codelets, shared by codelets.c and the *_opencl.c
 * glue. Only built when the library has OpenCL (HETSCHED_HAVE_OPENCL_BUILD).
 *
 * The kernels (half.cl, rand.cl, linear.cl, epilogue.cl, softmax.cl, linear16.cl, after philox.h
 * and epilogue.h) are one OpenCL program, embedded as the C string hetsched__opencl_source by
 * cl2c.sh at build time and built by hetsched__codelets_init() for every OpenCL device StarPU
 * drives.
 */
#ifndef HETSCHED_OPENCL_PROGRAMS_H
#define HETSCHED_OPENCL_PROGRAMS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <starpu.h>

#include "epilogue.h"
#include "hetsched.h"

#define HETSCHED_STATUS_OPENCL 1
#include "status_check.h"

/* philox.h, epilogue.h and the .cl files concatenated (generated opencl_sources.c). */
extern const char hetsched__opencl_source[];

/* The program built from it, valid between hetsched__codelets_init() and _shutdown(). */
extern struct starpu_opencl_program hetsched__opencl_program;

/* 1 when OpenCL device devid (StarPU's numbering) is a CPU device, such as PoCL's. */
int hetsched__opencl_is_cpu(int devid);

/* End of an OpenCL codelet: on a CPU device, wait here for the kernel just queued. The
 * StarPU driver thread would otherwise poll for its end on a core of its own while the kernel
 * runs on another, taking a core from the CPU workers; waiting, it is the thread that runs the
 * kernel (PoCL's basic device, see runtime.c) or it sleeps. GPUs stay asynchronous. */
void hetsched__opencl_cpu_wait(cl_command_queue queue, int devid);

/* The OpenCL implementations of the codelets (rand_opencl.c, linear_opencl.c, epilogue_opencl.c,
 * softmax_opencl.c, linear16_opencl.c). */
void hetsched__rand_opencl(void *buffers[], void *cl_arg);
void hetsched__linear_opencl(void *buffers[], void *cl_arg);
void hetsched__epilogue_opencl(void *buffers[], void *cl_arg);
void hetsched__softmax_opencl(void *buffers[], void *cl_arg);
void hetsched__linear16_opencl(void *buffers[], void *cl_arg);

/* Queue epilogue.cl's kernel on \p queue: y = prog(y) over the matrix tile \p y of \p dtype
 * (enum hetsched_dtype), with the per-column constants of the matrix tile \p vecs (FP32; NULL
 * when the program reads none). */
void hetsched__epilogue_opencl_enqueue(cl_command_queue queue, int devid, void *y, void *vecs,
                                       const struct hetsched_ew_prog *prog, uint32_t dtype);

/* The kernels take dtypes as the numbers of enum hetsched_dtype (half.cl's HETSCHED__DTYPE_*). */
_Static_assert(HETSCHED_DTYPE_F32 == 0 && HETSCHED_DTYPE_BF16 == 1 && HETSCHED_DTYPE_F16 == 2,
               "half.cl's dtype numbers");

/* A matrix tile as the kernels take it: buffer, offset in elements (StarPU's is in bytes) and
 * leading dimension. */
struct hetsched__cl_tile {
	cl_mem mem;
	cl_ulong offset;
	cl_uint ld;
};

static inline struct hetsched__cl_tile hetsched__cl_tile(void *buffer)
{
	struct hetsched__cl_tile t;

	t.mem = (cl_mem)STARPU_MATRIX_GET_DEV_HANDLE(buffer);
	t.offset = STARPU_MATRIX_GET_OFFSET(buffer) / STARPU_MATRIX_GET_ELEMSIZE(buffer);
	t.ld = STARPU_MATRIX_GET_LD(buffer);
	return t;
}

/* The format a linear's inputs are rounded to before the products (the kernels' rnd): the
 * precision's (BF16, FP16) when it is not already the storage's \p dtype, else none (0). TF32
 * has no OpenCL form: FP32. */
static inline cl_uint hetsched__opencl_rounding(uint32_t dtype, uint32_t precision)
{
	if (precision == HETSCHED_PRECISION_BF16 && dtype != HETSCHED_DTYPE_BF16)
		return HETSCHED_DTYPE_BF16;
	if (precision == HETSCHED_PRECISION_FP16 && dtype != HETSCHED_DTYPE_F16)
		return HETSCHED_DTYPE_F16;
	return 0;
}

/* Work-group edge of the tiled kernels (TS in linear.cl), block of y per work-item of the
 * dot-product ones (RB x CB). */
#define HETSCHED__CL_TS 16
#define HETSCHED__CL_RB 4
#define HETSCHED__CL_CB 4

/* 1: the dot-product kernels of linear.cl and linear16.cl on this device, 0: the tiled ones (see
 * linear_opencl.c). */
int hetsched__opencl_use_dot(int devid);

#endif
