/* linear16.cl: the OpenCL kernels of the linear16 codelet (glue: linear16_opencl.c), a linear
 * layer's output tile on 16-bit storage (dtype BF16 or F16, half.cl), accumulated in FP32:
 *
 *   for kt = 0..K-1:  acc = (kt == 0 ? 0 : acc) + x_kt w_kt^T     (hetsched_linear16[_dot])
 *   y = round16(prog(acc + b))                                     (hetsched_linear16_out)
 *
 * x_kt: m x k, w_kt: n x k (the weight, out x in), b: 1 x n (ldb 0, broadcast over rows) or
 * m x n, y: m x n, all 16-bit; acc: m x n FP32 (the task's scratch); all row-major with leading
 * dimensions, each starting `*off` elements into its buffer. Inputs are widened exactly, then
 * rounded to rnd (a dtype of half.cl; 0: none) when the precision's format is not the storage's.
 * The programs of epilogue.h take their per-column constants v (nvec x n, FP32).
 *
 * As linear.cl: hetsched_linear16 (GPUs) stages TS x TS slices in local memory, one work-item per
 * element of acc; hetsched_linear16_dot (CPU devices) computes an RB x CB block per work-item as
 * dot products in float8 vectors. NDRanges, and TS, RB, CB and VW, as there.
 */
#pragma OPENCL FP_CONTRACT ON

__kernel __attribute__((reqd_work_group_size(TS, TS, 1))) void
hetsched_linear16(__global const ushort *x, ulong xoff, uint ldx, __global const ushort *w,
                  ulong woff, uint ldw, __global float *acc, ulong aoff, uint lda, uint m, uint n,
                  uint k, uint first, uint dtype, uint rnd)
{
	__local float xs[TS][TS + 1];
	__local float ws[TS][TS + 1];
	const uint lj = (uint)get_local_id(0), li = (uint)get_local_id(1);
	const uint j = (uint)get_group_id(0) * TS + lj;
	const uint i = (uint)get_group_id(1) * TS + li;
	const uint wrow = (uint)get_group_id(0) * TS + li;
	float s = 0.0f;
	uint p0, q;

	x += xoff;
	w += woff;
	for (p0 = 0; p0 < k; p0 += TS) {
		const uint p = p0 + lj;

		xs[li][lj] =
		    (i < m && p < k)
		        ? hetsched__round1(hetsched__load16(x, (ulong)i * ldx + p, dtype), rnd)
		        : 0.0f;
		ws[li][lj] =
		    (wrow < n && p < k)
		        ? hetsched__round1(hetsched__load16(w, (ulong)wrow * ldw + p, dtype), rnd)
		        : 0.0f;
		barrier(CLK_LOCAL_MEM_FENCE);
		for (q = 0; q < TS; q++)
			s += xs[li][q] * ws[lj][q];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (i < m && j < n) {
		__global float *aij = acc + aoff + (ulong)i * lda + j;

		*aij = (first ? 0.0f : *aij) + s;
	}
}

__kernel void hetsched_linear16_dot(__global const ushort *x, ulong xoff, uint ldx,
                                    __global const ushort *w, ulong woff, uint ldw,
                                    __global float *acc, ulong aoff, uint lda, uint m, uint n,
                                    uint k, uint first, uint dtype, uint rnd)
{
	const uint j0 = (uint)get_global_id(0) * CB, i0 = (uint)get_global_id(1) * RB;
	__global const ushort *xr[RB];
	__global const ushort *wr[CB];
	float8 a[RB][CB];
	float s[RB][CB];
	uint p, r, c;

	if (i0 >= m || j0 >= n)
		return;
	for (r = 0; r < RB; r++)
		xr[r] = x + xoff + (ulong)min(i0 + r, m - 1) * ldx;
	for (c = 0; c < CB; c++)
		wr[c] = w + woff + (ulong)min(j0 + c, n - 1) * ldw;
	for (r = 0; r < RB; r++)
		for (c = 0; c < CB; c++)
			a[r][c] = (float8)(0.0f);
	for (p = 0; p + VW <= k; p += VW) {
		float8 xv[RB], wv[CB];

		for (r = 0; r < RB; r++)
			xv[r] = hetsched__round8(hetsched__load16x8(xr[r] + p, dtype), rnd);
		for (c = 0; c < CB; c++)
			wv[c] = hetsched__round8(hetsched__load16x8(wr[c] + p, dtype), rnd);
		for (r = 0; r < RB; r++)
			for (c = 0; c < CB; c++)
				a[r][c] += xv[r] * wv[c];
	}
	for (r = 0; r < RB; r++)
		for (c = 0; c < CB; c++) {
			float4 h = a[r][c].lo + a[r][c].hi;
			float2 q = h.lo + h.hi;

			s[r][c] = q.x + q.y;
		}
	for (; p < k; p++)
		for (r = 0; r < RB; r++)
			for (c = 0; c < CB; c++)
				s[r][c] +=
				    hetsched__round1(hetsched__load16(xr[r], p, dtype), rnd) *
				    hetsched__round1(hetsched__load16(wr[c], p, dtype), rnd);
	for (r = 0; r < RB && i0 + r < m; r++)
		for (c = 0; c < CB && j0 + c < n; c++) {
			__global float *aij = acc + aoff + (ulong)(i0 + r) * lda + j0 + c;

			*aij = (first ? 0.0f : *aij) + s[r][c];
		}
}

/* NDRange (n, m): one work-item per element of y. */
__kernel void hetsched_linear16_out(__global const float *acc, ulong aoff, uint lda,
                                    __global const ushort *b, ulong boff, uint ldb,
                                    __global ushort *y, ulong yoff, uint ldy, uint m, uint n,
                                    uint dtype, __global const float *v, ulong voff, uint ldv,
                                    uint nvec, uint ninsn, uint16 code, float16 p0, float16 p1)
{
	const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
	float t;

	if (i >= m || j >= n)
		return;
	t = acc[aoff + (ulong)i * lda + j] + hetsched__load16(b, boff + (ulong)i * ldb + j, dtype);
	if (ninsn)
		t = hetsched__ew_apply(t, j, v, voff, ldv, nvec, ninsn, code, p0, p1);
	hetsched__store16(y, yoff + (ulong)i * ldy + j, t, dtype);
}
