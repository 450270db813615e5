/* runtime.c: configuration, StarPU start and stop, scheduling policies. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <starpu.h>

#include "codelets.h"
#include "internal.h"

static struct {
	int initialized;
	char sched[64];
} runtime;

int hetsched__initialized(void)
{
	return runtime.initialized;
}

void hetsched_conf_init(struct hetsched_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->sched = NULL;
	conf->ncpu = -1;
	conf->ncuda = -1;
	conf->nopencl = -1;
	conf->profiling = 1;
}

const char *const *hetsched_sched_policies(void)
{
	/* StarPU's list is fixed for a given library: copy the names once. */
	static const char *names[64];
	static int filled;

	if (!filled) {
		struct starpu_sched_policy **policies = starpu_sched_get_predefined_policies();
		int n = 0;

		for (; policies && policies[n] && n < 63; n++)
			names[n] = policies[n]->policy_name;
		names[n] = NULL;
		filled = 1;
	}
	return names;
}

/* Format the valid policy names, comma-separated, for error messages. */
static void format_policies(char *buf, size_t size)
{
	const char *const *names = hetsched_sched_policies();
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && used < size; i++)
		used += snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
}

static int check_policy(const char *name)
{
	const char *const *names = hetsched_sched_policies();
	char valid[1024];

	if (name[0] == '\0')
		return hetsched__error(HETSCHED_EINVAL, "empty scheduling policy name");
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return 0;
	format_policies(valid, sizeof(valid));
	return hetsched__error(HETSCHED_EINVAL, "unknown scheduling policy '%s' (valid: %s)", name,
			       valid);
}

int hetsched_init(const struct hetsched_conf *conf)
{
	struct hetsched_conf defaults;
	struct starpu_conf sconf;
	const char *sched;
	int rc;

	if (runtime.initialized)
		return hetsched__error(HETSCHED_ESTATE, "hetsched_init called twice");
	if (!conf) {
		hetsched_conf_init(&defaults);
		conf = &defaults;
	}
	sched = conf->sched;
	if (!sched)
		sched = getenv("STARPU_SCHED");
	if (!sched || !*sched)
		sched = "dmda";
	HETSCHED_CALL(check_policy(sched));
	if (conf->ncpu < -1 || conf->ncuda < -1 || conf->nopencl < -1)
		return hetsched__error(HETSCHED_EINVAL, "worker counts must be >= 0");

	/* StarPU reads these only from the environment. */
	if (conf->opencl_on_cpu)
		setenv("STARPU_OPENCL_ON_CPUS", "1", 1);
	if (conf->quiet)
		setenv("STARPU_SILENT", "1", 1);

	/* One BLAS thread per StarPU worker: StarPU provides the parallelism, and OpenBLAS's own
	 * threads would oversubscribe the cores. */
	openblas_set_num_threads(1);

	starpu_conf_init(&sconf);
	sconf.sched_policy_name = sched;
	if (conf->ncpu >= 0)
		sconf.ncpus = conf->ncpu;
	if (conf->ncuda >= 0)
		sconf.ncuda = conf->ncuda;
	if (conf->nopencl >= 0)
		sconf.nopencl = conf->nopencl;
	/* Under mpirun or srun with several ranks this is starpu_mpi_init_conf. */
	rc = hetsched__mpi_init(&sconf);
	if (rc == -ENODEV)
		return hetsched__error(HETSCHED_ENODEV,
				       "StarPU found no worker for this configuration (ncpu %d, ncuda "
				       "%d, nopencl %d)",
				       conf->ncpu, conf->ncuda, conf->nopencl);
	if (rc != 0)
		return hetsched__error(HETSCHED_ESTARPU, "starpu_init failed: %s", strerror(-rc));
	if (starpu_worker_get_count() == 0) {
		hetsched__mpi_shutdown();
		return hetsched__error(HETSCHED_ENODEV, "StarPU started with no worker");
	}
	starpu_cublas_init();
	if (conf->profiling)
		starpu_profiling_status_set(STARPU_PROFILING_ENABLE);
	rc = hetsched__codelets_init();
	if (rc < 0) {
		starpu_cublas_shutdown();
		hetsched__mpi_shutdown();
		return rc;
	}
	snprintf(runtime.sched, sizeof(runtime.sched), "%s", sched);
	runtime.initialized = 1;
	hetsched_stats_reset();
	return 0;
}

int hetsched_wait_all(void)
{
	if (!runtime.initialized)
		return hetsched__error(HETSCHED_ESTATE, "hetsched is not initialised");
	if (starpu_task_wait_for_all() != 0)
		return hetsched__error(HETSCHED_ESTARPU, "starpu_task_wait_for_all failed");
	return 0;
}

int hetsched_shutdown(void)
{
	if (!runtime.initialized)
		return hetsched__error(HETSCHED_ESTATE, "hetsched is not initialised");
	starpu_task_wait_for_all();
	hetsched__codelets_shutdown();
	starpu_cublas_shutdown();
	hetsched__mpi_shutdown();
	runtime.initialized = 0;
	return 0;
}

const char *hetsched_sched_name(void)
{
	return runtime.initialized ? runtime.sched : NULL;
}

const char *hetsched_starpu_version(void)
{
	static char version[32];
	int major, minor, release;

	starpu_get_version(&major, &minor, &release);
	snprintf(version, sizeof(version), "%d.%d.%d", major, minor, release);
	return version;
}
