/* rand_opencl.c: the OpenCL implementation of the rand codelet: queues rand.cl's kernel on the
 * worker's command queue (STARPU_OPENCL_ASYNC: StarPU waits for it on a GPU; on a CPU device the
 * codelet waits, see hetsched__opencl_cpu_wait): hetsched_rand for an FP32 tile,
 * hetsched_rand16 (the FP32 values stored rounded) for a BF16 or F16 one. */
#include "config.h"

#include "codelets.h"
#include "opencl_programs.h"

void hetsched__rand_opencl(void *buffers[], void *cl_arg)
{
	const struct hetsched_rand_args *args = cl_arg;
	cl_mem ptr = (cl_mem)STARPU_MATRIX_GET_DEV_HANDLE(buffers[0]);
	/* StarPU gives the tile's offset in bytes; the kernel indexes elements. */
	cl_ulong offset =
	    STARPU_MATRIX_GET_OFFSET(buffers[0]) / STARPU_MATRIX_GET_ELEMSIZE(buffers[0]);
	cl_uint nx = STARPU_MATRIX_GET_NX(buffers[0]);
	cl_uint ny = STARPU_MATRIX_GET_NY(buffers[0]);
	cl_uint ld = STARPU_MATRIX_GET_LD(buffers[0]);
	cl_ulong seed = args->seed, row0 = args->row0, col0 = args->col0;
	cl_uint stream = args->stream, dist = args->dist, dtype = args->dtype;
	cl_float a = args->a, b = args->b;
	size_t global[2];
	cl_command_queue queue;
	cl_kernel kernel;
	const int devid = starpu_worker_get_devid(starpu_worker_get_id());
	int arg = 0;

	if (nx == 0 || ny == 0)
		return;
	/* One work-item per block of 4 columns that the row meets, one row per dimension-1 index.
	 */
	global[0] = ((size_t)(col0 & 3u) + nx + 3) / 4;
	global[1] = ny;

	HETSCHED_CL_CHECK(starpu_opencl_load_kernel(
	    &kernel, &queue, &hetsched__opencl_program,
	    dtype == HETSCHED_DTYPE_F32 ? "hetsched_rand" : "hetsched_rand16", devid));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ptr), &ptr));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(offset), &offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(nx), &nx));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ny), &ny));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ld), &ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(seed), &seed));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(stream), &stream));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(dist), &dist));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(a), &a));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(b), &b));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(row0), &row0));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(col0), &col0));
	if (dtype != HETSCHED_DTYPE_F32)
		HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(dtype), &dtype));
	HETSCHED_CL_CHECK(
	    clEnqueueNDRangeKernel(queue, kernel, 2, NULL, global, NULL, 0, NULL, NULL));
	/* The queued command keeps its own reference to the kernel. */
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(kernel));
	hetsched__opencl_cpu_wait(queue, devid);
}
