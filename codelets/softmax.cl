/* softmax.cl: the OpenCL kernels of the softmax codelet (glue: softmax_opencl.c), one phase over
 * one column tile y (m x n, row-major, ldy, yoff elements into its buffer) of a row tile, as in
 * softmax_cuda.cu; s (2 m floats at soff) carries the row maxima and sums between the tiles:
 *   hetsched_softmax_reduce, phase 0: s[i] = max(first ? -inf : s[i], max_j y[i][j])
 *                            phase 1: s[m + i] = (first ? 0 : s[m + i]) + sum_j exp(y[i][j] - s[i])
 *   hetsched_softmax_norm:   y[i][j] = exp(y[i][j] - s[i]) / s[m + i]  (or the log form)
 * reduce: one work-item per row (NDRange m); norm: one per element (NDRange (n, m)).
 * y is FP32 (dtype 0) or 16-bit (BF16, F16: half.cl), widened; the *16 kernels store the result
 * rounded to nearest even. s is FP32 in every case.
 */

/* Phases 0 and 1 over one row of FP32 (row) or 16-bit (row16) values. */
static inline void hetsched__softmax_reduce_row(__global const float *row,
                                                __global const ushort *row16, uint dtype, uint i,
                                                uint m, uint n, __global float *s, uint phase,
                                                uint first)
{
	const float mx = s[i];
	float acc = phase == 0 ? -INFINITY : 0.0f;
	uint j;

	for (j = 0; j < n; j++) {
		float v = row ? row[j] : hetsched__load16(row16, j, dtype);

		acc = phase == 0 ? fmax(acc, v) : acc + exp(v - mx);
	}
	if (phase == 0)
		s[i] = first ? acc : fmax(s[i], acc);
	else
		s[m + i] = first ? acc : s[m + i] + acc;
}

static inline float hetsched__softmax_value(float v, __global const float *s, uint i, uint m,
                                            uint log_softmax)
{
	return log_softmax ? v - s[i] - log(s[m + i]) : exp(v - s[i]) / s[m + i];
}

__kernel void hetsched_softmax_reduce(__global const float *y, ulong yoff, uint ldy, uint m, uint n,
                                      __global float *s, ulong soff, uint phase, uint first)
{
	const uint i = (uint)get_global_id(0);

	if (i >= m)
		return;
	hetsched__softmax_reduce_row(y + yoff + (ulong)i * ldy, 0, HETSCHED__DTYPE_F32, i, m, n,
	                             s + soff, phase, first);
}

__kernel void hetsched_softmax_norm(__global float *y, ulong yoff, uint ldy, uint m, uint n,
                                    __global const float *s, ulong soff, uint log_softmax)
{
	const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
	__global float *yij;

	if (i >= m || j >= n)
		return;
	yij = y + yoff + (ulong)i * ldy + j;
	*yij = hetsched__softmax_value(*yij, s + soff, i, m, log_softmax);
}

__kernel void hetsched_softmax_reduce16(__global const ushort *y, ulong yoff, uint ldy, uint m,
                                        uint n, __global float *s, ulong soff, uint phase,
                                        uint first, uint dtype)
{
	const uint i = (uint)get_global_id(0);

	if (i >= m)
		return;
	hetsched__softmax_reduce_row(0, y + yoff + (ulong)i * ldy, dtype, i, m, n, s + soff, phase,
	                             first);
}

__kernel void hetsched_softmax_norm16(__global ushort *y, ulong yoff, uint ldy, uint m, uint n,
                                      __global const float *s, ulong soff, uint log_softmax,
                                      uint dtype)
{
	const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
	const ulong at = yoff + (ulong)i * ldy + j;

	if (i >= m || j >= n)
		return;
	hetsched__store16(
	    y, at,
	    hetsched__softmax_value(hetsched__load16(y, at, dtype), s + soff, i, m, log_softmax),
	    dtype);
}
