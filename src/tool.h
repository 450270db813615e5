/* tool.h: the small private API that the hetsched tool (src/cli) may use beyond hetsched.h:
 * hetsched__ functions of the library's internal convenience library. The tool links it, users
 * do not see them (the shared library exports only hetsched_ symbols). Plain C, no StarPU
 * types. Sections per room of the library, each marked with the engineer's area ("lib: ...",
 * "io ..."). */
#ifndef HETSCHED_TOOL_H
#define HETSCHED_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include "check.h"
#include "hetsched.h"

/* ------------------------------------------------------------------------------------------ */
/* lib: errors (src/error.c) */

/* Record the detailed message of a failure (read by hetsched_last_error()) and return \p code. */
int hetsched__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the last hetsched_init() has to tell the user, one newline-terminated line each ("" when
 * nothing): a damaged performance-model file moved aside ("performance model PATH is damaged
 * (WHY): moved aside to ASIDE; ..."), fewer workers of a kind than asked for, node cores that
 * this StarPU's STARPU_MAXCPUS leaves idle. Printed by the tool even when quiet. */
const char *hetsched__notices(void);

/* ------------------------------------------------------------------------------------------ */
/* lib: the check oracle (codelets/check.h, included above): hetsched__check_rows and
 * hetsched__check_projection return 0, or HETSCHED_ENOMEM with no message recorded (the
 * codelets word nothing): the caller words it, e.g. "out of memory for the reference check". */

/* ------------------------------------------------------------------------------------------ */
/* lib: numerics (src/state.c): the dtype and precision hetsched_init() was given. */
enum hetsched_dtype hetsched__dtype(void);
enum hetsched_precision hetsched__precision(void);

/* ------------------------------------------------------------------------------------------ */
/* lib: pass deadline (src/watchdog.c), the one watchdog of the tool (bench --pass-timeout) */

/* In \p seconds (> 0, at most 1e8; fractions count), unless disarmed first: run the
 * before-fire hook if one is set, write \p message on stderr (a newline is added when it has
 * none; at most 1022 bytes are kept) and end the process with _exit(1). The message is copied
 * now: the handler only writes it. It runs on SIGALRM (setitimer ITIMER_REAL): the tool must not
 * use alarm() or SIGALRM itself. Arming again replaces the deadline.
 * Returns 0; HETSCHED_EINVAL for a bad \p seconds or a NULL message. */
int hetsched__deadline_arm(double seconds, const char *message);

/* Cancel the deadline, if armed. */
void hetsched__deadline_disarm(void);

/* \p fn runs in the signal handler right before the message is written (NULL: none), e.g. to
 * clear a progress line: it must be async-signal-safe (write(2), no stdio, no malloc). */
void hetsched__deadline_set_before_fire(void (*fn)(void));

/* ------------------------------------------------------------------------------------------ */
/* lib: mpi (src/mpi.c) */

/* Collective: rank 0 gets every rank's text (at most max bytes each; all[] has one entry per
 * rank, malloc'd, on rank 0 only; entries not received are NULL). Returns 0; HETSCHED_ENOMEM or
 * HETSCHED_ESTARPU when a buffer or a transfer fails (the launcher then ends the other ranks
 * once this one exits). */
int hetsched__mpi_gather_text(const char *mine, char **all, size_t max);

/* ------------------------------------------------------------------------------------------ */
/* lib: activations (src/activation.c) and models (src/io/model.c) as the oracle sees them */

/* The element-wise program of \p activation (codelets/epilogue.h; empty for none, softmax and
 * log-softmax). 0; HETSCHED_EINVAL for an unknown one. */
int hetsched__activation_prog(enum hetsched_activation activation, struct hetsched_ew_prog *prog);

/* The steps of a loaded model (owned by it), for the check oracle. */
const struct hetsched__step *hetsched__model_steps(const struct hetsched_model *model,
                                                   size_t *nsteps);

/* How a model runs its input: \p rows x \p in (rows 0: any number, for state_dicts), out
 * columns out; transposed 1 when a 2-D input is read transposed (ONNX Gemm's transA). */
void hetsched__model_view(const struct hetsched_model *model, size_t *rows, size_t *in, size_t *out,
                          int *transposed);

/* ------------------------------------------------------------------------------------------ */
/* io (src/io/file.c) */

/* Check, before any work is done, that \p path could be written: its folder exists and is
 * writable, and path is neither a folder nor something other than a regular file (a device,
 * a FIFO: rename() would replace them). Creates nothing.
 * Returns 0; HETSCHED_EINVAL for a NULL or empty path; HETSCHED_ENOMEM; HETSCHED_EIO
 * otherwise ("cannot write PATH: ..."). */
int hetsched__check_writable(const char *path);
/* io/npy_stream.c: rows \p ids[0..n) of a .npy file of \p cols columns, as float32, into \p dst
 * (n x cols). 0; the codes of hetsched_npy_load(); HETSCHED_ESHAPE for other columns. */
int hetsched__npy_read_rows(const char *path, const size_t *ids, size_t n, size_t cols, float *dst);

/* Write \p path whole or not at all: after hetsched__check_writable(path), \p emit writes the
 * contents to \p f, a stream on a temporary file created exclusively next to the target
 * (path.tmpXXXXXX, with the umask's permissions); the stream is flushed, the file synced, closed
 * and renamed over \p path. On any failure the temporary file is removed and a file already at
 * \p path is left as it was.
 * \p emit returns 0 on success and nonzero on failure; a failure of emit, or an error left on
 * the stream by a write, becomes HETSCHED_EIO "cannot write PATH: <strerror(errno)>".
 * Returns 0; the codes of hetsched__check_writable(); HETSCHED_ENOMEM; HETSCHED_EIO. */
int hetsched__write_atomic(const char *path, int (*emit)(FILE *f, void *ctx), void *ctx);

/* hetsched__write_atomic() of the \p len bytes at \p buf. Same returns. */
int hetsched__write_atomic_buf(const char *path, const void *buf, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* io: arrays of any dtype as files (src/io/npy.c, src/io/safetensors.c), for --save */

/* Write rows x cols elements at \p data, stored as \p data_dtype (float32, or the 16 bits of
 * bfloat16 / binary16; leading dimension \p ld elements), to a .npy file of \p file_dtype
 * ('<f4' or '<f2') whose shape is \p shape (\p ndim dimensions whose product is rows x cols,
 * contiguous: ld == cols), or (rows, cols) when ndim is 0; whole or not at all. Values are
 * copied, widened exactly or rounded to nearest even (hetsched__write_array of io/file.h).
 * Returns 0; HETSCHED_EDTYPE for file_dtype bf16, which .npy cannot hold (nothing written);
 * the codes of hetsched_npy_save(). */
int hetsched__npy_write(const char *path, const void *data, enum hetsched_dtype data_dtype,
                        size_t rows, size_t cols, size_t ld, size_t ndim, const size_t *shape,
                        enum hetsched_dtype file_dtype);

/* The same to a .safetensors file holding one tensor \p name of shape (rows, cols) and dtype
 * "F32", "BF16" or "F16" (\p file_dtype). Returns 0; the codes of
 * hetsched_safetensors_save(). */
int hetsched__safetensors_write(const char *path, const char *name, const void *data,
                                enum hetsched_dtype data_dtype, size_t rows, size_t cols, size_t ld,
                                enum hetsched_dtype file_dtype);

/* ------------------------------------------------------------------------------------------ */
/* perfmodel (src/perfmodel.c, src/modelfile.c, src/home.c) */

/* Where StarPU keeps the performance models ($STARPU_PERF_MODEL_DIR, else
 * $STARPU_HOME/.starpu/sampling, else $HOME/.starpu/sampling; with a trailing slash) and the host
 * name it files them under ($STARPU_HOSTNAME, else the host name up to its first dot): 1, or 0
 * when unknown (no home). */
int hetsched__home_models_dir(char *path, size_t size);
int hetsched__home_host(char *host, size_t size);

/* Keep StarPU's model samples however much their times vary: set STARPU_HISTORY_MAX_ERROR to
 * 100000 unless the user set it. Call before hetsched_init(). Used by bench and calibrate, whose
 * studies would otherwise lose the calibration they began with. */
void hetsched__perfmodel_keep_samples(void);

/* ------------------------------------------------------------------------------------------ */
/* simulation (src/simulate.c): a real node described for SimGrid, and a simulated node */

/* The id of the footprints this build's models key tasks by (a bundle made with another one
 * is refused). */
const char *hetsched__footprint_scheme(void);

/* The node's description (node.json) while StarPU runs: versions, footprint scheme, host name,
 * cores, GPUs, the bus StarPU measured, the GPU interconnect assumed from the GPU's name, and
 * \p overhead_us per kind of worker (NAN: not measured). *json_text is malloc'd.
 * Returns 0; HETSCHED_ESTATE before init; HETSCHED_ENOMEM. */
int hetsched__node_describe(const double overhead_us[HETSCHED_NKINDS], char **json_text);

/* After hetsched_shutdown() (StarPU writes its models then): fill folder \p dir (created) with
 * node.json (\p json_text) and this host's models and bus files from StarPU's folder.
 * Returns 0; HETSCHED_ESTATE while StarPU runs; HETSCHED_EIO naming the file. */
int hetsched__node_export(const char *dir, const char *json_text);

/* Make \p home a STARPU_HOME that simulates the node described in \p node_dir with \p ngpus
 * GPUs and \p ncpus CPU workers: its models with the node's per-task overheads added, bus files
 * and a SimGrid platform for that many GPUs. \p host receives StarPU's host name of the files
 * (STARPU_HOSTNAME to run with). Returns 0; HETSCHED_EINVAL for a bad count, a bad
 * node.json or another footprint scheme (the message says which); HETSCHED_EIO. */
int hetsched__node_simulate_home(const char *node_dir, int ngpus, int ncpus, const char *home,
                                 char *host, size_t host_size);

/* What a node's description says, in short. */
struct hetsched__node_summary {
	char host[256], gpu[128], gpu_link[64];
	int ngpus, cpu_workers;
	double h2d_mbs, d2h_mbs, gpu_link_mbs; /* gpu_link_mbs 0: GPUs reach each other via host */
	double overhead_us[HETSCHED_NKINDS];   /* NAN: not measured */
};

/* Read the description in \p node_dir. Returns 0, or the codes of
 * hetsched__node_simulate_home() for a bad node.json. */
int hetsched__node_read(const char *node_dir, struct hetsched__node_summary *s);

#endif
