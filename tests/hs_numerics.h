/* hs_numerics.h: what the tests of 16-bit storage and precision modes share (they start
 * hetsched with hs_test.h's hs_start_numerics). */
#ifndef HS_NUMERICS_H
#define HS_NUMERICS_H

#include "codelets.h"
#include "half.h"
#include "hs_test.h"

/* 1 when the worker set has only devices whose kernels do not compute \p dtype storage with
 * \p precision products yet (codelets.h): such runs must fail with HETSCHED_ENODEV. */
static inline int hs_numerics_nodev(enum hs_workers w, enum hetsched_dtype dtype,
                                    enum hetsched_precision precision)
{
	const int32_t kinds = hetsched__numerics_kinds((uint32_t)dtype, (uint32_t)precision);

	return (w == HS_OPENCL_ONLY && !(kinds & STARPU_OPENCL)) ||
	       (w == HS_CUDA_ONLY && !(kinds & STARPU_CUDA));
}

/* The FP32 value that 16-bit storage keeps of f. */
static inline float hs_round_to(enum hetsched_dtype dtype, float f)
{
	return dtype == HETSCHED_DTYPE_BF16  ? hetsched__round_bf16(f)
	       : dtype == HETSCHED_DTYPE_F16 ? hetsched__round_f16(f)
	                                     : f;
}

#endif
