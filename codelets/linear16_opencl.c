/* linear16_opencl.c: the OpenCL implementation of the linear16 codelet (codelets.h): one output
 * tile on 16-bit storage. On the worker's in-order command queue (STARPU_OPENCL_ASYNC; on a CPU
 * device the codelet waits, see hetsched__opencl_cpu_wait) it queues, for kt = 0..K-1 in order,
 * linear16.cl's product acc = (kt ? acc : 0) + x_kt w_kt^T into the FP32 scratch acc, then its
 * last step y = round16(prog(acc + b)).
 *
 * Buffers: x_0..x_{K-1}, w_0..w_{K-1}, b, y, [vecs when prog.nvec], acc. The product kernel is the
 * tiled or the dot-product one as for linear (hetsched__opencl_use_dot).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codelets.h"
#include "hetsched.h"
#include "opencl_programs.h"

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* A tiling bug upstream: the tiles of one task do not fit together. */
static void mismatch(const char *what, unsigned kt, unsigned got, unsigned want)
{
	fprintf(stderr, "%s:%d: linear16: %s of k tile %u is %u, expected %u\n", __FILE__, __LINE__,
	        what, kt, got, want);
	abort();
}

/* Queue acc (+)= x w^T for one k tile. */
static void enqueue_product(cl_command_queue queue, cl_kernel kernel, int dot, void *xbuf,
                            void *wbuf, const struct hetsched__cl_tile *acc, cl_uint m, cl_uint n,
                            cl_uint first, cl_uint dtype, cl_uint rnd)
{
	struct hetsched__cl_tile x = hetsched__cl_tile(xbuf), w = hetsched__cl_tile(wbuf);
	cl_uint k = STARPU_MATRIX_GET_NX(xbuf);
	const size_t local[2] = {HETSCHED__CL_TS, HETSCHED__CL_TS};
	size_t global[2];
	int arg = 0;

	if (dot) {
		global[0] = (n + HETSCHED__CL_CB - 1) / HETSCHED__CL_CB;
		global[1] = (m + HETSCHED__CL_RB - 1) / HETSCHED__CL_RB;
	} else {
		global[0] = round_up(n, HETSCHED__CL_TS);
		global[1] = round_up(m, HETSCHED__CL_TS);
	}
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(x.mem), &x.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(x.offset), &x.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(x.ld), &x.ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(w.mem), &w.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(w.offset), &w.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(w.ld), &w.ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(acc->mem), &acc->mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(acc->offset), &acc->offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(acc->ld), &acc->ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(m), &m));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(n), &n));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(k), &k));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(first), &first));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(dtype), &dtype));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(rnd), &rnd));
	HETSCHED_CL_CHECK(clEnqueueNDRangeKernel(queue, kernel, 2, NULL, global, dot ? NULL : local,
	                                         0, NULL, NULL));
}

/* Queue y = round16(prog(acc + b)). */
static void enqueue_out(cl_command_queue queue, int devid, const struct hetsched__cl_tile *acc,
                        void *bbuf, void *ybuf, void *vecs, const struct hetsched_ew_prog *prog,
                        cl_uint m, cl_uint n, cl_uint dtype)
{
	struct hetsched__cl_tile b = hetsched__cl_tile(bbuf), y = hetsched__cl_tile(ybuf);
	/* One bias row broadcast over the tile, or one per row. */
	cl_uint ldb = STARPU_MATRIX_GET_NY(bbuf) > 1 ? b.ld : 0;
	/* Without constants the kernel reads none: any valid buffer will do. */
	cl_mem vmem = vecs ? (cl_mem)STARPU_MATRIX_GET_DEV_HANDLE(vecs) : acc->mem;
	cl_ulong voff = vecs ? STARPU_MATRIX_GET_OFFSET(vecs) / sizeof(float) : 0;
	cl_uint ldv = vecs ? STARPU_MATRIX_GET_LD(vecs) : 0, nvec = vecs ? prog->nvec : 0;
	cl_uint ninsn = prog->n;
	cl_uint16 code;
	cl_float16 p0, p1;
	size_t global[2] = {n, m};
	cl_kernel kernel;
	int arg = 0;

	memcpy(code.s, prog->code, sizeof(code.s));
	memcpy(p0.s, prog->p0, sizeof(p0.s));
	memcpy(p1.s, prog->p1, sizeof(p1.s));
	HETSCHED_CL_CHECK(starpu_opencl_load_kernel(&kernel, &queue, &hetsched__opencl_program,
	                                            "hetsched_linear16_out", devid));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(acc->mem), &acc->mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(acc->offset), &acc->offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(acc->ld), &acc->ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(b.mem), &b.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(b.offset), &b.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ldb), &ldb));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(y.mem), &y.mem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(y.offset), &y.offset));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(y.ld), &y.ld));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(m), &m));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(n), &n));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(dtype), &dtype));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(vmem), &vmem));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(voff), &voff));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ldv), &ldv));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(nvec), &nvec));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(ninsn), &ninsn));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(code), &code));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(p0), &p0));
	HETSCHED_CL_CHECK(clSetKernelArg(kernel, arg++, sizeof(p1), &p1));
	HETSCHED_CL_CHECK(
	    clEnqueueNDRangeKernel(queue, kernel, 2, NULL, global, NULL, 0, NULL, NULL));
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(kernel));
}

void hetsched__linear16_opencl(void *buffers[], void *cl_arg)
{
	const struct hetsched_linear16_args *args = cl_arg;
	const unsigned nk = args->nk;
	void *bbuf = buffers[2 * nk], *ybuf = buffers[2 * nk + 1];
	void *vecs = args->base.prog.nvec ? buffers[2 * nk + 2] : NULL;
	void *accbuf = buffers[2 * nk + 2 + (vecs != NULL)];
	const struct hetsched__cl_tile acc = hetsched__cl_tile(accbuf);
	const cl_uint dtype = args->base.dtype;
	const cl_uint rnd = hetsched__opencl_rounding(dtype, args->base.precision);
	const cl_uint m = STARPU_MATRIX_GET_NY(ybuf), n = STARPU_MATRIX_GET_NX(ybuf);
	const int devid = starpu_worker_get_devid(starpu_worker_get_id());
	const int dot = hetsched__opencl_use_dot(devid);
	cl_command_queue queue;
	cl_kernel kernel;

	if (nk == 0 || (dtype != HETSCHED_DTYPE_BF16 && dtype != HETSCHED_DTYPE_F16)) {
		fprintf(stderr, "%s:%d: linear16: %u k tiles of dtype %u\n", __FILE__, __LINE__, nk,
		        (unsigned)dtype);
		abort();
	}
	if (STARPU_MATRIX_GET_NX(bbuf) != n ||
	    (STARPU_MATRIX_GET_NY(bbuf) != 1 && STARPU_MATRIX_GET_NY(bbuf) != m))
		mismatch("the bias's rows", 0, STARPU_MATRIX_GET_NY(bbuf), m);
	if (STARPU_MATRIX_GET_NY(accbuf) < m || STARPU_MATRIX_GET_NX(accbuf) < n)
		mismatch("the accumulator's rows", 0, STARPU_MATRIX_GET_NY(accbuf), m);
	for (unsigned kt = 0; kt < nk; kt++) {
		if (STARPU_MATRIX_GET_NY(buffers[kt]) != m)
			mismatch("x's rows", kt, STARPU_MATRIX_GET_NY(buffers[kt]), m);
		if (STARPU_MATRIX_GET_NY(buffers[nk + kt]) != n)
			mismatch("w's rows", kt, STARPU_MATRIX_GET_NY(buffers[nk + kt]), n);
		if (STARPU_MATRIX_GET_NX(buffers[nk + kt]) != STARPU_MATRIX_GET_NX(buffers[kt]))
			mismatch("w's columns", kt, STARPU_MATRIX_GET_NX(buffers[nk + kt]),
			         STARPU_MATRIX_GET_NX(buffers[kt]));
	}
	if (m == 0 || n == 0)
		return;

	HETSCHED_CL_CHECK(
	    starpu_opencl_load_kernel(&kernel, &queue, &hetsched__opencl_program,
	                              dot ? "hetsched_linear16_dot" : "hetsched_linear16", devid));
	/* The k tiles in order: the in-order queue runs each product after the one before. */
	for (unsigned kt = 0; kt < nk; kt++)
		enqueue_product(queue, kernel, dot, buffers[kt], buffers[nk + kt], &acc, m, n,
		                kt == 0, dtype, rnd);
	/* The queued commands keep their own references to the kernel and its arguments. */
	HETSCHED_CL_CHECK(starpu_opencl_release_kernel(kernel));
	enqueue_out(queue, devid, &acc, bbuf, ybuf, vecs, &args->base.prog, m, n, dtype);
	hetsched__opencl_cpu_wait(queue, devid);
}
