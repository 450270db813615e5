/* hang_task.c: an LD_PRELOAD library for fault_watchdog.sh: right after StarPU starts, one task
 * that never ends is submitted, as a device that stopped would leave one. The library itself
 * carries no such hook.
 *
 * It wraps starpu_init, which hetsched_init calls from every program: the tool links the
 * library's objects statically (libhetsched_internal.la), so hetsched_init itself cannot be
 * interposed there, while StarPU's functions always come from its shared library. The real
 * starpu_init runs first (found with dlsym(RTLD_NEXT)); on success the task is submitted. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <starpu.h>

typedef int (*starpu_init_fn)(struct starpu_conf *);

static void hang_forever(void *buffers[], void *cl_arg)
{
	(void)buffers;
	(void)cl_arg;
	for (;;)
		pause();
}

static struct starpu_codelet hang_cl = {
    .cpu_funcs = {hang_forever},
    .cuda_funcs = {hang_forever},
    .opencl_funcs = {hang_forever},
    .nbuffers = 0,
    .name = "hetsched_test_hang",
};

int starpu_init(struct starpu_conf *conf)
{
	starpu_init_fn real = (starpu_init_fn)dlsym(RTLD_NEXT, "starpu_init");
	struct starpu_task *task;
	int rc;

	if (!real) {
		fprintf(stderr, "hang_task: starpu_init not found: %s\n", dlerror());
		abort();
	}
	rc = real(conf);
	if (rc != 0)
		return rc;
	task = starpu_task_create();
	task->cl = &hang_cl;
	if (starpu_task_submit(task) != 0) {
		starpu_task_destroy(task);
		fprintf(stderr, "hang_task: the task that never ends was not submitted\n");
	}
	return rc;
}
