/* home.c: the folder StarPU keeps its performance models and bus calibration in (STARPU_HOME):
 * checked before StarPU starts, and locked around its start and stop so that processes sharing it
 * never read a bus file another one is still writing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>
#include <starpu.h>

#include "internal.h"

/* StarPU 1.3 aborts the process, with a backtrace, on a STARPU_HOME that is not a folder:
 * refuse it here, with a sentence. */
int hetsched__home_check(void)
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

/* StarPU 1.3 calibrates the bus on its first start with a STARPU_HOME (and again whenever the
 * set of devices changes) and writes each bus file under a lock that it releases before fclose
 * has flushed the file: a process starting meanwhile can read the file empty and abort
 * (check_bus_affinity_file: "Error when reading from file"; 1 run in 10 of `mpirun -np 4
 * hetsched run` on a fresh folder here, and seen in CI with 2 ranks of a SLURM job). Processes
 * sharing that folder therefore start StarPU under an flock on a file beside it, exclusive: the
 * first one calibrates, the others then read whole files. The ranks of one MPI launch share it
 * once the bus files are all there and were made with the cores and NUMA nodes it sees (then
 * none recalibrates: bus_config_matches), so that a large job's ranks do not start one after the
 * other for nothing. StarPU is stopped (it writes
 * the performance models then) under the exclusive lock. Under MPI with several ranks, the
 * start is locked only once MPI is initialised (hetsched__mpi_preinit), as StarPU-MPI's start is
 * then local to the rank, and the stop is not locked: starpu_mpi_shutdown waits for the other
 * ranks in a barrier, and a rank holding the lock there would wait for one waiting for it. */

/* $STARPU_HOME/.starpu/sampling/ (HOME without STARPU_HOME); 0 when there is neither. */
static int home_sampling_dir(char *path, size_t size)
{
	const char *home = getenv("STARPU_HOME");
	int n;

	if (!home || !*home)
		home = getenv("HOME");
	if (!home || !*home)
		return 0;
	n = snprintf(path, size, "%s/.starpu/sampling/", home);
	return n > 0 && (size_t)n < size;
}

/* The folder StarPU keeps its performance models in (and writes them to), as StarPU 1.3 and 1.4
 * find it, with a trailing slash; 0 when there is none (no STARPU_HOME or HOME). */
int hetsched__home_models_dir(char *path, size_t size)
{
	const char *dir = getenv("STARPU_PERF_MODEL_DIR");
	int n;

	if (!dir || !*dir)
		return home_sampling_dir(path, size);
	n = snprintf(path, size, "%s/", dir);
	return n > 0 && (size_t)n < size;
}

int hetsched__home_host(char *host, size_t size)
{
	const char *forced = getenv("STARPU_HOSTNAME");

	/* StarPU's own naming: STARPU_HOSTNAME, or the host name up to its first dot. */
	if (forced && *forced) {
		snprintf(host, size, "%s", forced);
	} else {
		if (size < 2 || gethostname(host, size - 1) != 0)
			return 0;
		host[size - 1] = '\0';
		host[strcspn(host, ".")] = '\0';
	}
	return 1;
}

/* Whether the bus file of this kind ("config", "latency", ...) for this host is in the folder
 * models and not empty. */
static int bus_file_there(const char *models, const char *kind)
{
	char host[256], path[4096];
	struct stat st;
	int n;

	if (!hetsched__home_host(host, sizeof(host)))
		return 0;
	n = snprintf(path, sizeof(path), "%sbus/%s.%s", models, host, kind);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 && st.st_size > 0;
}

/* Whether every bus file StarPU reads or writes at start for this host is in the folder models
 * and not empty. */
static int bus_files_complete(const char *models)
{
	/* The last one only where StarPU has CUDA or OpenCL. */
	static const char *const kinds[] = {"config",       "latency",         "bandwidth",
	                                    "platform.xml", "platform.v4.xml", "affinity"};
	size_t nkinds = sizeof(kinds) / sizeof(kinds[0]);

#if !defined(STARPU_USE_CUDA) && !defined(STARPU_USE_OPENCL)
	nkinds--;
#endif
	for (size_t i = 0; i < nkinds; i++)
		if (!bus_file_there(models, kinds[i]))
			return 0;
	return 1;
}

/* Whether the bus calibration of this host in the folder models was made with as many cores and
 * NUMA nodes as this process sees (StarPU compares the two counts of its config file with its
 * hwloc topology, restricted to the cores the process is bound to under STARPU_WORKERS_GETBIND,
 * and calibrates again when they differ: the ranks of `mpirun --bind-to core` after a
 * whole-node run, each seeing one core, would all rewrite the files at once while reading them,
 * and abort in check_bus_affinity_file). 1 when the file does not say. */
static int bus_config_matches(const char *models)
{
	char host[256], path[4096], line[256];
	long cores = -1, numas = -1;
	hwloc_topology_t topology;
	FILE *f;
	int match = 1;

	if (!hetsched__home_host(host, sizeof(host)) ||
	    snprintf(path, sizeof(path), "%sbus/%s.config", models, host) >= (int)sizeof(path) ||
	    !(f = fopen(path, "r")))
		return 1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "# Number of CPUs"))
			cores = strtol(line, NULL, 10);
		else if (strstr(line, "# Number of NUMA nodes"))
			numas = strtol(line, NULL, 10);
	}
	fclose(f);
	if (hwloc_topology_init(&topology) != 0)
		return 1;
	if (hwloc_topology_load(topology) == 0) {
		const char *getbind = getenv("STARPU_WORKERS_GETBIND");
		int c, n;

		/* StarPU's topology then holds only the cores the thread is bound to. */
		if (getbind && *getbind ? atoi(getbind) != 0
		                        : HETSCHED_STARPU_WORKERS_GETBIND_DEFAULT) {
			hwloc_bitmap_t set = hwloc_bitmap_alloc();

			if (set && hwloc_get_cpubind(topology, set, HWLOC_CPUBIND_THREAD) == 0)
				hwloc_topology_restrict(topology, set, 0);
			hwloc_bitmap_free(set);
		}
		c = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
		n = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
		match = (cores < 0 || c <= 0 || cores == c) && (numas < 0 || n <= 0 || numas == n);
	}
	hwloc_topology_destroy(topology);
	return match;
}

/* Whether the bus calibration StarPU will read at start is complete. StarPU 1.3 reads it from the
 * model folder; 1.4 from the first of STARPU_PERF_MODEL_DIR and $STARPU_HOME/.starpu/sampling
 * that holds a bus config file, and calibrates into the model folder when neither does (see
 * starpu_compat.h). */
static int bus_calibrated(const char *models)
{
#if HETSCHED_STARPU_BUS_SEARCHES_HOME
	char home[4096];

	if (!bus_file_there(models, "config") && home_sampling_dir(home, sizeof(home)) &&
	    bus_file_there(home, "config"))
		return bus_files_complete(home);
#endif
	return bus_files_complete(models);
}

/* at_start: 1 before StarPU starts (shared or exclusive, as above), 0 before it stops
 * (exclusive). Returns the locked descriptor, or -1 when there is nothing to lock (or no way
 * to: a file system without flock, say). */
int hetsched__home_lock(int at_start)
{
	char models[4096], path[4096];
	int fd, how = LOCK_EX;

	if (at_start ? !hetsched__mpi_start_is_local() : hetsched__mpi_launched_size() > 1)
		return -1;
	if (!hetsched__home_models_dir(models, sizeof(models)))
		return -1;
	/* The folder and its parents, as StarPU would create them anyway. */
	for (char *slash = strchr(models + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(models, 0777);
		*slash = '/';
	}
	if (at_start && hetsched__mpi_launched_size() > 1 && bus_calibrated(models) &&
	    bus_config_matches(models))
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

void hetsched__home_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
