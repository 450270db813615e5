/* status_check.c: the CUDA status question of the CUDA kernel library that needs no kernel:
 * whether CUDA answers at all here. */
#include "config.h"

#define HETSCHED_STATUS_CUDA 1
#include "cuda_kernels.h"
#include "status_check.h"

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
