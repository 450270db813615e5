/* runtime.c: configuration, StarPU start and stop, scheduling policies. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>
#include <starpu.h>

#include "codelets.h"
#include "internal.h"

static struct {
	int initialized;
	char sched[64];
} runtime;

/* ------------------------------------------------------------------ watchdog */

static double watchdog_s;

/* Called by StarPU's watchdog thread when no task finished during a whole period while tasks
 * were pending. StarPU cannot cancel a running task, and the application thread is blocked
 * waiting for it: name the stall and end the process (hetsched_conf.watchdog_s). */
static void watchdog_fired(void *arg)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg),
	                 "hetsched: watchdog: no task finished for %g s while %d task(s) were "
	                 "pending (a task that never ends, or a stalled device); giving up\n",
	                 watchdog_s, starpu_task_nsubmitted());
	ssize_t ignored = write(STDERR_FILENO, msg, n > 0 && n < (int)sizeof(msg) ? (size_t)n : 0);

	(void)arg;
	(void)ignored;
	_exit(1);
}

/* StarPU reads STARPU_WATCHDOG_TIMEOUT (microseconds) in starpu_init; STARPU_WATCHDOG_CRASH=1
 * makes it abort, should the hook ever return. */
static void watchdog_arm(double seconds)
{
	char us[32];

	watchdog_s = seconds;
	snprintf(us, sizeof(us), "%.0f", seconds * 1e6 < 1 ? 1.0 : seconds * 1e6);
	setenv("STARPU_WATCHDOG_TIMEOUT", us, 1);
	setenv("STARPU_WATCHDOG_CRASH", "1", 1);
	starpu_task_watchdog_set_hook(watchdog_fired, NULL);
}

/* HETSCHED_TEST_HANG_TASK=1, for the tests of the watchdog only: one task that never ends. */
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

static void submit_test_hang(void)
{
	struct starpu_task *task;

	if (!getenv("HETSCHED_TEST_HANG_TASK") || strcmp(getenv("HETSCHED_TEST_HANG_TASK"), "1"))
		return;
	task = starpu_task_create();
	task->cl = &hang_cl;
	if (starpu_task_submit(task) != 0)
		starpu_task_destroy(task);
}

/* ------------------------------------------------------------------ start and stop */

/* StarPU 1.3 calibrates the bus on its first start with a STARPU_HOME (and again whenever the
 * set of devices changes) and writes each bus file under a lock that it releases before fclose
 * has flushed the file: a process starting meanwhile can read the file empty and abort
 * (check_bus_affinity_file: "Error when reading from file"; 1 run in 10 of `mpirun -np 4
 * hetsched run` on a fresh folder here, and seen in CI with 2 ranks of a SLURM job). Processes
 * sharing that folder therefore start StarPU under an flock on a file beside it, exclusive: the
 * first one calibrates, the others then read whole files. The ranks of one MPI launch share it
 * once the bus files are all there (they see the same devices, so none recalibrates), so that a
 * large job's ranks do not start one after the other for nothing. StarPU is stopped (it writes
 * the performance models then) under the exclusive lock. Under MPI with several ranks, the
 * start is locked only once MPI is initialised (hetsched__mpi_preinit), as StarPU-MPI's start is
 * then local to the rank, and the stop is not locked: starpu_mpi_shutdown waits for the other
 * ranks in a barrier, and a rank holding the lock there would wait for one waiting for it. */

/* The folder StarPU keeps its performance models in, as StarPU 1.3 and 1.4 find it, with a
 * trailing slash; 0 when there is none (no STARPU_HOME or HOME). */
static int perfmodel_dir(char *path, size_t size)
{
	const char *dir = getenv("STARPU_PERF_MODEL_DIR"), *home = getenv("STARPU_HOME");
	int n;

	if (dir && *dir)
		n = snprintf(path, size, "%s/", dir);
	else {
		if (!home || !*home)
			home = getenv("HOME");
		if (!home || !*home)
			return 0;
		n = snprintf(path, size, "%s/.starpu/sampling/", home);
	}
	return n > 0 && (size_t)n < size;
}

/* Whether every bus file StarPU reads or writes at start for this host is there and not empty. */
static int bus_files_complete(const char *models)
{
	/* The last one only where StarPU has CUDA or OpenCL. */
	static const char *const kinds[] = {"config",       "latency",         "bandwidth",
	                                    "platform.xml", "platform.v4.xml", "affinity"};
	size_t nkinds = sizeof(kinds) / sizeof(kinds[0]);
	const char *forced = getenv("STARPU_HOSTNAME");
	char host[256], path[4096];
	struct stat st;

	/* StarPU's own naming: STARPU_HOSTNAME, or the host name up to its first dot. */
	if (forced && *forced) {
		snprintf(host, sizeof(host), "%s", forced);
	} else {
		if (gethostname(host, sizeof(host) - 1) != 0)
			return 0;
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0';
	}
#if !defined(STARPU_USE_CUDA) && !defined(STARPU_USE_OPENCL)
	nkinds--;
#endif
	for (size_t i = 0; i < nkinds; i++) {
		int n = snprintf(path, sizeof(path), "%sbus/%s.%s", models, host, kinds[i]);

		if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0 || st.st_size == 0)
			return 0;
	}
	return 1;
}

/* at_start: 1 before StarPU starts (shared or exclusive, as above), 0 before it stops
 * (exclusive). Returns the locked descriptor, or -1 when there is nothing to lock (or no way
 * to: a file system without flock, say). */
static int starpu_home_lock(int at_start)
{
	char models[4096], path[4096];
	int fd, how = LOCK_EX;

	if (at_start ? !hetsched__mpi_start_is_local() : hetsched__mpi_launched_size() > 1)
		return -1;
	if (!perfmodel_dir(models, sizeof(models)))
		return -1;
	/* The folder and its parents, as StarPU would create them anyway. */
	for (char *slash = strchr(models + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(models, 0777);
		*slash = '/';
	}
	if (at_start && hetsched__mpi_launched_size() > 1 && bus_files_complete(models))
		how = LOCK_SH;
	if (snprintf(path, sizeof(path), "%shetsched.lock", models) >= (int)sizeof(path))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	while (flock(fd, how) != 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static void starpu_home_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* StarPU 1.3 aborts the process, with a backtrace, on a worker count variable that is not a
 * number (STARPU_NCPU=abc) or a STARPU_HOME that is not a folder, and silently gives fewer
 * workers than asked above its compile-time maximum (--ncpu 4096: 4 CPU workers, oversubscribed,
 * with a warning that STARPU_SILENT hides). Refuse them here, with a sentence. */
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

static int check_starpu_home(void)
{
	const char *var = getenv("STARPU_HOME") ? "STARPU_HOME" : "HOME", *home = getenv(var);
	struct stat sb;

	if (!home || !*home || stat(home, &sb) != 0)
		return 0; /* StarPU creates it */
	if (!S_ISDIR(sb.st_mode) || access(home, W_OK | X_OK) != 0)
		return hetsched__error(
		    HETSCHED_ESTARPU,
		    "%s=%s is not a writable folder: StarPU keeps its performance "
		    "models and bus calibration in %s/.starpu",
		    var, home, home);
	return 0;
}

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
	int rc, lock, status = 0;

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
	HETSCHED_CALL(
	    check_count("ncpu", conf->ncpu, "STARPU_NCPU", STARPU_MAXCPUS, "STARPU_MAXCPUS"));
	HETSCHED_CALL(check_count("ncuda", conf->ncuda, "STARPU_NCUDA", STARPU_MAXCUDADEVS,
	                          "STARPU_MAXCUDADEVS"));
	HETSCHED_CALL(check_count("nopencl", conf->nopencl, "STARPU_NOPENCL", STARPU_MAXOPENCLDEVS,
	                          "STARPU_MAXOPENCLDEVS"));
	HETSCHED_CALL(check_starpu_home());
	if (!(conf->watchdog_s >= 0) || !isfinite(conf->watchdog_s))
		return hetsched__error(HETSCHED_EINVAL, "watchdog_s must be >= 0 seconds, got %g",
		                       conf->watchdog_s);
	if (conf->watchdog_s > 0)
		watchdog_arm(conf->watchdog_s);

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
	if (conf->ncpu >= 0)
		sconf.ncpus = conf->ncpu;
	if (conf->ncuda >= 0)
		sconf.ncuda = conf->ncuda;
	if (conf->nopencl >= 0)
		sconf.nopencl = conf->nopencl;
	/* Under mpirun or srun with several ranks: MPI_Init_thread, then starpu_mpi_init_conf. */
	HETSCHED_CALL(hetsched__mpi_preinit());
	lock = starpu_home_lock(1);
	rc = hetsched__mpi_init(&sconf);
	starpu_home_unlock(lock);
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
	runtime.initialized = 1;
	hetsched_stats_reset();
	submit_test_hang();
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
	int lock;

	if (!runtime.initialized)
		return hetsched__error(HETSCHED_ESTATE, "hetsched is not initialised");
	starpu_task_wait_for_all();
	hetsched__tensor_cache_flush();
	hetsched__codelets_shutdown();
	starpu_cublas_shutdown();
	lock = starpu_home_lock(0);
	hetsched__mpi_shutdown();
	starpu_home_unlock(lock);
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
