/* softmax_opencl.c: the OpenCL implementation of the softmax codelet: the three phases of
 * softmax.cl, tile after tile, on the worker's in-order command queue (STARPU_OPENCL_ASYNC; on
 * a CPU device the codelet waits, see hetsched__opencl_cpu_wait). 16-bit tiles (dtype BF16,
 * F16) take the *16 kernels: widened, FP32, stored rounded; the scratch stays FP32. */
#include "config.h"

#include "codelets.h"
#include "opencl_programs.h"

void hetsched__softmax_opencl(void *buffers[], void *cl_arg)
{
	const struct hetsched_softmax_args *args = cl_arg;
	const unsigned ntiles = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1;
	const int devid = starpu_worker_get_devid(starpu_worker_get_id());
	cl_mem smem = (cl_mem)STARPU_VECTOR_GET_DEV_HANDLE(buffers[0]);
	cl_ulong soff = STARPU_VECTOR_GET_OFFSET(buffers[0]) / sizeof(float);
	cl_uint log_softmax = args->log, dtype = args->dtype;
	const int wide = dtype == HETSCHED_DTYPE_F32;
	cl_command_queue queue;
	cl_kernel reduce, norm;

	HETSCHED_CL_CHECK(starpu_opencl_load_kernel(
	    &reduce, &queue, &hetsched__opencl_program,
	    wide ? "hetsched_softmax_reduce" : "hetsched_softmax_reduce16", devid));
	HETSCHED_CL_CHECK(starpu_opencl_load_kernel(
	    &norm, &queue, &hetsched__opencl_program,
	    wide ? "hetsched_softmax_norm" : "hetsched_softmax_norm16", devid));
	for (cl_uint phase = 0; phase < 3; phase++)
		for (unsigned t = 0; t < ntiles; t++) {
			void *tile = buffers[t + 1];
			cl_mem ymem = (cl_mem)STARPU_MATRIX_GET_DEV_HANDLE(tile);
			cl_ulong yoff =
			    STARPU_MATRIX_GET_OFFSET(tile) / STARPU_MATRIX_GET_ELEMSIZE(tile);
			cl_uint ldy = STARPU_MATRIX_GET_LD(tile), m = STARPU_MATRIX_GET_NY(tile);
			cl_uint n = STARPU_MATRIX_GET_NX(tile), first = t == 0;
			cl_kernel k = phase < 2 ? reduce : norm;
			size_t global[2] = {phase < 2 ? m : n, m};
			int arg = 0;

			if (m == 0 || n == 0)
				continue;
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(ymem), &ymem));
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(yoff), &yoff));
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(ldy), &ldy));
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(m), &m));
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(n), &n));
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(smem), &smem));
			HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(soff), &soff));
			if (phase < 2) {
				HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(phase), &phase));
				HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(first), &first));
			} else {
				HETSCHED_CL_CHECK(
				    clSetKernelArg(k, arg++, sizeof(log_softmax), &log_softmax));
			}
			if (!wide)
				HETSCHED_CL_CHECK(clSetKernelArg(k, arg++, sizeof(dtype), &dtype));
			HETSCHED_CL_CHECK(clEnqueueNDRangeKernel(queue, k, phase < 2 ? 1 : 2, NULL,
			                                         global, NULL, 0, NULL, NULL));
		}
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(reduce));
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(norm));
	hetsched__opencl_cpu_wait(queue, devid);
}
