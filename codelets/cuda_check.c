/* cuda_check.c: CUDA helpers of the CUDA kernel library that need no kernel. */
#include "config.h"

#include "cuda_check.h"
#include "cuda_kernels.h"

int hetsched__cuda_device_count(void)
{
	int count = 0;

	/* Without a driver or a device this fails (cudaErrorNoDevice, cudaErrorInsufficientDriver,
	 * ...): that means no CUDA here, not a bug. Clear the sticky error for later callers. */
	if (cudaGetDeviceCount(&count) != cudaSuccess) {
		(void)cudaGetLastError();
		return 0;
	}
	return count;
}
