/* starpu_compat.h: the differences between StarPU 1.3 and 1.4 that hetsched's library meets, in
 * one place (issue 16). Checked against StarPU 1.3.10 (Debian 12's package) and 1.4.10 (Debian's
 * forky source package, built by scripts/build-starpu.sh). Included by internal.h, after
 * <starpu.h>: library files only, never src/cli/ (which sees no StarPU at all).
 *
 * What needs code is named here; what only changes behaviour is described here and handled
 * where it bites (the file is named). Unchanged between the two, and relied on: the matrix and
 * vector interfaces, partitioning, starpu_data_acquire_cb, the codelet and perfmodel structures
 * (model files keep format 45: 1.3 calibrations load in 1.4), starpu_cublas_init,
 * STARPU_CUDA_ASYNC / STARPU_OPENCL_ASYNC, the OpenCL program loaders, profiling.
 * Differences that do not reach the library: 1.4 names worker types "CPU", "CUDA"... in
 * starpu_worker_get_type_as_string (1.3: "STARPU_CPU_WORKER"; hetsched prints its own names),
 * STARPU_ANY_WORKER changed value (hetsched sizes nothing with it), 1.4 lists four more
 * scheduling policies (modular-dmda, -dmdap, -dmdar, -dmdas; tests/golden.sh), a 1.4 install
 * also ships starpu-1.3.pc (configure reads the headers' version), and 1.4 recalibrates the bus
 * once on a STARPU_HOME that 1.3 calibrated (its bus config has HIP fields). */
#ifndef HETSCHED_STARPU_COMPAT_H
#define HETSCHED_STARPU_COMPAT_H

#include <stddef.h>

#include <starpu.h>

/* Whether this StarPU is major.minor or later. */
#define HETSCHED_STARPU_AT_LEAST(major, minor)                                                     \
	(STARPU_MAJOR_VERSION > (major) ||                                                         \
	 (STARPU_MAJOR_VERSION == (major) && STARPU_MINOR_VERSION >= (minor)))

/* Frees what starpu_malloc gave: 1.4 deprecates starpu_free(ptr) for starpu_free_noflag(ptr,
 * size), which 1.3 lacks. */
static inline int hetsched__starpu_free(void *ptr, size_t bytes)
{
#if HETSCHED_STARPU_AT_LEAST(1, 4)
	return starpu_free_noflag(ptr, bytes);
#else
	(void)bytes;
	return starpu_free(ptr);
#endif
}

/* StarPU-MPI counts the bytes each rank sends to every other one when the variable named here
 * is 1 at starpu_mpi_init: STARPU_COMM_STATS in 1.3, STARPU_MPI_STATS in 1.4 (which still reads
 * STARPU_COMM_STATS when STARPU_MPI_STATS is unset). The counts, one size_t per rank, come from
 * starpu_mpi_comm_amounts_retrieve in 1.3, renamed starpu_mpi_comm_stats_retrieve in 1.4 (a
 * macro: <starpu_mpi.h> declares either, and only mpi.c includes it). */
#if HETSCHED_STARPU_AT_LEAST(1, 4)
#define HETSCHED_STARPU_MPI_STATS_VAR "STARPU_MPI_STATS"
#define hetsched__mpi_comm_stats_retrieve(sent) starpu_mpi_comm_stats_retrieve(sent)
#else
#define HETSCHED_STARPU_MPI_STATS_VAR "STARPU_COMM_STATS"
#define hetsched__mpi_comm_stats_retrieve(sent) starpu_mpi_comm_amounts_retrieve(sent)
#endif

/* Where the bus calibration lives (home.c). 1.3: in the one model folder, STARPU_PERF_MODEL_DIR
 * or else $STARPU_HOME/.starpu/sampling. 1.4 searches STARPU_PERF_MODEL_DIR, then
 * $STARPU_HOME/.starpu/sampling (then STARPU_PERF_MODEL_PATH and its installation's folder, which
 * hetsched does not use), takes the bus files of the first folder holding bus/HOST.config, and
 * calibrates into the first folder when none does: with a fresh STARPU_PERF_MODEL_DIR it reads
 * STARPU_HOME's calibration. */
#define HETSCHED_STARPU_BUS_SEARCHES_HOME HETSCHED_STARPU_AT_LEAST(1, 4)

/* CPU workers and the launcher's binding (runtime.c). 1.4 keeps its CPU workers to the CPUs the
 * process is bound to (STARPU_WORKERS_GETBIND=1 by default; 1.3 ignores the binding), and
 * StarPU-MPI's thread takes one of them: a rank that mpirun or srun bound to one core (mpirun
 * does by default for 2 ranks) gets no CPU worker at all. */
#define HETSCHED_STARPU_WORKERS_GETBIND_DEFAULT HETSCHED_STARPU_AT_LEAST(1, 4)

/* heteroprio's configuration (heteroprio.c). 1.3 numbers the architectures with its own enum
 * starpu_heteroprio_types (STARPU_CPU_IDX...) and calls starpu_conf.sched_policy_init; 1.4 takes
 * enum starpu_worker_archtype itself and calls starpu_conf.sched_policy_callback, with the same
 * signature (the scheduling context). */
#include <starpu_heteroprio.h>
#if HETSCHED_STARPU_AT_LEAST(1, 4)
typedef enum starpu_worker_archtype hetsched__heteroprio_arch;
#define HETSCHED_HETEROPRIO_CPU STARPU_CPU_WORKER
#define HETSCHED_HETEROPRIO_CUDA STARPU_CUDA_WORKER
#define HETSCHED_HETEROPRIO_OPENCL STARPU_OPENCL_WORKER
#define HETSCHED_STARPU_SCHED_POLICY_HOOK sched_policy_callback
#else
typedef enum starpu_heteroprio_types hetsched__heteroprio_arch;
#define HETSCHED_HETEROPRIO_CPU STARPU_CPU_IDX
#define HETSCHED_HETEROPRIO_CUDA STARPU_CUDA_IDX
#define HETSCHED_HETEROPRIO_OPENCL STARPU_OPENCL_IDX
#define HETSCHED_STARPU_SCHED_POLICY_HOOK sched_policy_init
#endif

#endif /* HETSCHED_STARPU_COMPAT_H */
