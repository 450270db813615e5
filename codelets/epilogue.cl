/* epilogue.cl: the OpenCL kernels of the epilogue (glue: epilogue_opencl.c), also queued by the
 * linear codelet after its product for any epilogue but a lone ReLU.
 *
 *   y[i][j] = prog(y[i][j]; v[0..nvec)[j])
 *
 * y: m x n, row-major, leading dimension ldy, starting yoff elements into its buffer; v: nvec x n
 * (ldv, voff), FP32, read only when nvec > 0. The program (epilogue.h) comes as vectors: its
 * codes, its parameters p0 and p1. NDRange: (n, m), one work-item per element.
 * hetsched_epilogue takes an FP32 y; hetsched_epilogue16 a 16-bit one (dtype BF16 or F16,
 * half.cl): widened, the program in FP32, stored rounded to nearest even.
 */
#include "epilogue.h"

/* The program on x, a value of column j (also linear16.cl's last step). */
static inline float hetsched__ew_apply(float x, uint j, __global const float *v, ulong voff,
                                       uint ldv, uint nvec, uint ninsn, uint16 code, float16 p0,
                                       float16 p1)
{
	uint c[HETSCHED_EW_MAX_INSNS];
	float a0[HETSCHED_EW_MAX_INSNS], a1[HETSCHED_EW_MAX_INSNS], vec[HETSCHED_EW_MAX_VECS];
	uint k;

	vstore16(code, 0, c);
	vstore16(p0, 0, a0);
	vstore16(p1, 0, a1);
	for (k = 0; k < HETSCHED_EW_MAX_VECS; k++)
		vec[k] = k < nvec ? v[voff + (ulong)k * ldv + j] : 0.0f;
	return hetsched__ew_run(c, a0, a1, ninsn, x, vec);
}

__kernel void hetsched_epilogue(__global float *y, ulong yoff, uint ldy, uint m, uint n,
                                __global const float *v, ulong voff, uint ldv, uint nvec,
                                uint ninsn, uint16 code, float16 p0, float16 p1)
{
	const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
	ulong at;

	if (i >= m || j >= n)
		return;
	at = yoff + (ulong)i * ldy + j;
	y[at] = hetsched__ew_apply(y[at], j, v, voff, ldv, nvec, ninsn, code, p0, p1);
}

__kernel void hetsched_epilogue16(__global ushort *y, ulong yoff, uint ldy, uint m, uint n,
                                  __global const float *v, ulong voff, uint ldv, uint nvec,
                                  uint ninsn, uint16 code, float16 p0, float16 p1, uint dtype)
{
	const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
	ulong at;

	if (i >= m || j >= n)
		return;
	at = yoff + (ulong)i * ldy + j;
	hetsched__store16(y, at,
	                  hetsched__ew_apply(hetsched__load16(y, at, dtype), j, v, voff, ldv, nvec,
	                                     ninsn, code, p0, p1),
	                  dtype);
}
