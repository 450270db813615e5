/* rand.cl: the OpenCL kernel of the rand codelet (glue: rand_opencl.c).
 *
 * Fills a tile of ny rows and nx columns, row-major with leading dimension ld, starting `offset`
 * floats into the buffer: element (r, c) at ptr[offset + r * ld + c] is global element
 * (row0 + r, col0 + c), uniform [a, b) or normal(a, b) as philox.h defines it.
 * NDRange: dimension 0 runs over the counter blocks that meet the row (4 elements each, the first
 * one partly before the tile when col0 % 4 != 0), dimension 1 over the rows.
 * hetsched_rand16 is the same for a 16-bit tile (dtype BF16 or F16, half.cl): the FP32 value,
 * stored rounded to nearest even, so its bits are those of every other backend.
 */
#include "philox.h"

__kernel void hetsched_rand(__global float *ptr, ulong offset, uint nx, uint ny, uint ld,
                            ulong seed, uint stream, uint dist, float a, float b, ulong row0,
                            ulong col0)
{
	const uint block = (uint)get_global_id(0);
	const uint r = (uint)get_global_id(1);
	const uint skip = (uint)(col0 & 3u);
	const uint nblocks = (skip + nx + 3u) / 4u;
	__global float *row;
	hetsched__philox4_t words;
	float v[4];
	uint j;

	if (block >= nblocks || r >= ny)
		return;
	words = hetsched__philox_block(seed, stream, row0 + r, ((col0 >> 2) + block) << 2);
	hetsched__rand_group4(words, dist, a, b, v);
	row = ptr + offset + (ulong)r * ld;
	for (j = 0; j < 4u; j++) {
		/* Column of the tile: block * 4 + j - skip, kept only when inside [0, nx). */
		uint c = block * 4u + j;

		if (c >= skip && c - skip < nx)
			row[c - skip] = v[j];
	}
}

__kernel void hetsched_rand16(__global ushort *ptr, ulong offset, uint nx, uint ny, uint ld,
                              ulong seed, uint stream, uint dist, float a, float b, ulong row0,
                              ulong col0, uint dtype)
{
	const uint block = (uint)get_global_id(0);
	const uint r = (uint)get_global_id(1);
	const uint skip = (uint)(col0 & 3u);
	const uint nblocks = (skip + nx + 3u) / 4u;
	__global ushort *row;
	hetsched__philox4_t words;
	float v[4];
	uint j;

	if (block >= nblocks || r >= ny)
		return;
	words = hetsched__philox_block(seed, stream, row0 + r, ((col0 >> 2) + block) << 2);
	hetsched__rand_group4(words, dist, a, b, v);
	row = ptr + offset + (ulong)r * ld;
	for (j = 0; j < 4u; j++) {
		uint c = block * 4u + j;

		if (c >= skip && c - skip < nx)
			hetsched__store16(row, c - skip, v[j], dtype);
	}
}
