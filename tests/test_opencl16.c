/* test_opencl16.c: the OpenCL kernels of 16-bit storage and precision modes, on the
 * OpenCL-on-CPU worker alone (the ocl world; elsewhere a SKIP), through the codelets' OpenCL
 * variants on StarPU matrices of this test (sub-tiles at offsets, padded leading dimensions):
 * - half.cl's conversions against half.h, bit for bit, on every 16-bit value and on 2^16 high
 *   halves x 48 low halves of the FP32 patterns (every rounding case, NaNs included);
 * - linear (F32 storage) with precision fp32, tf32, bf16, fp16, both kernels, one and two k
 *   tiles: within FP32 summation error of a float64 reference whose inputs are rounded as the
 *   mode rounds them;
 * - linear16 (bf16, f16 storage) for every precision, three ragged k tiles, both kernels, bias
 *   per row or broadcast, with and without an epilogue reading per-column constants: each
 *   element within one 16-bit unit of the float64 reference (plus the FP32 summation bound);
 * - the epilogue (SiLU through registers, a scalar, a per-column constant) and softmax and
 *   log-softmax over three column tiles on 16-bit tiles: within one 16-bit unit of reference.c.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_test.h"

#ifdef HETSCHED_HAVE_OPENCL_BUILD
#include "codelets.h"
#include "half.h"
#include "opencl_programs.h"
#include "reference.h"

/* Pseudo-random test data in [-1, 1) (not the generator under test). */
static float next_data(uint32_t *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return (float)(*seed >> 8) / 8388608.0f - 1.0f;
}

static uint16_t to16(uint32_t dtype, float f)
{
	return dtype == HETSCHED_DTYPE_BF16 ? hetsched__bf16_from_f32(f)
	                                    : hetsched__f16_from_f32(f);
}

static float from16(uint32_t dtype, uint16_t h)
{
	return dtype == HETSCHED_DTYPE_BF16 ? hetsched__f32_from_bf16(h)
	                                    : hetsched__f32_from_f16(h);
}

/* The spacing of the 16-bit format around |v| (its unit in the last place). */
static double ulp16(uint32_t dtype, double v)
{
	int e;

	v = fabs(v);
	if (dtype == HETSCHED_DTYPE_F16 && v < 0x1p-14)
		return 0x1p-24;
	frexp(v, &e); /* v = f 2^e, f in [0.5, 1) */
	return ldexp(1.0, e - 1 - (dtype == HETSCHED_DTYPE_BF16 ? 7 : 10));
}

/* --- half.cl against half.h, through a program of its own (plain OpenCL) ------------------ */

static const char half_check_kernel[] =
    "__kernel void hs_half_check(__global const uint *in, __global uint *out)\n"
    "{\n"
    "	const size_t i = get_global_id(0);\n"
    "	const float8 v = as_float8(vload8(i, in));\n"
    "	const float8 rb = hetsched__round8(v, HETSCHED__DTYPE_BF16);\n"
    "	const float8 rh = hetsched__round8(v, HETSCHED__DTYPE_F16);\n"
    "	__global ushort *o16 = (__global ushort *)(out + 32 * i);\n"
    "	uint j;\n"
    "	vstore8(as_uint8(rb), 0, out + 32 * i + 16);\n"
    "	vstore8(as_uint8(rh), 0, out + 32 * i + 24);\n"
    "	for (j = 0; j < 8; j++) {\n"
    "		hetsched__store16(o16, j, as_float(in[8 * i + j]), HETSCHED__DTYPE_BF16);\n"
    "		hetsched__store16(o16 + 8, j, as_float(in[8 * i + j]), HETSCHED__DTYPE_F16);\n"
    "	}\n"
    "}\n"
    "__kernel void hs_half_widen(__global const ushort *in, __global float *out)\n"
    "{\n"
    "	const size_t i = get_global_id(0);\n"
    "	vstore8(hetsched__load16x8(in + 8 * i, HETSCHED__DTYPE_BF16), 0, out + 16 * i);\n"
    "	vstore8(hetsched__load16x8(in + 8 * i, HETSCHED__DTYPE_F16), 0, out + 16 * i + 8);\n"
    "}\n";

#define CL_OK(expr)                                                                                \
	do {                                                                                       \
		cl_int cl_ok_status_ = (expr);                                                     \
		if (cl_ok_status_ != CL_SUCCESS)                                                   \
			tap_bail_out("%s:%d: %s: OpenCL error %d", __FILE__, __LINE__, #expr,      \
			             (int)cl_ok_status_);                                          \
	} while (0)

static void check_half(void)
{
	/* The low halves: every rounding decision of both formats (round, sticky and tie bits of
	 * bf16's 16 and f16's 13 dropped bits; subnormal shifts reach into the high half). */
	static const uint32_t lows[] = {
	    0x0000, 0x0001, 0x0002, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x2001, 0x3000,
	    0x3001, 0x3fff, 0x4000, 0x4001, 0x5000, 0x6000, 0x6001, 0x7000, 0x7fff, 0x8000,
	    0x8001, 0x8fff, 0x9000, 0x9001, 0xa000, 0xafff, 0xb000, 0xc000, 0xc001, 0xdfff,
	    0xe000, 0xe001, 0xefff, 0xf000, 0xf001, 0xffff, 0x0800, 0x1800, 0x2800, 0x3800,
	    0x4800, 0x5800, 0x6800, 0x7800, 0x8800, 0x9800, 0xa800, 0xb800};
	const size_t nlows = sizeof(lows) / sizeof(lows[0]), n = (size_t)65536 * nlows;
	const size_t nitems = n / 8;
	const char *sources[2] = {hetsched__opencl_source, half_check_kernel};
	uint32_t *in = malloc(n * 4), *out = malloc(n * 16);
	uint16_t *all = malloc(65536 * 2);
	float *wide = malloc(65536 * 8);
	cl_platform_id platforms[8];
	cl_uint nplatforms = 0;
	cl_device_id device = NULL;
	cl_context ctx;
	cl_command_queue queue;
	cl_program program;
	cl_kernel check, widen;
	cl_mem bin, bout;
	cl_int err;
	size_t bad_store[2] = {0, 0}, bad_round[2] = {0, 0}, bad_widen[2] = {0, 0}, global;

	CL_OK(clGetPlatformIDs(8, platforms, &nplatforms));
	for (cl_uint p = 0; p < nplatforms && !device; p++)
		if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_CPU, 1, &device, NULL) !=
		    CL_SUCCESS)
			device = NULL;
	if (!device)
		tap_bail_out("no OpenCL CPU device, though the world has one");
	ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
	CL_OK(err);
	queue = clCreateCommandQueue(ctx, device, 0, &err);
	CL_OK(err);
	program = clCreateProgramWithSource(ctx, 2, sources, NULL, &err);
	CL_OK(err);
	CL_OK(clBuildProgram(program, 1, &device, "", NULL, NULL));
	check = clCreateKernel(program, "hs_half_check", &err);
	CL_OK(err);
	widen = clCreateKernel(program, "hs_half_widen", &err);
	CL_OK(err);

	for (size_t h = 0; h < 65536; h++)
		for (size_t l = 0; l < nlows; l++)
			in[h * nlows + l] = (uint32_t)h << 16 | lows[l];
	bin = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * 4, in, &err);
	CL_OK(err);
	bout = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, n * 16, NULL, &err);
	CL_OK(err);
	CL_OK(clSetKernelArg(check, 0, sizeof(bin), &bin));
	CL_OK(clSetKernelArg(check, 1, sizeof(bout), &bout));
	global = nitems;
	CL_OK(clEnqueueNDRangeKernel(queue, check, 1, NULL, &global, NULL, 0, NULL, NULL));
	CL_OK(clEnqueueReadBuffer(queue, bout, CL_TRUE, 0, n * 16, out, 0, NULL, NULL));
	for (size_t i = 0; i < nitems; i++) {
		const uint32_t *o = out + 32 * i;
		const uint16_t *o16 = (const uint16_t *)o;

		for (size_t j = 0; j < 8; j++) {
			float f = hetsched__f32_from_bits(in[8 * i + j]);

			bad_store[0] += o16[j] != hetsched__bf16_from_f32(f);
			bad_store[1] += o16[8 + j] != hetsched__f16_from_f32(f);
			bad_round[0] += o[16 + j] != hetsched__f32_bits(hetsched__round_bf16(f));
			bad_round[1] += o[24 + j] != hetsched__f32_bits(hetsched__round_f16(f));
		}
	}
	tap_ok(bad_store[0] == 0 && bad_store[1] == 0,
	       "half.cl stores bf16 and f16 as half.h on %zu FP32 patterns (%zu, %zu differ)", n,
	       bad_store[0], bad_store[1]);
	tap_ok(bad_round[0] == 0 && bad_round[1] == 0,
	       "half.cl rounds to bf16 and f16 as half.h on %zu FP32 patterns (%zu, %zu differ)", n,
	       bad_round[0], bad_round[1]);
	clReleaseMemObject(bin);
	clReleaseMemObject(bout);

	for (size_t h = 0; h < 65536; h++)
		all[h] = (uint16_t)h;
	bin = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 65536 * 2, all, &err);
	CL_OK(err);
	bout = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, 65536 * 8, NULL, &err);
	CL_OK(err);
	CL_OK(clSetKernelArg(widen, 0, sizeof(bin), &bin));
	CL_OK(clSetKernelArg(widen, 1, sizeof(bout), &bout));
	global = 65536 / 8;
	CL_OK(clEnqueueNDRangeKernel(queue, widen, 1, NULL, &global, NULL, 0, NULL, NULL));
	CL_OK(clEnqueueReadBuffer(queue, bout, CL_TRUE, 0, 65536 * 8, wide, 0, NULL, NULL));
	for (size_t i = 0; i < 65536 / 8; i++)
		for (size_t j = 0; j < 8; j++) {
			uint16_t h = all[8 * i + j];
			float b = wide[16 * i + j], f = wide[16 * i + 8 + j];
			float rf = hetsched__f32_from_f16(h);

			bad_widen[0] +=
			    hetsched__f32_bits(b) != hetsched__f32_bits(hetsched__f32_from_bf16(h));
			/* A signalling NaN may come back quiet (vload_half): NaN is what counts. */
			bad_widen[1] +=
			    isnan(rf) ? !isnan(f) : hetsched__f32_bits(f) != hetsched__f32_bits(rf);
		}
	tap_ok(bad_widen[0] == 0 && bad_widen[1] == 0,
	       "half.cl widens every bf16 and f16 value as half.h (%zu, %zu differ)", bad_widen[0],
	       bad_widen[1]);
	clReleaseMemObject(bin);
	clReleaseMemObject(bout);
	clReleaseKernel(check);
	clReleaseKernel(widen);
	clReleaseProgram(program);
	clReleaseCommandQueue(queue);
	clReleaseContext(ctx);
	free(in);
	free(out);
	free(all);
	free(wide);
}

/* --- tasks on StarPU matrices ---------------------------------------------------------------- */

/* Submit one task of \p cl on \p nbuf handles and wait for it; \p args is copied. */
static void run_task(struct starpu_codelet *cl, int nbuf, starpu_data_handle_t *handles,
                     enum starpu_data_access_mode *modes, const void *args, size_t size)
{
	struct starpu_task *task = starpu_task_create();

	task->cl = cl;
	task->nbuffers = nbuf;
	if (nbuf > STARPU_NMAXBUFS) {
		task->dyn_handles = malloc(nbuf * sizeof(*task->dyn_handles));
		task->dyn_modes = malloc(nbuf * sizeof(*task->dyn_modes));
	}
	for (int i = 0; i < nbuf; i++) {
		STARPU_TASK_SET_HANDLE(task, handles[i], i);
		STARPU_TASK_SET_MODE(task, modes[i], i);
	}
	task->cl_arg = malloc(size);
	memcpy(task->cl_arg, args, size);
	task->cl_arg_size = size;
	task->cl_arg_free = 1;
	task->synchronous = 1;
	if (starpu_task_submit(task) != 0)
		tap_bail_out("cannot submit a %s task", cl->name);
}

/* A matrix of rows x cols elements of elemsize bytes at p, ld >= cols, cut into
 * nr x nc blocks (row blocks, column blocks). */
static starpu_data_handle_t matrix(void *p, size_t ld, size_t rows, size_t cols, size_t elemsize,
                                   unsigned nr, unsigned nc)
{
	starpu_data_handle_t h;

	starpu_matrix_data_register(&h, STARPU_MAIN_RAM, (uintptr_t)p, (uint32_t)ld, (uint32_t)cols,
	                            (uint32_t)rows, elemsize);
	if (nr > 1 || nc > 1) {
		struct starpu_data_filter fc = {.filter_func = starpu_matrix_filter_block,
		                                .nchildren = nc};
		struct starpu_data_filter fr = {.filter_func = starpu_matrix_filter_vertical_block,
		                                .nchildren = nr};

		starpu_data_map_filters(h, 2, &fc, &fr);
	}
	return h;
}

static starpu_data_handle_t block(starpu_data_handle_t h, unsigned c, unsigned r)
{
	return starpu_data_get_sub_data(h, 2, c, r);
}

static void release(starpu_data_handle_t h, int partitioned)
{
	if (partitioned)
		starpu_data_unpartition(h, STARPU_MAIN_RAM);
	starpu_data_unregister(h);
}

/* The format a mode rounds a linear's 16-bit or FP32 inputs to (as hetsched__opencl_rounding). */
static float round_input(uint32_t dtype, uint32_t precision, float v)
{
	if (precision == HETSCHED_PRECISION_BF16 && dtype != HETSCHED_DTYPE_BF16)
		return hetsched__round_bf16(v);
	if (precision == HETSCHED_PRECISION_FP16 && dtype != HETSCHED_DTYPE_F16)
		return hetsched__round_f16(v);
	return v;
}

static const uint32_t precisions[] = {HETSCHED_PRECISION_FP32, HETSCHED_PRECISION_TF32,
                                      HETSCHED_PRECISION_BF16, HETSCHED_PRECISION_FP16};
static const char *const kernels[] = {"dot", "tiled"};

/* linear, F32 storage: y = b + x_0 w_0^T + x_1 w_1^T (two k tiles at column offsets). */
#define LM 37
#define LN 29
#define LK 70
#define LINEAR_CHECKS 8

static void check_linear(void)
{
	static float x[LM * (LK + 3)], w[LN * (LK + 1)], b[LN], y[LM * (LN + 2)];
	uint32_t seed = 12345;

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		x[i] = next_data(&seed);
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		w[i] = next_data(&seed);
	for (size_t i = 0; i < LN; i++)
		b[i] = next_data(&seed);
	for (size_t kn = 0; kn < 2; kn++)
		for (size_t pi = 0; pi < 4; pi++) {
			const uint32_t prec = precisions[pi];
			starpu_data_handle_t hx, hw, hb, hy, hs[4];
			enum starpu_data_access_mode modes[4] = {STARPU_R, STARPU_R, STARPU_R,
			                                         STARPU_W};
			struct hetsched_linear_args args;
			size_t bad = 0, pad = 0;
			double worst = 0;

			setenv("HETSCHED_OPENCL_GEMM", kernels[kn], 1);
			for (size_t i = 0; i < sizeof(y) / sizeof(y[0]); i++)
				y[i] = -777.0f;
			hx = matrix(x, LK + 3, LM, LK, 4, 1, 2);
			hw = matrix(w, LK + 1, LN, LK, 4, 1, 2);
			hb = matrix(b, LN, 1, LN, 4, 1, 1);
			hy = matrix(y, LN + 2, LM, LN, 4, 1, 1);
			memset(&args, 0, sizeof(args));
			args.dtype = HETSCHED_DTYPE_F32;
			args.precision = prec;
			for (unsigned kt = 0; kt < 2; kt++) {
				hs[0] = block(hx, kt, 0);
				hs[1] = block(hw, kt, 0);
				hs[2] = hb;
				hs[3] = hy;
				modes[3] = kt == 0 ? STARPU_W : STARPU_RW;
				args.first = kt == 0;
				args.last = kt == 1;
				run_task(&hetsched_cl_linear, 4, hs, modes, &args, sizeof(args));
			}
			release(hx, 1);
			release(hw, 1);
			release(hb, 0);
			release(hy, 0);
			for (size_t i = 0; i < LM; i++) {
				for (size_t j = 0; j < LN; j++) {
					double acc = b[j], sabs = fabs(b[j]), e;

					for (size_t p = 0; p < LK; p++) {
						double t =
						    (double)round_input(HETSCHED_DTYPE_F32, prec,
						                        x[i * (LK + 3) + p]) *
						    round_input(HETSCHED_DTYPE_F32, prec,
						                w[j * (LK + 1) + p]);
						acc += t;
						sabs += fabs(t);
					}
					e = fabs(y[i * (LN + 2) + j] - acc) / sabs;
					worst = e > worst ? e : worst;
					/* FP32 sums of LK + 1 terms: 2 (LK + 2) 2^-24 of the sum
					 * of magnitudes. */
					bad += !(e <= 2.0 * (LK + 2) * 0x1p-24);
				}
				pad += y[i * (LN + 2) + LN] != -777.0f ||
				       y[i * (LN + 2) + LN + 1] != -777.0f;
			}
			tap_ok(bad == 0 && pad == 0,
			       "linear f32, precision %s, %s kernel, 2 k tiles: %zu of %d elements "
			       "off "
			       "the rounded float64 reference (worst %.2g of the magnitudes' sum), "
			       "padding %s",
			       hetsched_precision_name(prec), kernels[kn], bad, LM * LN, worst,
			       pad ? "written" : "kept");
		}
	unsetenv("HETSCHED_OPENCL_GEMM");
}

/* linear16: three ragged k tiles, FP32 accumulation in the scratch, bias, epilogue, 16-bit y. */
#define SM 37
#define SN 29
#define SK 50
#define NKT 3
#define LINEAR16_CHECKS (2 * 4 * 2 + 2)

/* y (SM x SN) by linear16 from x (SM x SK), w (SN x SK), b (SM x SN, or 1 x SN when !per_row),
 * vecs (1 x SN); returns the elements off the float64 reference. */
static size_t linear16_case(uint32_t dtype, uint32_t prec, int per_row,
                            const struct hetsched_ew_prog *prog, const float *xf, const float *wf,
                            const float *bf, const float *vecs, double *worst)
{
	static uint16_t x[SM * (SK + 3)], w[SN * (SK + 1)], b[SM * SN], y[SM * (SN + 2)];
	static float vcopy[SN];
	starpu_data_handle_t hx, hw, hb, hy, hv, hacc, hs[2 * NKT + 4];
	enum starpu_data_access_mode modes[2 * NKT + 4];
	struct hetsched_linear16_args args;
	const size_t brows = per_row ? SM : 1;
	int nb = 0;
	size_t bad = 0;

	for (size_t i = 0; i < SM * (SK + 3); i++)
		x[i] = to16(dtype, xf[i]);
	for (size_t i = 0; i < SN * (SK + 1); i++)
		w[i] = to16(dtype, wf[i]);
	for (size_t i = 0; i < brows * SN; i++)
		b[i] = to16(dtype, bf[i]);
	for (size_t i = 0; i < SM * (SN + 2); i++)
		y[i] = 0x7bcd;
	memcpy(vcopy, vecs, sizeof(vcopy));
	hx = matrix(x, SK + 3, SM, SK, 2, 1, NKT);
	hw = matrix(w, SK + 1, SN, SK, 2, 1, NKT);
	hb = matrix(b, SN, brows, SN, 2, 1, 1);
	hy = matrix(y, SN + 2, SM, SN, 2, 1, 1);
	hv = matrix(vcopy, SN, 1, SN, 4, 1, 1);
	starpu_matrix_data_register(&hacc, -1, 0, SN, SN, SM, sizeof(float));
	for (unsigned kt = 0; kt < NKT; kt++) {
		hs[nb] = block(hx, kt, 0);
		modes[nb++] = STARPU_R;
	}
	for (unsigned kt = 0; kt < NKT; kt++) {
		hs[nb] = block(hw, kt, 0);
		modes[nb++] = STARPU_R;
	}
	hs[nb] = hb;
	modes[nb++] = STARPU_R;
	hs[nb] = hy;
	modes[nb++] = STARPU_W;
	if (prog->nvec) {
		hs[nb] = hv;
		modes[nb++] = STARPU_R;
	}
	hs[nb] = hacc;
	modes[nb++] = STARPU_SCRATCH;
	memset(&args, 0, sizeof(args));
	args.base.first = args.base.last = 1;
	args.base.prog = *prog;
	args.base.dtype = dtype;
	args.base.precision = prec;
	args.nk = NKT;
	run_task(&hetsched_cl_linear16, nb, hs, modes, &args, sizeof(args));
	release(hx, 1);
	release(hw, 1);
	release(hb, 0);
	release(hy, 0);
	release(hv, 0);
	starpu_data_unregister(hacc);

	for (size_t i = 0; i < SM; i++) {
		for (size_t j = 0; j < SN; j++) {
			double acc = 0, sabs = 0, vec[HETSCHED_EW_MAX_VECS] = {vecs[j]}, bv, e, got,
			       tol;

			for (size_t p = 0; p < SK; p++) {
				double t =
				    (double)round_input(dtype, prec,
				                        from16(dtype, x[i * (SK + 3) + p])) *
				    round_input(dtype, prec, from16(dtype, w[j * (SK + 1) + p]));

				acc += t;
				sabs += fabs(t);
			}
			bv = from16(dtype, b[(per_row ? i : 0) * SN + j]);
			e = prog->n ? hetsched__ref_ew_value(prog, acc + bv, vec) : acc + bv;
			got = from16(dtype, y[i * (SN + 2) + j]);
			/* One unit of the 16-bit format, and the FP32 sums' error (SK + 2) 2^-23 of
			 * the magnitudes, twice (the epilogue's slopes stay below 2 here). */
			tol = ulp16(dtype, e) + 2.0 * (SK + 2) * 0x1p-23 * (sabs + fabs(bv));
			if (!(fabs(got - e) <= tol))
				bad++;
			if (fabs(got - e) / tol > *worst)
				*worst = fabs(got - e) / tol;
		}
		bad += y[i * (SN + 2) + SN] != 0x7bcd || y[i * (SN + 2) + SN + 1] != 0x7bcd;
	}
	return bad;
}

static void check_linear16(void)
{
	static const uint32_t dtypes[] = {HETSCHED_DTYPE_BF16, HETSCHED_DTYPE_F16};
	static float x[SM * (SK + 3)], w[SN * (SK + 1)], b[SM * SN], vecs[SN];
	struct hetsched_ew_prog gelu_scale, none;
	uint32_t seed = 777;

	/* Row 0 of x and of the bias is tiny (binary16 subnormals), so that rounding bf16 inputs
	 * to fp16 changes them. */
	for (size_t i = 0; i < SM * (SK + 3); i++)
		x[i] = next_data(&seed) * (i < SK + 3 ? 0x1p-19f : 1.0f);
	for (size_t i = 0; i < SN * (SK + 1); i++)
		w[i] = next_data(&seed);
	for (size_t i = 0; i < SM * SN; i++)
		b[i] = next_data(&seed) * (i < SN ? 0x1p-19f : 1.0f);
	for (size_t j = 0; j < SN; j++)
		vecs[j] = 1.0f + 0.5f * next_data(&seed);
	memset(&none, 0, sizeof(none));
	memset(&gelu_scale, 0, sizeof(gelu_scale));
	gelu_scale.n = 2;
	gelu_scale.nvec = 1;
	gelu_scale.code[0] = HETSCHED_EW_CODE(HETSCHED_EW_GELU, 0, 0, 0, 0, 0);
	gelu_scale.code[1] = HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_VEC, 0, 0);
	for (size_t d = 0; d < 2; d++)
		for (size_t kn = 0; kn < 2; kn++)
			for (size_t pi = 0; pi < 4; pi++) {
				double worst = 0;
				size_t bad;

				setenv("HETSCHED_OPENCL_GEMM", kernels[kn], 1);
				bad = linear16_case(dtypes[d], precisions[pi], 1, &gelu_scale, x, w,
				                    b, vecs, &worst);
				tap_ok(
				    bad == 0,
				    "linear16 %s, precision %s, %s kernel, %d k tiles, bias per "
				    "row, "
				    "gelu x column constant: %zu of %d off the float64 reference "
				    "(worst %.2f of the tolerance)",
				    hetsched_dtype_name(dtypes[d]),
				    hetsched_precision_name(precisions[pi]), kernels[kn], NKT, bad,
				    SM * SN, worst);
			}
	unsetenv("HETSCHED_OPENCL_GEMM");
	for (size_t d = 0; d < 2; d++) {
		double worst = 0;
		size_t bad = linear16_case(dtypes[d], HETSCHED_PRECISION_FP32, 0, &none, x, w,
		                           b + SN, vecs, &worst);

		tap_ok(bad == 0,
		       "linear16 %s, broadcast bias, no epilogue: %zu of %d off the float64 "
		       "reference (worst %.2f of the tolerance)",
		       hetsched_dtype_name(dtypes[d]), bad, SM * SN, worst);
	}
}

/* The epilogue and softmax on 16-bit tiles: 2 x 3 tiles of RM x RN. */
#define RM 23
#define RN 41
#define ROWWISE_CHECKS 6

static void check_rowwise(void)
{
	static const uint32_t dtypes[] = {HETSCHED_DTYPE_BF16, HETSCHED_DTYPE_F16};
	static uint16_t y[RM * (RN + 1)];
	static float yf[RM * RN], vecs[RN], ref[RM * RN];
	struct hetsched_ew_prog silu;
	uint32_t seed = 99;

	memset(&silu, 0, sizeof(silu));
	silu.n = 4;
	silu.nvec = 1;
	silu.code[0] = HETSCHED_EW_CODE(HETSCHED_EW_SIGMOID, 1, 0, 0, 0, 0);
	silu.code[1] = HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_REG, 1, 0);
	silu.code[2] = HETSCHED_EW_CODE(HETSCHED_EW_SUB, 0, 0, HETSCHED_EW_B_SCALAR, 0, 1);
	silu.p0[2] = 0.25f;
	silu.code[3] = HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_VEC, 0, 0);
	for (size_t i = 0; i < RM * RN; i++)
		yf[i] = 4.0f * next_data(&seed);
	for (size_t j = 0; j < RN; j++)
		vecs[j] = 1.0f + 0.5f * next_data(&seed);
	for (size_t d = 0; d < 2; d++) {
		const uint32_t dtype = dtypes[d];
		starpu_data_handle_t hy, hv, hs[2];
		enum starpu_data_access_mode modes[2] = {STARPU_RW, STARPU_R};
		struct hetsched_ew_args args;
		size_t bad = 0;

		for (size_t i = 0; i < RM; i++) {
			for (size_t j = 0; j < RN; j++)
				y[i * (RN + 1) + j] = to16(dtype, yf[i * RN + j]);
			y[i * (RN + 1) + RN] = 0x7bcd;
		}
		hy = matrix(y, RN + 1, RM, RN, 2, 2, 3);
		hv = matrix(vecs, RN, 1, RN, 4, 1, 3);
		memset(&args, 0, sizeof(args));
		args.prog = silu;
		args.dtype = dtype;
		for (unsigned r = 0; r < 2; r++)
			for (unsigned c = 0; c < 3; c++) {
				hs[0] = block(hy, c, r);
				hs[1] = block(hv, c, 0);
				run_task(&hetsched_cl_epilogue, 2, hs, modes, &args, sizeof(args));
			}
		release(hy, 1);
		release(hv, 1);
		for (size_t i = 0; i < RM; i++) {
			for (size_t j = 0; j < RN; j++) {
				double vec[HETSCHED_EW_MAX_VECS] = {vecs[j]};
				double e = hetsched__ref_ew_value(
				    &silu, from16(dtype, to16(dtype, yf[i * RN + j])), vec);

				bad += !(fabs(from16(dtype, y[i * (RN + 1) + j]) - e) <=
				         ulp16(dtype, e));
			}
			bad += y[i * (RN + 1) + RN] != 0x7bcd;
		}
		tap_ok(bad == 0,
		       "epilogue on %s tiles (silu, scalar, column constant), 2 x 3 tiles: %zu of "
		       "%d off the float64 reference by more than one 16-bit unit",
		       hetsched_dtype_name(dtype), bad, RM * RN);
	}
	for (size_t d = 0; d < 2; d++)
		for (int lg = 0; lg < 2; lg++) {
			const uint32_t dtype = dtypes[d];
			starpu_data_handle_t hy, hs[4];
			enum starpu_data_access_mode modes[4] = {STARPU_SCRATCH, STARPU_RW,
			                                         STARPU_RW, STARPU_RW};
			struct hetsched_softmax_args args;
			size_t bad = 0;

			for (size_t i = 0; i < RM; i++) {
				for (size_t j = 0; j < RN; j++) {
					y[i * (RN + 1) + j] = to16(dtype, yf[i * RN + j]);
					ref[i * RN + j] = from16(dtype, y[i * (RN + 1) + j]);
				}
				y[i * (RN + 1) + RN] = 0x7bcd;
			}
			hetsched__ref_softmax(ref, RN, RM, RN, lg);
			hy = matrix(y, RN + 1, RM, RN, 2, 2, 3);
			memset(&args, 0, sizeof(args));
			args.log = (uint32_t)lg;
			args.dtype = dtype;
			for (unsigned r = 0; r < 2; r++) {
				starpu_data_handle_t scratch;

				starpu_vector_data_register(
				    &scratch, -1, 0, 2 * starpu_matrix_get_ny(block(hy, 0, r)),
				    sizeof(float));
				hs[0] = scratch;
				for (unsigned c = 0; c < 3; c++)
					hs[c + 1] = block(hy, c, r);
				run_task(&hetsched_cl_softmax, 4, hs, modes, &args, sizeof(args));
				starpu_data_unregister(scratch);
			}
			release(hy, 1);
			for (size_t i = 0; i < RM; i++) {
				for (size_t j = 0; j < RN; j++) {
					double e = ref[i * RN + j];

					/* ref is FP32: allow its rounding too (2^-24 relative). */
					bad += !(fabs(from16(dtype, y[i * (RN + 1) + j]) - e) <=
					         ulp16(dtype, e) + fabs(e) * 0x1p-23);
				}
				bad += y[i * (RN + 1) + RN] != 0x7bcd;
			}
			tap_ok(
			    bad == 0,
			    "%s on %s tiles, 2 x 3 tiles: %zu of %d off the float64 reference by "
			    "more than one 16-bit unit",
			    lg ? "log-softmax" : "softmax", hetsched_dtype_name(dtype), bad,
			    RM * RN);
		}
}

int main(void)
{
	if (!hs_opencl_world() || hs_cuda_world()) {
		printf("1..0 # SKIP the OpenCL world only (tests/ocl/test_opencl16)\n");
		return 77;
	}
	tap_plan(3 + LINEAR_CHECKS + LINEAR16_CHECKS + ROWWISE_CHECKS);
	check_half();
	hs_start("eager", HS_OPENCL_ONLY);
	check_linear();
	check_linear16();
	check_rowwise();
	hetsched_shutdown();
	return tap_done();
}
#else
int main(void)
{
	printf("1..0 # SKIP built without OpenCL\n");
	return 77;
}
#endif
