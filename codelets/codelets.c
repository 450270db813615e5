/* codelets.c: set-up of the codelets' device programs. The codelets themselves are defined next to
 * their kernels (rand.c, linear.c). */
#include "config.h"

#include "codelets.h"
#include "hetsched.h"

#ifdef HETSCHED_HAVE_OPENCL_BUILD
#include "opencl_programs.h"

struct starpu_opencl_program hetsched__opencl_program;
static int opencl_loaded;
/* Per OpenCL device (StarPU's numbering): 1 for a CPU device. Asked once, at set-up: the
 * codelets consult it for every task. */
static unsigned char opencl_cpu[STARPU_MAXOPENCLDEVS];

int hetsched__opencl_is_cpu(int devid)
{
	return devid >= 0 && devid < STARPU_MAXOPENCLDEVS && opencl_cpu[devid];
}

/* Fill opencl_cpu for the OpenCL devices that StarPU's workers drive. */
static void record_device_types(void)
{
	int workers[STARPU_NMAXWORKERS];
	unsigned n =
	    starpu_worker_get_ids_by_type(STARPU_OPENCL_WORKER, workers, STARPU_NMAXWORKERS);

	for (unsigned i = 0; i < n; i++) {
		int devid = starpu_worker_get_devid(workers[i]);
		cl_device_type type = 0;
		cl_device_id device;

		if (devid < 0 || devid >= STARPU_MAXOPENCLDEVS)
			continue;
		starpu_opencl_get_device(devid, &device);
		HETSCHED_CL_CHECK(
		    clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof(type), &type, NULL));
		opencl_cpu[devid] = (type & CL_DEVICE_TYPE_CPU) != 0;
	}
}

void hetsched__opencl_cpu_wait(cl_command_queue queue, int devid)
{
	if (hetsched__opencl_is_cpu(devid))
		HETSCHED_CL_CHECK(clFinish(queue));
}
#endif

int hetsched__codelets_init(int *starpu_status)
{
#ifdef HETSCHED_HAVE_OPENCL_BUILD
	int rc;

	/* Building the program costs a JIT compilation per device (about 0.5 s with PoCL): skip it
	 * when StarPU drives no OpenCL device, since no OpenCL kernel can then run. */
	if (opencl_loaded || starpu_opencl_worker_get_count() == 0)
		return 0;
	rc = starpu_opencl_load_opencl_from_string(hetsched__opencl_source,
	                                           &hetsched__opencl_program, NULL);
	if (rc != 0) {
		if (starpu_status)
			*starpu_status = rc;
		return HETSCHED_ESTARPU;
	}
	record_device_types();
	opencl_loaded = 1;
#else
	(void)starpu_status;
#endif
	return 0;
}

void hetsched__codelets_shutdown(void)
{
#ifdef HETSCHED_HAVE_OPENCL_BUILD
	if (opencl_loaded) {
		starpu_opencl_unload_opencl(&hetsched__opencl_program);
		opencl_loaded = 0;
	}
#endif
}
