/* starpu_count.c: the independent side of the info tests: how many workers of each kind and
 * memory nodes StarPU itself reports, asked directly without hetsched. */
#include <stdio.h>

#include <starpu.h>

int main(void)
{
	if (starpu_init(NULL) != 0)
		return 1;
	printf("cpu %d cuda %d opencl %d memory_nodes %u\n",
	       starpu_worker_get_count_by_type(STARPU_CPU_WORKER),
	       starpu_worker_get_count_by_type(STARPU_CUDA_WORKER),
	       starpu_worker_get_count_by_type(STARPU_OPENCL_WORKER),
	       starpu_memory_nodes_get_count());
	starpu_shutdown();
	return 0;
}
