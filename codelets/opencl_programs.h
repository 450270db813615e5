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

#define HETSCHED_STATUS_OPENCL 1
#include "status_check.h"

/* philox.h, rand.cl and linear.cl concatenated (generated opencl_sources.c). */
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

/* The OpenCL implementations of the codelets (rand_opencl.c, linear_opencl.c). */
void hetsched__rand_opencl(void *buffers[], void *cl_arg);
void hetsched__linear_opencl(void *buffers[], void *cl_arg);

#endif
