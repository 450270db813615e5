/* runtime.c: configuration, StarPU start and stop, scheduling policies. The STARPU_HOME checks
 * and lock are in home.c, the watchdog in watchdog.c, the "initialised" state in state.c. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <starpu.h>

#include "codelets.h"
#include "internal.h"

static struct {
	char sched[64];
} runtime;

/* StarPU 1.3 aborts the process, with a backtrace, on a worker count variable that is not a
 * number (STARPU_NCPU=abc) (and on a STARPU_HOME that is not a folder, see home.c), and silently
 * gives fewer workers than asked above its compile-time maximum (--ncpu 4096: 4 CPU workers,
 * oversubscribed, with a warning that STARPU_SILENT hides). Refuse them here, with a sentence. */
static int check_count(const char *name, int conf_value, const char *var, int max,
                       const char *max_name)
{
	const char *env = getenv(var);
	long value = conf_value;
	char *end;

	if (conf_value < 0 && env) {
		errno = 0;
		value = strtol(env, &end, 10);
		if (!*env || *end || errno)
			return hetsched__error(HETSCHED_EINVAL, "%s must be an integer, got '%s'",
			                       var, env);
	}
	if (value > max)
		return hetsched__error(HETSCHED_EINVAL,
		                       "%s %ld is more than this StarPU supports: at most %d (%s; "
		                       "StarPU would silently start %d)",
		                       conf_value < 0 ? var : name, value, max, max_name, max);
	return 0;
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
	int rc, lock, status = 0;

	if (hetsched__initialized())
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
	HETSCHED_CALL(
	    check_count("ncpu", conf->ncpu, "STARPU_NCPU", STARPU_MAXCPUS, "STARPU_MAXCPUS"));
	HETSCHED_CALL(check_count("ncuda", conf->ncuda, "STARPU_NCUDA", STARPU_MAXCUDADEVS,
	                          "STARPU_MAXCUDADEVS"));
	HETSCHED_CALL(check_count("nopencl", conf->nopencl, "STARPU_NOPENCL", STARPU_MAXOPENCLDEVS,
	                          "STARPU_MAXOPENCLDEVS"));
	HETSCHED_CALL(hetsched__home_check());
	if (!(conf->watchdog_s >= 0) || !isfinite(conf->watchdog_s))
		return hetsched__error(HETSCHED_EINVAL, "watchdog_s must be >= 0 seconds, got %g",
		                       conf->watchdog_s);
	if (conf->watchdog_s > 0)
		hetsched__watchdog_stall_arm(conf->watchdog_s);

	/* StarPU reads these only from the environment. */
	if (conf->opencl_on_cpu)
		setenv("STARPU_OPENCL_ON_CPUS", "1", 1);
	/* An OpenCL CPU device as an accelerator: PoCL's default (pthread) device runs kernels on
	 * threads of its own, which take cores from the CPU workers while StarPU's OpenCL driver
	 * thread polls on another core. Its basic device runs each kernel in the thread that
	 * waits for it (the driver's, see hetsched__opencl_cpu_wait): the worker then takes one
	 * core, as a CPU worker does (1 CPU + 1 OpenCL worker on 2 cores: the mixed run went from
	 * 0.7 to 0.9-1.0 of the CPU worker's own throughput). POCL_DEVICES, if set, is kept. */
	if (getenv("STARPU_OPENCL_ON_CPUS") && atoi(getenv("STARPU_OPENCL_ON_CPUS")) > 0)
		setenv("POCL_DEVICES", "basic", 0);
	if (conf->quiet)
		setenv("STARPU_SILENT", "1", 1);

	/* One BLAS thread per StarPU worker: StarPU provides the parallelism, and OpenBLAS's own
	 * threads would oversubscribe the cores. */
	openblas_set_num_threads(1);

	starpu_conf_init(&sconf);
	/* starpu_conf_init read STARPU_NCPU and the like; without this, starpu_init would read
	 * them again over the counts set below (--ncpu 2 with STARPU_NCPU=1 gave 1 worker). */
	sconf.precedence_over_environment_variables = 1;
	sconf.sched_policy_name = sched;
	/* heteroprio: its bucket and slow factors from the performance models (heteroprio.c). */
	hetsched__heteroprio_hook(&sconf, sched);
	if (conf->ncpu >= 0)
		sconf.ncpus = conf->ncpu;
	if (conf->ncuda >= 0)
		sconf.ncuda = conf->ncuda;
	if (conf->nopencl >= 0)
		sconf.nopencl = conf->nopencl;
	/* Under mpirun or srun with several ranks: MPI_Init_thread, then starpu_mpi_init_conf. */
	HETSCHED_CALL(hetsched__mpi_preinit());
	lock = hetsched__home_lock(1);
	rc = hetsched__mpi_init(&sconf);
	hetsched__home_unlock(lock);
	if (rc == -ENODEV)
		return hetsched__error(
		    HETSCHED_ENODEV,
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
	rc = hetsched__codelets_init(&status);
	if (rc < 0) {
		starpu_cublas_shutdown();
		hetsched__mpi_shutdown();
		return hetsched__error(rc,
		                       "building the OpenCL kernels failed (StarPU status %d); "
		                       "the compiler's log is printed above",
		                       status);
	}
	snprintf(runtime.sched, sizeof(runtime.sched), "%s", sched);
	hetsched__set_initialized(1);
	hetsched_stats_reset();
	return 0;
}

int hetsched_wait_all(void)
{
	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched is not initialised");
	if (starpu_task_wait_for_all() != 0)
		return hetsched__error(HETSCHED_ESTARPU, "starpu_task_wait_for_all failed");
	return 0;
}

int hetsched_shutdown(void)
{
	int lock;

	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched is not initialised");
	starpu_task_wait_for_all();
	hetsched__hostbuf_flush();
	hetsched__codelets_shutdown();
	starpu_cublas_shutdown();
	lock = hetsched__home_lock(0);
	hetsched__mpi_shutdown();
	hetsched__home_unlock(lock);
	hetsched__set_initialized(0);
	return 0;
}

const char *hetsched_sched_name(void)
{
	return hetsched__initialized() ? runtime.sched : NULL;
}

int hetsched_is_simulation(void)
{
	return HETSCHED_HAVE_SIMGRID;
}

double hetsched_time_s(void)
{
#if HETSCHED_HAVE_SIMGRID
	/* SimGrid's clock: a pass takes the node's time, not the simulating host's. */
	return starpu_timing_now() * 1e-6;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
#endif
}

const char *hetsched_starpu_version(void)
{
	static char version[32];
	int major, minor, release;

	starpu_get_version(&major, &minor, &release);
	snprintf(version, sizeof(version), "%d.%d.%d", major, minor, release);
	return version;
}
