/* linear_opencl.c: the OpenCL implementation of the linear codelet: queues one of linear.cl's
 * kernels on the worker's command queue (STARPU_OPENCL_ASYNC: StarPU waits for it on a GPU; on a
 * CPU device the codelet waits, see hetsched__opencl_cpu_wait).
 *
 * Which kernel: GPUs get the local-memory tiled one (hetsched_linear); CPU devices (PoCL) get the
 * register-blocked dot-product one (hetsched_linear_dot), about 8 times faster there because a CPU
 * runtime serialises work-items around barriers. HETSCHED_OPENCL_GEMM=tiled or =dot in the
 * environment forces one, so that both can be tested on any device (linear16_opencl.c follows
 * the same choice).
 *
 * Precision BF16 or FP16 rounds each element of x and w to that format in the kernel, before the
 * products (half.cl); FP32 and TF32 (CUDA's alone) compute in FP32.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "codelets.h"
#include "hetsched.h"
#include "opencl_programs.h"

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

int hetsched__opencl_use_dot(int devid)
{
	const char *force = getenv("HETSCHED_OPENCL_GEMM");

	if (force && !strcmp(force, "tiled"))
		return 0;
	if (force && !strcmp(force, "dot"))
		return 1;
	return hetsched__opencl_is_cpu(devid);
}

void hetsched__linear_opencl(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear_args *args = cl_arg;
	struct hetsched__cl_tile x = hetsched__cl_tile(buffers[0]),
	                         w = hetsched__cl_tile(buffers[1]);
	struct hetsched__cl_tile b = hetsched__cl_tile(buffers[2]),
	                         y = hetsched__cl_tile(buffers[3]);
	cl_uint first = args->first != 0;
	cl_uint relu = args->last && hetsched__ew_is_relu(&args->prog);
	cl_uint ldb = STARPU_MATRIX_GET_NY(buffers[2]) > 1 ? b.ld : 0;
	cl_uint rnd = hetsched__opencl_rounding(args->dtype, args->precision);
	const size_t local[2] = {HETSCHED__CL_TS, HETSCHED__CL_TS};
	const int devid = starpu_worker_get_devid(starpu_worker_get_id());
	const int dot = hetsched__opencl_use_dot(devid);
	size_t global[2];
	cl_command_queue queue;
	cl_kernel kernel;
	uint32_t m, n, k;
	cl_uint cm, cn, ck;
	int arg = 0;

	if (args->dtype != HETSCHED_DTYPE_F32) {
		fprintf(stderr,
		        "%s:%d: linear: dtype %u is not f32 (16-bit storage is linear16's)\n",
		        __FILE__, __LINE__, (unsigned)args->dtype);
		abort();
	}
	hetsched__linear_shape(buffers, &m, &n, &k);
	cm = m;
	cn = n;
	ck = k;
	/* Dimension 0 runs over the columns of y, dimension 1 over its rows: one work-item per
	 * element in TS x TS groups (tiled), or per RB x CB block with groups left to the runtime.
	 */
	if (dot) {
		global[0] = (n + HETSCHED__CL_CB - 1) / HETSCHED__CL_CB;
		global[1] = (m + HETSCHED__CL_RB - 1) / HETSCHED__CL_RB;
	} else {
		global[0] = round_up(n, HETSCHED__CL_TS);
		global[1] = round_up(m, HETSCHED__CL_TS);
	}

	HETSCHED_CL_CHECK(starpu_opencl_load_kernel(&kernel, &queue, &hetsched__opencl_program,
	                                            dot ? "hetsched_linear_dot" : "hetsched_linear",
	                                            devid));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(x.mem), &x.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(x.offset), &x.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(x.ld), &x.ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(w.mem), &w.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(w.offset), &w.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(w.ld), &w.ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(b.mem), &b.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(b.offset), &b.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ldb), &ldb));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(y.mem), &y.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(y.offset), &y.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(y.ld), &y.ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(cm), &cm));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(cn), &cn));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ck), &ck));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(first), &first));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(relu), &relu));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(rnd), &rnd));
	HETSCHED_CL_CHECK(clEnqueueNDRangeKernel(queue, kernel, 2, NULL, global, dot ? NULL : local,
	                                         0, NULL, NULL));
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(kernel));
	/* Any other epilogue: one more kernel on the same (in-order) queue. */
	if (args->last && args->prog.n && !relu)
		hetsched__epilogue_opencl_enqueue(queue, devid, buffers[3],
		                                  args->prog.nvec ? buffers[4] : NULL, &args->prog,
		                                  HETSCHED_DTYPE_F32);
	hetsched__opencl_cpu_wait(queue, devid);
}
