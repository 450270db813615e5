/* mpi.c: several nodes through StarPU-MPI. When hetsched runs under mpirun or srun with more
 * than one rank (and StarPU-MPI is built in), tiles are distributed 2-D block-cyclic over a
 * P x Q grid of ranks: each tile is registered with its owner, tasks run where the tile they
 * write lives (owner computes) and StarPU-MPI moves the tiles they read. Rank 0 gathers what must
 * be saved or checked. Without MPI every function here describes one rank. */
/* sched_getaffinity, CPU_COUNT */
#define _GNU_SOURCE
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <starpu.h>
#ifdef HETSCHED_HAVE_MPI_BUILD
#include <starpu_mpi.h>
#endif

#include "internal.h"
#include "tool.h"

static struct {
	int active;       /* StarPU-MPI initialised by hetsched_init */
	int own_mpi;      /* MPI initialised by hetsched (it finalises it) */
	int rank, size;   /* this rank, number of ranks */
	int p, q;         /* process grid */
	int64_t next_tag; /* first MPI tag of the next tensor */
} mpi = {0, 0, 0, 1, 1, 1, 1};

#ifdef HETSCHED_HAVE_MPI_BUILD
/* StarPU-MPI's byte counting (STARPU_COMM_STATS, 1.4: STARPU_MPI_STATS) was turned on by
 * hetsched, not by the user. */
static int comm_stats_ours;
#endif

/* The rank and size the launcher announces, before MPI is initialised. */
static int env_int(const char *const *names, int fallback)
{
	for (int i = 0; names[i]; i++) {
		const char *v = getenv(names[i]);

		if (v && *v)
			return atoi(v);
	}
	return fallback;
}

int hetsched__mpi_launched_size(void)
{
	static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
	                                    "MPI_LOCALNRANKS", NULL};
	int size = env_int(names, 0);

	/* srun --mpi=pmix announces the job's task count through SLURM. */
	if (size == 0 && getenv("PMIX_RANK") && getenv("SLURM_NTASKS"))
		size = atoi(getenv("SLURM_NTASKS"));
	return size > 0 ? size : 1;
}

int hetsched__mpi_launched_rank(void)
{
	static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK",
	                                    "SLURM_PROCID", NULL};

	return hetsched__mpi_launched_size() > 1 ? env_int(names, 0) : 0;
}

int hetsched_rank(void)
{
	return mpi.active ? mpi.rank : hetsched__mpi_launched_rank();
}

int hetsched_nranks(void)
{
	return mpi.active ? mpi.size : 1;
}

int hetsched__mpi_active(void)
{
	return mpi.active;
}

/* Under a launcher with several ranks, MPI is initialised here, before StarPU. StarPU-MPI would
 * do it inside starpu_mpi_init_conf, after starpu_init; MPI_Init is collective, so the ranks'
 * starpu_init calls could then not be taken one at a time (see hetsched__home_lock in home.c). */
int hetsched__mpi_preinit(void)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	int flag = 0, provided;

	if (hetsched__mpi_launched_size() <= 1)
		return 0;
	MPI_Initialized(&flag);
	if (flag)
		return 0;
	/* StarPU-MPI's own choice of thread level. */
	if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
		return hetsched__error(HETSCHED_ESTARPU, "MPI_Init_thread failed");
	mpi.own_mpi = 1;
#endif
	return 0;
}

/* StarPU-MPI's start-up meets the other ranks in a barrier to align their traces in a build with
 * FxT, and to print the bindings with STARPU_DISPLAY_BINDINGS: then it is not local to a rank. */
int hetsched__mpi_start_is_local(void)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	const char *bindings = getenv("STARPU_DISPLAY_BINDINGS");

	if (hetsched__mpi_launched_size() > 1) {
#ifdef STARPU_USE_FXT
		return 0;
#endif
		if (bindings && atoi(bindings) != 0)
			return 0;
	}
#endif
	return 1;
}

#if defined(HETSCHED_HAVE_MPI_BUILD) && HETSCHED_STARPU_WORKERS_GETBIND_DEFAULT
/* StarPU 1.4 keeps its CPU workers to the CPUs the launcher bound this rank to, and StarPU-MPI's
 * thread takes one of them (starpu_compat.h): a rank bound to a single core, as mpirun binds each
 * of 2 ranks by default, would get no CPU worker and hetsched_init would fail. Ask for one CPU
 * worker there, sharing that core with the thread: what StarPU 1.3, which ignores the binding,
 * gives each of 2 ranks on 2 cores. Worker counts or CPUs chosen by the user, or
 * STARPU_WORKERS_GETBIND=0, are left alone. */
static void one_cpu_worker_if_bound_to_one_core(struct starpu_conf *sconf)
{
	const char *getbind = getenv("STARPU_WORKERS_GETBIND");
	cpu_set_t set;

	if (sconf->ncpus >= 0 || sconf->use_explicit_workers_bindid ||
	    getenv("STARPU_WORKERS_CPUID") || (getbind && atoi(getbind) == 0))
		return;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1)
		sconf->ncpus = 1;
}
#endif

int hetsched__mpi_init(struct starpu_conf *sconf)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	int rc;

	if (hetsched__mpi_launched_size() > 1) {
#if HETSCHED_STARPU_WORKERS_GETBIND_DEFAULT
		one_cpu_worker_if_bound_to_one_core(sconf);
#endif
		/* Byte counts per destination, for the per-rank report. */
		comm_stats_ours =
		    !getenv(HETSCHED_STARPU_MPI_STATS_VAR) && !getenv("STARPU_COMM_STATS");
		if (comm_stats_ours)
			setenv(HETSCHED_STARPU_MPI_STATS_VAR, "1", 1);
		/* MPI is up: hetsched__mpi_preinit, or the application, started it. */
		rc = starpu_mpi_init_conf(NULL, NULL, 0, MPI_COMM_WORLD, sconf);
		if (rc != 0)
			return rc;
		starpu_mpi_comm_rank(MPI_COMM_WORLD, &mpi.rank);
		starpu_mpi_comm_size(MPI_COMM_WORLD, &mpi.size);
		/* The squarest grid: P the largest divisor of size not above its square root. */
		mpi.p = 1;
		for (int d = 1; d * d <= mpi.size; d++)
			if (mpi.size % d == 0)
				mpi.p = d;
		mpi.q = mpi.size / mpi.p;
		mpi.next_tag = 1;
		mpi.active = 1;
		return 0;
	}
#endif
	return starpu_init(sconf);
}

void hetsched__mpi_shutdown(void)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	if (mpi.active) {
		int saved = -1;

		starpu_mpi_wait_for_all(MPI_COMM_WORLD);
		starpu_mpi_barrier(MPI_COMM_WORLD);
		/* StarPU-MPI prints its communication statistics at shutdown; they were turned on
		 * for the report, not for the user's terminal. */
		if (comm_stats_ours) {
			int devnull = open("/dev/null", O_WRONLY);

			fflush(stderr);
			saved = dup(STDERR_FILENO);
			if (devnull >= 0) {
				dup2(devnull, STDERR_FILENO);
				close(devnull);
			}
		}
		starpu_mpi_shutdown();
		if (saved >= 0) {
			fflush(stderr);
			dup2(saved, STDERR_FILENO);
			close(saved);
		}
		mpi.active = 0;
		if (starpu_is_initialized())
			starpu_shutdown();
		if (mpi.own_mpi) {
			MPI_Finalize();
			mpi.own_mpi = 0;
		}
		return;
	}
#endif
	starpu_shutdown();
}

int hetsched__mpi_owner(const struct hetsched_tensor *t, size_t i, size_t j)
{
	if (!mpi.active)
		return 0;
	return (int)(i % (size_t)mpi.p) * mpi.q + (int)(j % (size_t)mpi.q);
}

/* The tags of tensor tiles stay below the ranges of the transfers below (gathers from 1 << 51,
 * rank figures from 1 << 50, texts from 3 << 50). */
#define TILE_TAG_LIMIT ((int64_t)1 << 50)

int hetsched__mpi_register_tiles(struct hetsched_tensor *t)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	int64_t ntiles = (int64_t)(t->ntile_rows * t->ntile_cols);

	if (!mpi.active)
		return 0;
	/* Every rank creates the same tensors in the same order, so the tags agree; a tensor
	 * keeps its tags when it is split again after a gather. */
	if (t->mpi_tag == 0) {
		if (mpi.next_tag > TILE_TAG_LIMIT - ntiles)
			return hetsched__error(HETSCHED_ESTARPU,
			                       "StarPU-MPI tags exhausted: %lld tiles registered, "
			                       "%lld more asked",
			                       (long long)mpi.next_tag, (long long)ntiles);
		t->mpi_tag = mpi.next_tag;
		mpi.next_tag += ntiles;
	}
	for (size_t i = 0; i < t->ntile_rows; i++)
		for (size_t j = 0; j < t->ntile_cols; j++)
			starpu_mpi_data_register(hetsched__tensor_tile(t, i, j),
			                         t->mpi_tag + (int64_t)(i * t->ntile_cols + j),
			                         hetsched__mpi_owner(t, i, j));
#else
	(void)t;
#endif
	return 0;
}

#ifdef HETSCHED_HAVE_MPI_BUILD
/* Copy a tile between its main-memory copy and a contiguous buffer (to_tile: buffer into tile). */
static int copy_tile(starpu_data_handle_t tile, char *buf, size_t rows, size_t cols, size_t elem,
                     int to_tile)
{
	char *p;
	size_t ld;

	if (starpu_data_acquire(tile, to_tile ? STARPU_W : STARPU_R) != 0)
		return hetsched__error(HETSCHED_ESTARPU, "cannot acquire a tile on the host");
	p = (char *)starpu_matrix_get_local_ptr(tile);
	ld = starpu_matrix_get_local_ld(tile);
	for (size_t r = 0; r < rows; r++) {
		if (to_tile)
			memcpy(p + r * ld * elem, buf + r * cols * elem, cols * elem);
		else
			memcpy(buf + r * cols * elem, p + r * ld * elem, cols * elem);
	}
	starpu_data_release(tile);
	return 0;
}

/* Send (to_rank >= 0) or receive (from peer) \p bytes at \p buf through a fresh vector handle of
 * StarPU-MPI, whose thread owns MPI. */
static int transfer(void *buf, size_t bytes, size_t elem, int peer, starpu_mpi_tag_t tag,
                    int sending, const char *what)
{
	starpu_data_handle_t h;
	MPI_Status status;
	int rc;

	starpu_vector_data_register(&h, STARPU_MAIN_RAM, (uintptr_t)buf, (uint32_t)(bytes / elem),
	                            elem);
	if (sending)
		rc = starpu_mpi_send(h, peer, tag, MPI_COMM_WORLD);
	else
		rc = starpu_mpi_recv(h, peer, tag, MPI_COMM_WORLD, &status);
	starpu_data_unregister(h);
	if (rc != 0)
		return hetsched__error(
		    HETSCHED_ESTARPU, "StarPU-MPI could not %s %s %s rank %d (%d)",
		    sending ? "send" : "receive", what, sending ? "to" : "from", peer, rc);
	return 0;
}
#endif

int hetsched__mpi_gather(struct hetsched_tensor *t)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	if (!mpi.active)
		return 0;
	/* Each tile rank 0 lacks travels once, owner to rank 0, through a fresh vector handle:
	 * StarPU-MPI's own data transfers (starpu_mpi_get_data_on_node) deadlocked here on tiles
	 * that had already been sent to rank 0 for tasks. A rank that fails returns at once: its
	 * process ends, and the launcher then ends the others (a rank waiting for it included). */
	starpu_task_wait_for_all();
	for (size_t i = 0; i < t->ntile_rows; i++)
		for (size_t j = 0; j < t->ntile_cols; j++) {
			starpu_data_handle_t tile = hetsched__tensor_tile(t, i, j);
			int owner = hetsched__mpi_owner(t, i, j), rc = 0;
			starpu_mpi_tag_t tag = ((starpu_mpi_tag_t)1 << 51) + t->mpi_tag +
			                       (starpu_mpi_tag_t)(i * t->ntile_cols + j);
			size_t rows, cols, elem = hetsched_dtype_size(t->dtype);
			char *buf;

			if (owner == 0 || (mpi.rank != 0 && mpi.rank != owner))
				continue;
			hetsched__tile_extent(t, i, j, &rows, &cols, NULL, NULL);
			buf = malloc(rows * cols * elem);
			if (!buf)
				return hetsched__error(
				    HETSCHED_ENOMEM, "out of memory for a %zu x %zu tile to gather",
				    rows, cols);
			if (mpi.rank == owner) {
				rc = copy_tile(tile, buf, rows, cols, elem, 0);
				if (rc == 0)
					rc = transfer(buf, rows * cols * elem, elem, 0, tag, 1,
					              "a tile");
			} else {
				rc = transfer(buf, rows * cols * elem, elem, owner, tag, 0,
				              "a tile");
				if (rc == 0)
					rc = copy_tile(tile, buf, rows, cols, elem, 1);
			}
			free(buf);
			if (rc < 0)
				return rc;
		}
#else
	(void)t;
#endif
	return 0;
}

int hetsched__mpi_submit(struct starpu_task *task)
{
	int rc;

#ifdef HETSCHED_HAVE_MPI_BUILD
	if (mpi.active) {
		/* Build on every rank; only the owner of the written tile gets a task to run, the
		 * others post the transfers it needs. */
		struct starpu_codelet *cl = task->cl;
		struct starpu_task *local;

		if (task->nbuffers == 4 || cl->nbuffers == 4) {
			local = starpu_mpi_task_build(
			    MPI_COMM_WORLD, cl, task->modes[0], task->handles[0], task->modes[1],
			    task->handles[1], task->modes[2], task->handles[2], task->modes[3],
			    task->handles[3], 0);
		} else {
			local = starpu_mpi_task_build(MPI_COMM_WORLD, cl, task->modes[0],
			                              task->handles[0], 0);
		}
		if (local) {
			/* starpu_mpi_task_build may have set its own callback wrapper: replace it.
			 */
			if (local->callback_arg_free)
				free(local->callback_arg);
			if (local->cl_arg_free)
				free(local->cl_arg);
			local->callback_arg_free = 0;
			local->cl_arg = task->cl_arg;
			local->cl_arg_size = task->cl_arg_size;
			local->cl_arg_free = task->cl_arg_free;
			local->callback_func = task->callback_func;
			local->callback_arg = task->callback_arg;
			local->where = task->where;
			rc = starpu_task_submit(local);
		} else {
			/* Not ours to run: the arguments die here. */
			if (task->cl_arg_free)
				free(task->cl_arg);
			if (task->callback_arg && task->callback_arg != task->cl_arg)
				free(task->callback_arg);
			rc = 0;
		}
		if (task->nbuffers == 4 || cl->nbuffers == 4)
			starpu_mpi_task_post_build(
			    MPI_COMM_WORLD, cl, task->modes[0], task->handles[0], task->modes[1],
			    task->handles[1], task->modes[2], task->handles[2], task->modes[3],
			    task->handles[3], 0);
		else
			starpu_mpi_task_post_build(MPI_COMM_WORLD, cl, task->modes[0],
			                           task->handles[0], 0);
		task->cl_arg = NULL;
		task->callback_arg = NULL;
		task->destroy = 0;
		starpu_task_destroy(task);
		return rc;
	}
#endif
	rc = starpu_task_submit(task);
	if (rc != 0) {
		/* A task StarPU refuses is still the caller's: free it and its arguments, as the
		 * branch above does for a task that is not this rank's. */
		if (task->callback_arg && task->callback_arg != task->cl_arg)
			free(task->callback_arg);
		task->callback_arg = NULL;
		starpu_task_destroy(task); /* frees cl_arg (cl_arg_free) */
	}
	return rc;
}

int hetsched_ranks_gather(struct hetsched_rank_info *info)
{
	struct hetsched_rank_info mine;
	struct hetsched_totals by_kind[HETSCHED_NKINDS];

	memset(&mine, 0, sizeof(mine));
	mine.rank = hetsched_rank();
	gethostname(mine.host, sizeof(mine.host) - 1);
	HETSCHED_CALL(hetsched_stats_totals(NULL, 0, by_kind));
	for (int k = 0; k < HETSCHED_NKINDS; k++) {
		mine.tasks_by_kind[k] = by_kind[k].tasks;
		mine.busy_s += by_kind[k].busy_s;
	}
#ifdef HETSCHED_HAVE_MPI_BUILD
	if (mpi.active) {
		/* Through StarPU-MPI (its thread owns MPI): each rank sends its figures and its
		 * bytes sent to every other rank, rank 0 receives them. */
		size_t words = (size_t)mpi.size, bytes = sizeof(mine) + words * sizeof(uint64_t);
		size_t *sent = calloc(words, sizeof(size_t));
		unsigned char *buf = calloc((size_t)mpi.size, bytes);
		const starpu_mpi_tag_t tag = (starpu_mpi_tag_t)1 << 50;
		int rc = 0;

		if (!sent || !buf) {
			free(sent);
			free(buf);
			return hetsched__error(
			    HETSCHED_ENOMEM, "out of memory for the figures of %d ranks", mpi.size);
		}
		hetsched__mpi_comm_stats_retrieve(sent);
		for (int r = 0; r < mpi.size; r++) {
			uint64_t v = sent[r];

			mine.bytes_sent += v;
			memcpy(buf + (size_t)mpi.rank * bytes + sizeof(mine) + r * sizeof(uint64_t),
			       &v, sizeof(v));
		}
		memcpy(buf + (size_t)mpi.rank * bytes, &mine, sizeof(mine));
		for (int r = 1; r < mpi.size && rc == 0; r++) {
			if (mpi.rank != 0 && mpi.rank != r)
				continue;
			rc = transfer(buf + r * bytes, bytes, 1, mpi.rank == 0 ? r : 0, tag + r,
			              mpi.rank != 0, "rank figures");
		}
		if (rc == 0 && mpi.rank == 0) {
			for (int r = 0; r < mpi.size; r++)
				memcpy(&info[r], buf + r * bytes, sizeof(mine));
			for (int src = 0; src < mpi.size; src++)
				for (int dst = 0; dst < mpi.size; dst++) {
					uint64_t v;

					memcpy(&v,
					       buf + src * bytes + sizeof(mine) + dst * sizeof(v),
					       sizeof(v));
					info[dst].bytes_received += v;
				}
		}
		free(sent);
		free(buf);
		return rc;
	}
#endif
	info[0] = mine;
	return 0;
}

int hetsched__mpi_gather_text(const char *mine, char **all, size_t max)
{
#ifdef HETSCHED_HAVE_MPI_BUILD
	if (mpi.active) {
		const starpu_mpi_tag_t tag = (starpu_mpi_tag_t)3 << 50;
		int rc = 0;

		if (mpi.rank == 0) {
			for (int r = 0; r < mpi.size; r++)
				all[r] = NULL;
			all[0] = strdup(mine);
			if (!all[0])
				return hetsched__error(HETSCHED_ENOMEM, "out of memory for a text");
			for (int r = 1; r < mpi.size && rc == 0; r++) {
				all[r] = calloc(1, max);
				if (!all[r])
					return hetsched__error(
					    HETSCHED_ENOMEM,
					    "out of memory for the text of rank %d", r);
				rc = transfer(all[r], max, 1, r, tag + r, 0, "a text");
				all[r][max - 1] = '\0';
			}
		} else {
			char *buf = calloc(1, max);

			if (!buf)
				return hetsched__error(HETSCHED_ENOMEM, "out of memory for a text");
			snprintf(buf, max, "%s", mine);
			rc = transfer(buf, max, 1, 0, tag + mpi.rank, 1, "a text");
			free(buf);
		}
		return rc;
	}
#endif
	(void)max;
	all[0] = strdup(mine);
	if (!all[0])
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a text");
	return 0;
}
