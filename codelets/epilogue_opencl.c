/* epilogue_opencl.c: the OpenCL implementation of the epilogue codelet, and the enqueue that the
 * linear codelet shares: queues epilogue.cl's kernel on the worker's command queue
 * (STARPU_OPENCL_ASYNC; on a CPU device the codelet waits, see hetsched__opencl_cpu_wait).
 * A 16-bit y (dtype BF16, F16) gets hetsched_epilogue16: widened, FP32, stored rounded. */
#include "config.h"

#include <string.h>

#include "codelets.h"
#include "opencl_programs.h"

void hetsched__epilogue_opencl_enqueue(cl_command_queue queue, int devid, void *y, void *vecs,
                                       const struct hetsched_ew_prog *prog, uint32_t dtype)
{
	cl_mem ymem = (cl_mem)STARPU_MATRIX_GET_DEV_HANDLE(y);
	/* StarPU gives offsets in bytes; the kernel indexes elements. */
	cl_ulong yoff = STARPU_MATRIX_GET_OFFSET(y) / STARPU_MATRIX_GET_ELEMSIZE(y);
	cl_uint cl_dtype = dtype;
	cl_uint ldy = STARPU_MATRIX_GET_LD(y), m = STARPU_MATRIX_GET_NY(y);
	cl_uint n = STARPU_MATRIX_GET_NX(y);
	/* Without constants the kernel reads none: any valid buffer will do. */
	cl_mem vmem = vecs ? (cl_mem)STARPU_MATRIX_GET_DEV_HANDLE(vecs) : ymem;
	cl_ulong voff = vecs ? STARPU_MATRIX_GET_OFFSET(vecs) / sizeof(float) : 0;
	cl_uint ldv = vecs ? STARPU_MATRIX_GET_LD(vecs) : 0, nvec = vecs ? prog->nvec : 0;
	cl_uint ninsn = prog->n;
	cl_uint16 code;
	cl_float16 p0, p1;
	size_t global[2] = {n, m};
	cl_kernel kernel;
	int arg = 0;

	if (m == 0 || n == 0)
		return;
	_Static_assert(HETSCHED_EW_MAX_INSNS == 16, "the kernel takes the program as 16-vectors");
	memcpy(code.s, prog->code, sizeof(code.s));
	memcpy(p0.s, prog->p0, sizeof(p0.s));
	memcpy(p1.s, prog->p1, sizeof(p1.s));
	HETSCHED_CL_CHECK(starpu_opencl_load_kernel(
	    &kernel, &queue, &hetsched__opencl_program,
	    dtype == HETSCHED_DTYPE_F32 ? "hetsched_epilogue" : "hetsched_epilogue16", devid));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ymem), &ymem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(yoff), &yoff));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ldy), &ldy));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(m), &m));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(n), &n));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(vmem), &vmem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(voff), &voff));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ldv), &ldv));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(nvec), &nvec));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ninsn), &ninsn));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(code), &code));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(p0), &p0));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(p1), &p1));
	if (dtype != HETSCHED_DTYPE_F32)
		HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(cl_dtype), &cl_dtype));
	HETSCHED_CL_CHECK(
	    clEnqueueNDRangeKernel(queue, kernel, 2, NULL, global, NULL, 0, NULL, NULL));
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(kernel));
}

void hetsched__epilogue_opencl(void *buffers[], void *cl_arg)
{
	const struct hetsched_ew_args *args = cl_arg;
	const int devid = starpu_worker_get_devid(starpu_worker_get_id());
	cl_command_queue queue;

	starpu_opencl_get_current_queue(&queue);
	hetsched__epilogue_opencl_enqueue(queue, devid, buffers[0],
	                                  args->prog.nvec ? buffers[1] : NULL, &args->prog,
	                                  args->dtype);
	hetsched__opencl_cpu_wait(queue, devid);
}
