/* internal.h: what the library's files share and do not export to users. */
#ifndef HETSCHED_INTERNAL_H
#define HETSCHED_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hetsched.h"

/* Record the detailed message of a failure (read by hetsched_last_error()) and return \p code,
 * so that a failing path reads: return hetsched__error(HETSCHED_EINVAL, "rows must be > 0"). */
int hetsched__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Propagate a negative status: the expression's error leaves the calling function. */
#define HETSCHED_CALL(expr)                                                                        \
	do {                                                                                       \
		int hetsched_call_rc_ = (expr);                                                    \
		if (hetsched_call_rc_ < 0)                                                         \
			return hetsched_call_rc_;                                                  \
	} while (0)

/* Jump to a cleanup label on a negative status, keeping it in \p rc. */
#define HETSCHED_TRY(rc, expr, label)                                                              \
	do {                                                                                       \
		(rc) = (expr);                                                                     \
		if ((rc) < 0)                                                                      \
			goto label;                                                                \
	} while (0)

#include <starpu.h>

#include "epilogue.h"
#include "starpu_compat.h"

/* A tensor: one StarPU matrix handle (nx = cols, ny = rows) split into tile_rows x tile_cols
 * tiles; edge tiles are smaller. */
struct hetsched_tensor {
	size_t rows, cols;
	size_t tile_rows, tile_cols;
	size_t ntile_rows, ntile_cols;
	enum hetsched_dtype
	    dtype; /* how its elements are stored (hetsched_conf.dtype at creation) */
	starpu_data_handle_t handle;
	void *home;        /* host buffer owned by the tensor (starpu_malloc), or NULL */
	float *host32;     /* 16-bit tensors: the FP32 copy that hetsched_tensor_data() gives */
	int home_borrowed; /* home belongs to the caller (a stream's pinned batch buffer) */
	int requested;     /* every tile asked home already (hetsched__tensor_request_host) */
	int partitioned;   /* tiles are the handles in use */
	int acquired;      /* gathered on the host and held for reading */
	int written;       /* holds values (a home buffer, or every tile written by a task) */
	int64_t mpi_tag;   /* first StarPU-MPI tag of its tiles (0: not registered) */
	int gathered;      /* MPI: gathered on rank 0 since the last operation (on every rank) */
};

/* Create a tensor with a pinned host buffer of its own (tiles computed by CPU workers are
 * written in place, and to_host needs no extra copy). */
int hetsched__tensor_create_home(hetsched_tensor_t *tensor, size_t rows, size_t cols,
                                 size_t tile_rows, size_t tile_cols, enum hetsched_dtype dtype);
/* hetsched_tensor_from_host() into a tensor of \p dtype instead of the conf's (the epilogue's
 * constants stay FP32 whatever the storage). */
int hetsched__tensor_from_host_as(hetsched_tensor_t *tensor, const float *data, size_t rows,
                                  size_t cols, size_t ld, size_t tile_rows, size_t tile_cols,
                                  enum hetsched_dtype dtype);
/* A tensor over a pinned host buffer that stays the caller's (\p buf, rows x cols FP32,
 * contiguous, holding values): a stream's batch. Its dtype is F32 whatever the conf's.
 * Destroying the tensor leaves the buffer. */
int hetsched__tensor_wrap(hetsched_tensor_t *tensor, float *buf, size_t rows, size_t cols,
                          size_t tile_rows, size_t tile_cols);
/* Ask every tile home now, each to come as soon as its last writer ends (returns at once);
 * hetsched_tensor_to_host() then only waits. */
int hetsched__tensor_request_host(struct hetsched_tensor *t);
/* Keep in *where only the kinds of worker whose kernels compute \p dtype storage with
 * \p precision products (codelets.h); HETSCHED_ENODEV naming \p what when none is left. */
int hetsched__numerics_where(int32_t *where, enum hetsched_dtype dtype,
                             enum hetsched_precision precision, const char *what);
/* Split into tiles (after releasing a host view): the state every operation needs. */
int hetsched__tensor_tiles(struct hetsched_tensor *t);
/* Tile (i, j): i-th tile row, j-th tile column. Valid while partitioned. */
starpu_data_handle_t hetsched__tensor_tile(const struct hetsched_tensor *t, size_t i, size_t j);
/* Rows, columns and origin of tile (i, j). */
void hetsched__tile_extent(const struct hetsched_tensor *t, size_t i, size_t j, size_t *rows,
                           size_t *cols, size_t *row0, size_t *col0);
/* The two filters that cut a matrix handle into fixed-size tiles (columns, then rows). */
void hetsched__tile_filters(struct starpu_data_filter *by_cols, struct starpu_data_filter *by_rows,
                            const struct hetsched_tensor *t);

/* Activations (activation.c): the element-wise program of \p activation (empty for none,
 * softmax and log-softmax, which are row-wise steps). 0; HETSCHED_EINVAL for an unknown one. */
int hetsched__activation_prog(enum hetsched_activation activation, struct hetsched_ew_prog *prog);

/* Linear layers beyond hetsched.h (linear.c), for the models of model.c's chains: a program
 * instead of a named activation, with its per-column constants (prog->nvec x out_features,
 * copied; NULL when none); a bias per element, rows x out_features (copied), in place of the
 * broadcast one, for inputs of exactly \p rows rows tiled by \p tile_rows. 0 or a negative
 * code. */
int hetsched__linear_set_epilogue(hetsched_linear_t l, const struct hetsched_ew_prog *prog,
                                  const float *vecs);
int hetsched__linear_set_bias_rows(hetsched_linear_t l, const float *bias, size_t rows,
                                   size_t tile_rows);

/* Steps on their own (rowwise.c), in place on every tile of \p t: the element-wise program
 * (constants as above), or softmax / log-softmax along the rows (one task per row tile). */
int hetsched__epilogue_submit(hetsched_tensor_t t, const struct hetsched_ew_prog *prog,
                              hetsched_tensor_t vecs);
int hetsched__softmax_submit(hetsched_tensor_t t, int log_softmax);

/* Linear layers (linear.c): submit y = act(x W^T + b) into an existing tensor \p y of
 * x.rows x out_features with tiles x.tile_rows x tile_out (a stream's batch buffer). */
int hetsched__linear_forward_into(hetsched_linear_t layer, hetsched_tensor_t x,
                                  hetsched_tensor_t y);
void hetsched__linear_tiles(const struct hetsched_linear *layer, size_t *tile_out, size_t *tile_in);

/* The warm-up and speed probe of hetsched_init (probe.c): one small task per kind of worker;
 * the flop/s of one worker of each kind (0: not measured). */
void hetsched__probe_kinds(void);
double hetsched__kind_rate(enum hetsched_kind kind);

/* Placement (placement.c): which kinds of worker each task of an operation is offered, from the
 * speeds the probe measured: no task to a kind whose estimated time for it exceeds the
 * estimated time of the whole operation (\p op_flops) on the kind that would run it fastest, and
 * to a slower kind only every n-th task, so that it cannot be busy for more than half the
 * operation (before calibration dm* policies give an unmeasured kind every task they may). Off
 * when hetsched_conf.all_kinds or HETSCHED_ALL_KINDS=1. */
struct hetsched__placement {
	int32_t where;   /* the kinds any task may go to */
	double share[3]; /* per enum hetsched_kind: the fraction of tasks offered */
	double credit[3];
};
void hetsched__placement_plan(struct hetsched__placement *plan, int32_t where, double task_flops,
                              double op_flops, size_t ntasks);
/* The kinds offered to the next task of the plan. */
int32_t hetsched__placement_next(struct hetsched__placement *plan);
/* The dtype new tensors take and the precision of linear layers (state.c, set by init). */
void hetsched__set_numerics(enum hetsched_dtype dtype, enum hetsched_precision precision);
enum hetsched_dtype hetsched__dtype(void);
enum hetsched_precision hetsched__precision(void);
void hetsched__placement_set_all_kinds(int all_kinds);
/* The kinds a linear task of this footprint was allowed (a STARPU_* mask), so that the
 * calibration test does not wait for samples a kind will never get; -1 when not noted. */
void hetsched__placement_note(uint32_t footprint, int32_t where);
int32_t hetsched__placement_noted(uint32_t footprint);

/* Distribution over MPI ranks (mpi.c); one rank without StarPU-MPI. */
int hetsched__mpi_launched_size(void);
int hetsched__mpi_launched_rank(void);
int hetsched__mpi_active(void);
int hetsched__mpi_preinit(void);
int hetsched__mpi_start_is_local(void);
int hetsched__mpi_init(struct starpu_conf *sconf);
void hetsched__mpi_shutdown(void);
int hetsched__mpi_owner(const struct hetsched_tensor *t, size_t i, size_t j);
/* Register the tiles of a (just split) tensor with StarPU-MPI: 0, or HETSCHED_ESTARPU. */
int hetsched__mpi_register_tiles(struct hetsched_tensor *t);
/* Collective: every tile that rank 0 lacks travels to it from its owner. 0, HETSCHED_ENOMEM or
 * HETSCHED_ESTARPU (the same on the ranks concerned). */
int hetsched__mpi_gather(struct hetsched_tensor *t);
/* hetsched__mpi_gather_text: in tool.h. */
/* Submit a task built with starpu_task_create: with MPI, only on the owner of its written tile
 * (the task object itself is then consumed). */
int hetsched__mpi_submit(struct starpu_task *task);

/* The kinds of worker (a STARPU_CPU | STARPU_CUDA | STARPU_OPENCL mask, for starpu_task.where)
 * whose memory nodes can all hold a task of \p bytes of buffers (twice that on a device, to have
 * room to evict). Returns HETSCHED_ENOMEM naming \p what, the sizes and the largest node when
 * no worker can. */
int hetsched__task_where(size_t bytes, const char *what, int32_t *where);

/* 1 between hetsched_init() and hetsched_shutdown() (state.c, a leaf: runtime.c sets it). */
int hetsched__initialized(void);
void hetsched__set_initialized(int value);

/* Pinned host buffers of tensors (hostbuf.c): destroyed tensors leave theirs in a small cache
 * for the next tensor of the same size; flushed by hetsched_shutdown. */
float *hetsched__hostbuf_alloc(size_t bytes);
void hetsched__hostbuf_release(float *p, size_t bytes);
void hetsched__hostbuf_flush(void);

/* STARPU_HOME (home.c): refuse a home that is not a writable folder (HETSCHED_ESTARPU, named);
 * lock it around StarPU's start (at_start 1) or stop (0): the locked descriptor, or -1 when
 * there is nothing to lock; unlock with that descriptor. */
int hetsched__home_check(void);
int hetsched__home_lock(int at_start);
void hetsched__home_unlock(int fd);
/* The folder of StarPU's performance models, with a trailing slash; 0 when there is none. */
int hetsched__home_models_dir(char *path, size_t size);
/* The host name StarPU files models and bus measurements under; 0 when unknown. */
int hetsched__home_host(char *host, size_t size);

/* StarPU's model files (modelfile.c): why the file at \p path would make StarPU abort (a
 * truncated or garbage file), or NULL when StarPU can read it. hetsched__modelfiles_check moves
 * each damaged hetsched_* model of \p models (a folder, with its trailing slash) aside, renamed
 * PATH.damaged-<time>, with a notice for each, and returns how many. Called under the start
 * lock. */
const char *hetsched__modelfile_damage(const char *path);
int hetsched__modelfiles_check(const char *models);

/* Notices of hetsched_init() for the user (error.c): reset at its start, one line per call
 * (no newline in \p fmt); read by the tool through hetsched__notices() (tool.h). */
void hetsched__notice_reset(void);
void hetsched__notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* StarPU's stall watchdog (watchdog.c): before starpu_init, end the process with one line when
 * no task finishes for \p seconds while tasks are pending. The pass deadline (same file) is
 * declared in tool.h. */
void hetsched__watchdog_stall_arm(double seconds);

/* heteroprio.c: under the heteroprio policy, set \p sconf's sched_policy_init so that its bucket
 * and slow factors come from the performance models (HETSCHED_HETEROPRIO=starpu: StarPU's
 * default); the summary says what was set ("" before, or under another policy). */
void hetsched__heteroprio_hook(struct starpu_conf *sconf, const char *sched);
const char *hetsched__heteroprio_summary(void);

/* Statistics: record the task whose callback is running (worker and times from StarPU's
 * profiling of it; footprint computed at submission, while its data were registered). */
void hetsched__stats_record(enum hetsched_op op, uint32_t tile_row, uint32_t tile_col,
                            uint32_t tile_k, double flops, uint32_t footprint);

#endif
