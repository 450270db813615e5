/* linear.cl: the OpenCL kernels of the linear codelet (glue, which picks one: linear_opencl.c).
 *
 *   y = (first ? b broadcast over rows : y) + x w^T,  then y = max(y, 0) when relu
 *
 * x: m x k, w: n x k (the weight, out x in), b: n (or m x n: row i at b + i * ldb; ldb is 0 when
 * one row is broadcast), y: m x n; all row-major with leading dimensions ldx, ldw, ldy, each
 * starting `*off` floats into its buffer. Other epilogues run after, as epilogue.cl's kernel.
 * rnd (precision BF16 or FP16, as a dtype of half.cl; 0: none) rounds each element of x and w to
 * that format before the products, as half.h's hetsched__round_bf16 / _f16 do.
 *
 * hetsched_linear (GPUs): work-groups of TS x TS items compute TS x TS blocks of y (dimension 0:
 * columns j of y, dimension 1: rows i), staging TS-wide slices of x and w in local memory; the
 * global size is rounded up to TS and bounds are checked, so ragged tiles need no padding.
 * hetsched_linear_dot (CPU devices): see below.
 */
#include "philox.h"

/* philox.h turned contraction off for rand's bit-exact uniforms; sums of products may use FMA. */
#pragma OPENCL FP_CONTRACT ON

#define TS 16

__kernel __attribute__((reqd_work_group_size(TS, TS, 1))) void
hetsched_linear(__global const float *x, ulong xoff, uint ldx, __global const float *w, ulong woff,
                uint ldw, __global const float *b, ulong boff, uint ldb, __global float *y,
                ulong yoff, uint ldy, uint m, uint n, uint k, uint first, uint relu, uint rnd)
{
	/* One column of padding keeps the transposed reads of ws off a single bank on GPUs. */
	__local float xs[TS][TS + 1];
	__local float ws[TS][TS + 1];
	const uint lj = (uint)get_local_id(0), li = (uint)get_local_id(1);
	const uint j = (uint)get_group_id(0) * TS + lj;    /* column of y this item computes */
	const uint i = (uint)get_group_id(1) * TS + li;    /* row of y this item computes */
	const uint wrow = (uint)get_group_id(0) * TS + li; /* row of w this item loads */
	float acc = 0.0f;
	uint p0, q;

	x += xoff;
	w += woff;
	b += boff;
	y += yoff;
	for (p0 = 0; p0 < k; p0 += TS) {
		const uint p = p0 + lj;

		xs[li][lj] = (i < m && p < k) ? hetsched__round1(x[(ulong)i * ldx + p], rnd) : 0.0f;
		ws[li][lj] =
		    (wrow < n && p < k) ? hetsched__round1(w[(ulong)wrow * ldw + p], rnd) : 0.0f;
		barrier(CLK_LOCAL_MEM_FENCE);
		for (q = 0; q < TS; q++)
			acc += xs[li][q] * ws[lj][q];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (i < m && j < n) {
		__global float *yij = y + (ulong)i * ldy + j;
		float v = (first ? b[(ulong)i * ldb + j] : *yij) + acc;

		*yij = (relu && v < 0.0f) ? 0.0f : v;
	}
}

/* The same product for OpenCL runtimes on CPUs (PoCL): they run the work-items of a group one
 * after the other around each barrier, so local-memory tiling buys nothing there, and scalar
 * code is not vectorised (a float sum may not be reordered). Instead each work-item computes an
 * RB x CB block of y as dot products of rows of x and rows of w (both contiguous in k), in
 * explicit float8 vectors, which hold VW partial sums each. Rows and columns past the tile's edge
 * are clamped for loading and skipped for storing. NDRange: (ceil(n / CB), ceil(m / RB)). */
#define RB 4
#define CB 4
#define VW 8

__kernel void hetsched_linear_dot(__global const float *x, ulong xoff, uint ldx,
                                  __global const float *w, ulong woff, uint ldw,
                                  __global const float *b, ulong boff, uint ldb, __global float *y,
                                  ulong yoff, uint ldy, uint m, uint n, uint k, uint first,
                                  uint relu, uint rnd)
{
	const uint j0 = (uint)get_global_id(0) * CB, i0 = (uint)get_global_id(1) * RB;
	__global const float *xr[RB];
	__global const float *wr[CB];
	float8 acc[RB][CB];
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
			acc[r][c] = (float8)(0.0f);
	for (p = 0; p + VW <= k; p += VW) {
		float8 xv[RB], wv[CB];

		for (r = 0; r < RB; r++)
			xv[r] = vload8(0, xr[r] + p);
		for (c = 0; c < CB; c++)
			wv[c] = vload8(0, wr[c] + p);
		if (rnd) {
			for (r = 0; r < RB; r++)
				xv[r] = hetsched__round8(xv[r], rnd);
			for (c = 0; c < CB; c++)
				wv[c] = hetsched__round8(wv[c], rnd);
		}
		for (r = 0; r < RB; r++)
			for (c = 0; c < CB; c++)
				acc[r][c] += xv[r] * wv[c];
	}
	for (r = 0; r < RB; r++)
		for (c = 0; c < CB; c++) {
			float4 h = acc[r][c].lo + acc[r][c].hi;
			float2 q = h.lo + h.hi;

			s[r][c] = q.x + q.y;
		}
	for (; p < k; p++)
		for (r = 0; r < RB; r++)
			for (c = 0; c < CB; c++)
				s[r][c] += hetsched__round1(xr[r][p], rnd) *
				           hetsched__round1(wr[c][p], rnd);
	for (r = 0; r < RB && i0 + r < m; r++)
		for (c = 0; c < CB && j0 + c < n; c++) {
			__global float *yij = y + yoff + (ulong)(i0 + r) * ldy + j0 + c;
			float v =
			    (first ? b[boff + (ulong)(i0 + r) * ldb + j0 + c] : *yij) + s[r][c];

			*yij = (relu && v < 0.0f) ? 0.0f : v;
		}
}
