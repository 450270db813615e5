/* slow_bus_flush.c: an LD_PRELOAD library for mpi.sh that widens a race of StarPU 1.3 from
 * microseconds to a fraction of a second, so that a test sees it every time.
 *
 * StarPU writes its bus affinity file (fopen "a+", write lock, truncate, fprintf) and releases
 * the lock before fclose has flushed what it wrote: for a moment the file is empty and
 * unlocked, and a process starting StarPU on the same folder then reads it empty and aborts
 * (check_bus_affinity_file: "Error when reading from file"). Here, around that file only:
 * rank R of an MPI launch takes its write lock 0.6 s x R late (each rank truncates after the
 * one before it has flushed), keeps the file empty and unlocked for 0.5 s after releasing it,
 * and waits 0.2 s before each read lock. Ranks that start StarPU at once on a fresh folder and
 * all calibrate the bus then read the file while the next rank holds it empty; ranks that
 * start StarPU one at a time (hetsched's start lock) calibrate once and read whole files.
 * Each delayed release writes "slow_bus_flush: ..." on stderr, for the test to see it acted. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*fcntl_fn)(int, int, ...);

/* Whether fd is StarPU's bus affinity file. */
static int is_affinity(int fd)
{
	static const char suffix[] = ".affinity";
	char link[64], path[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < (ssize_t)sizeof(suffix))
		return 0;
	path[n] = '\0';
	return strcmp(path + n - (sizeof(suffix) - 1), suffix) == 0;
}

static int launcher_rank(void)
{
	static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
	                                    "SLURM_PROCID", NULL};

	for (int i = 0; names[i]; i++)
		if (getenv(names[i]) && *getenv(names[i]))
			return atoi(getenv(names[i]));
	return 0;
}

int fcntl(int fd, int cmd, ...)
{
	fcntl_fn real = (fcntl_fn)dlsym(RTLD_NEXT, "fcntl");
	struct flock *lock;
	va_list ap;
	void *arg;
	int rc;

	/* glibc reads the third argument the same way, whatever the command. */
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	lock = arg;
	if (cmd != F_SETLKW || !lock || !is_affinity(fd))
		return real(fd, cmd, arg);
	if (lock->l_type == F_WRLCK)
		usleep(600000 * launcher_rank());
	else if (lock->l_type == F_RDLCK)
		usleep(200000);
	rc = real(fd, cmd, arg);
	if (lock->l_type == F_UNLCK && (real(fd, F_GETFL) & O_ACCMODE) != O_RDONLY) {
		fprintf(stderr, "slow_bus_flush: rank %d keeps the affinity file unflushed 0.5 s\n",
		        launcher_rank());
		usleep(500000);
	}
	return rc;
}
