/* opencl_programs.h: the OpenCL side of the codelets, shared by codelets.c and the *_opencl.c
 * glue. Only built when the library has OpenCL (HETSCHED_HAVE_OPENCL_BUILD).
 *
 * The kernels (rand.cl, linear.cl, after philox.h) are one OpenCL program, embedded as the C string
 * hetsched__opencl_source by cl2c.sh at build time and built by hetsched__codelets_init() for every
 * OpenCL device StarPU drives.
 */
#ifndef HETSCHED_OPENCL_PROGRAMS_H
#define HETSCHED_OPENCL_PROGRAMS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <starpu.h>

/* philox.h, rand.cl and linear.cl concatenated (generated opencl_sources.c). */
extern const char hetsched__opencl_source[];

/* The program built from it, valid between hetsched__codelets_init() and _shutdown(). */
extern struct starpu_opencl_program hetsched__opencl_program;

/* Check an OpenCL status: on failure print OpenCL's name of the error with file and line, then
 * abort (codelets return void and cannot report an error any other way). */
#define HETSCHED_CL_CHECK(expr)                                                                    \
	do {                                                                                       \
		cl_int hetsched_cl_status_ = (expr);                                               \
		if (hetsched_cl_status_ != CL_SUCCESS) {                                           \
			fprintf(stderr, "%s:%d: %s failed: %s (%d)\n", __FILE__, __LINE__, #expr,  \
			        starpu_opencl_error_string(hetsched_cl_status_),                   \
			        (int)hetsched_cl_status_);                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* 1 when OpenCL device devid (StarPU's numbering) is a CPU device, such as PoCL's. */
int hetsched__opencl_is_cpu(int devid);

/* End of an OpenCL codelet: on a CPU device, wait here for the kernel just queued. The
 * StarPU driver thread would otherwise poll for its end on a core of its own while the kernel
 * runs on another, taking a core from the CPU workers; waiting, it is the thread that runs the
 * kernel (PoCL's basic device, see runtime.c) or it sleeps. GPUs stay asynchronous. */
void hetsched__opencl_cpu_wait(cl_command_queue queue, int devid);

/* The OpenCL implementations of the codelets (rand_opencl.c, linear_opencl.c). */
void hetsched__rand_opencl(void *buffers[], void *cl_arg);
void hetsched__linear_opencl(void *buffers[], void *cl_arg);

/* Rows m, columns n and inner size k of a linear task's tiles (linear.c); aborts when the four
 * tiles do not fit together. */
void hetsched__linear_shape(void *buffers[], uint32_t *m, uint32_t *n, uint32_t *k);

#endif
