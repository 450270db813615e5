/* softmax.cl: the OpenCL kernels of the softmax codelet (glue: softmax_opencl.c), one phase over
 * one column tile y (m x n, row-major, ldy, yoff floats into its buffer) of a row tile, as in
 * softmax_cuda.cu; s (2 m floats at soff) carries the row maxima and sums between the tiles:
 *   hetsched_softmax_reduce, phase 0: s[i] = max(first ? -inf : s[i], max_j y[i][j])
 *                            phase 1: s[m + i] = (first ? 0 : s[m + i]) + sum_j exp(y[i][j] - s[i])
 *   hetsched_softmax_norm:   y[i][j] = exp(y[i][j] - s[i]) / s[m + i]  (or the log form)
 * reduce: one work-item per row (NDRange m); norm: one per element (NDRange (n, m)).
 */
__kernel void hetsched_softmax_reduce(__global const float *y, ulong yoff, uint ldy, uint m, uint n,
                                      __global float *s, ulong soff, uint phase, uint first)
{
	const uint i = (uint)get_global_id(0);
	__global const float *row;
	float acc, mx;
	uint j;

	if (i >= m)
		return;
	row = y + yoff + (ulong)i * ldy;
	s += soff;
	mx = s[i];
	acc = phase == 0 ? -INFINITY : 0.0f;
	for (j = 0; j < n; j++)
		acc = phase == 0 ? fmax(acc, row[j]) : acc + exp(row[j] - mx);
	if (phase == 0)
		s[i] = first ? acc : fmax(s[i], acc);
	else
		s[m + i] = first ? acc : s[m + i] + acc;
}

__kernel void hetsched_softmax_norm(__global float *y, ulong yoff, uint ldy, uint m, uint n,
                                    __global const float *s, ulong soff, uint log_softmax)
{
	const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
	__global float *yij;

	if (i >= m || j >= n)
		return;
	yij = y + yoff + (ulong)i * ldy + j;
	s += soff;
	*yij = log_softmax ? *yij - s[i] - log(s[m + i]) : exp(*yij - s[i]) / s[m + i];
}
