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

/* The count asked for: the configuration's, else the variable's (checked above), else -1. */
static long asked(int conf_value, const char *var)
{
	const char *env = getenv(var);

	if (conf_value >= 0)
		return conf_value;
	return env && *env ? strtol(env, NULL, 10) : -1;
}

/* A worker count for a message: the number, or "StarPU's default". */
static const char *count_text(long n, char *buf, size_t size)
{
	if (n < 0)
		return "StarPU's default";
	snprintf(buf, size, "%ld", n);
	return buf;
}

/* After StarPU started: fewer workers of a kind than asked for is a notice; none of a kind that
 * was asked for is refused (HETSCHED_EINVAL, StarPU is stopped by the caller). */
static int check_started(const struct hetsched_conf *conf)
{
	static const struct {
		const char *name, *var, *kind;
		enum starpu_worker_archtype type;
	} kinds[] = {
	    {"ncpu", "STARPU_NCPU", "CPU", STARPU_CPU_WORKER},
	    {"ncuda", "STARPU_NCUDA", "CUDA", STARPU_CUDA_WORKER},
	    {"nopencl", "STARPU_NOPENCL", "OpenCL", STARPU_OPENCL_WORKER},
	};
	const int values[] = {conf->ncpu, conf->ncuda, conf->nopencl};
	const char *ocl_cpu = getenv("STARPU_OPENCL_ON_CPUS");
	struct hetsched_topology topo;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		long want = asked(values[i], kinds[i].var);
		int got = starpu_worker_get_count_by_type(kinds[i].type);
		const char *who = values[i] >= 0 ? kinds[i].name : kinds[i].var;

		if (want <= got)
			continue;
		if (got == 0)
			return hetsched__error(
			    HETSCHED_EINVAL,
			    "%s %ld: StarPU found no %s device to run %s workers on%s", who, want,
			    kinds[i].kind, kinds[i].kind,
			    kinds[i].type == STARPU_OPENCL_WORKER && !(ocl_cpu && atoi(ocl_cpu) > 0)
			        ? " (an OpenCL CPU device, such as PoCL's, counts only with "
			          "--opencl-on-cpu or STARPU_OPENCL_ON_CPUS=1)"
			        : "");
		hetsched__notice("%s %ld: StarPU started %d %s worker%s, as many as this node has "
		                 "devices for",
		                 who, want, got, kinds[i].kind, got == 1 ? "" : "s");
	}
	/* Debian's StarPU caps CPU workers at 4 (STARPU_MAXCPUS): on a larger node the other
	 * cores stay idle, silently. Each worker (a CPU worker, or a GPU's driver thread) takes a
	 * core. */
	if (asked(conf->ncpu, "STARPU_NCPU") < 0 && hetsched_topology_get(&topo) == 0 &&
	    starpu_worker_get_count_by_type(STARPU_CPU_WORKER) == STARPU_MAXCPUS &&
	    topo.cores > (int)starpu_worker_get_count()) {
		int idle = topo.cores - (int)starpu_worker_get_count();

		hetsched__notice(
		    "this StarPU runs at most %d CPU workers (STARPU_MAXCPUS) and this "
		    "node has %d cores: %d core%s stay%s idle; a StarPU built with "
		    "--enable-maxcpus (scripts/build-starpu.sh) uses them all",
		    STARPU_MAXCPUS, topo.cores, idle, idle == 1 ? "" : "s", idle == 1 ? "s" : "");
	}
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
	hetsched__notice_reset();
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
	if ((unsigned)conf->dtype >= HETSCHED_NDTYPES)
		return hetsched__error(HETSCHED_EINVAL, "unknown dtype %d", (int)conf->dtype);
	if ((unsigned)conf->precision >= HETSCHED_NPRECISIONS)
		return hetsched__error(HETSCHED_EINVAL, "unknown precision %d",
		                       (int)conf->precision);
	HETSCHED_CALL(
	    check_count("ncpu", conf->ncpu, "STARPU_NCPU", STARPU_MAXCPUS, "STARPU_MAXCPUS"));
	HETSCHED_CALL(check_count("ncuda", conf->ncuda, "STARPU_NCUDA", STARPU_MAXCUDADEVS,
	                          "STARPU_MAXCUDADEVS"));
	HETSCHED_CALL(check_count("nopencl", conf->nopencl, "STARPU_NOPENCL", STARPU_MAXOPENCLDEVS,
	                          "STARPU_MAXOPENCLDEVS"));
#ifndef STARPU_USE_CUDA
	if (asked(conf->ncuda, "STARPU_NCUDA") > 0)
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "%s %ld: this StarPU was built without CUDA, so it has no CUDA "
		    "worker to give",
		    conf->ncuda >= 0 ? "ncuda" : "STARPU_NCUDA",
		    asked(conf->ncuda, "STARPU_NCUDA"));
#endif
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
	/* Before starpu_init: heteroprio's set-up reads them. */
	hetsched__set_numerics(conf->dtype, conf->precision);
	if (conf->ncpu >= 0)
		sconf.ncpus = conf->ncpu;
	if (conf->ncuda >= 0)
		sconf.ncuda = conf->ncuda;
	if (conf->nopencl >= 0)
		sconf.nopencl = conf->nopencl;
	/* Under mpirun or srun with several ranks: MPI_Init_thread, then starpu_mpi_init_conf. */
	HETSCHED_CALL(hetsched__mpi_preinit());
	lock = hetsched__home_lock(1);
	/* StarPU aborts on a damaged model file: move such files aside first, under the lock. */
	{
		char models[4096];

		if (hetsched__home_models_dir(models, sizeof(models)))
			hetsched__modelfiles_check(models);
	}
	rc = hetsched__mpi_init(&sconf);
	hetsched__home_unlock(lock);
	if (rc == -ENODEV) {
		const char *ocl_cpu = getenv("STARPU_OPENCL_ON_CPUS");
		char b1[24], b2[24], b3[24];
		int hint =
		    asked(conf->nopencl, "STARPU_NOPENCL") > 0 && !(ocl_cpu && atoi(ocl_cpu) > 0);

		/* OpenCL workers asked for without their only device: a usage error. */
		return hetsched__error(
		    hint ? HETSCHED_EINVAL : HETSCHED_ENODEV,
		    "StarPU found no worker for this configuration (ncpu %s, ncuda %s, nopencl "
		    "%s)%s",
		    count_text(asked(conf->ncpu, "STARPU_NCPU"), b1, sizeof(b1)),
		    count_text(asked(conf->ncuda, "STARPU_NCUDA"), b2, sizeof(b2)),
		    count_text(asked(conf->nopencl, "STARPU_NOPENCL"), b3, sizeof(b3)),
		    hint ? ": an OpenCL CPU device, such as PoCL's, counts only with "
		           "--opencl-on-cpu or STARPU_OPENCL_ON_CPUS=1"
		         : "");
	}
	if (rc != 0)
		return hetsched__error(HETSCHED_ESTARPU, "starpu_init failed: %s", strerror(-rc));
	if (starpu_worker_get_count() == 0) {
		hetsched__mpi_shutdown();
		return hetsched__error(HETSCHED_ENODEV, "StarPU started with no worker");
	}
	if (check_started(conf) < 0) {
		hetsched__mpi_shutdown();
		return HETSCHED_EINVAL;
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
	/* Warm every kind's libraries (cuBLAS, PoCL's compiler, OpenBLAS's buffers) and measure
	 * its speed, so that neither the first pass nor an uncalibrated policy pays for them. */
	hetsched__placement_set_all_kinds(conf->all_kinds);
	hetsched__probe_kinds();
	hetsched_bus_bytes(NULL, NULL, NULL); /* the probe's transfers are not a pass's */
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
