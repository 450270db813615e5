/**
 * \file hetsched.h
 * \brief hetsched: the tutorial's tensor pipeline (devices, random tensors, moves, linear
 * layers, results back on the CPU) run tile by tile on every CPU core, GPU and OpenCL device
 * of a node at once, on top of StarPU.
 *
 * Tensors are 2-D float32 matrices, row-major at this API (rows x cols, as numpy and PyTorch).
 * Each is one StarPU data handle split into tiles; tiles at the right and bottom edges are smaller
 * when the tile size does not divide the shape. Every call returns 0 or a negative HETSCHED_E*
 * code; hetsched_last_error() gives the sentence that names what went wrong.
 *
 * The pipeline:
 * \code
 *   struct hetsched_conf conf;
 *   hetsched_conf_init(&conf);                      // policy, worker counts
 *   hetsched_init(&conf);                           // torch.cuda.is_available()
 *   hetsched_tensor_create(&x, 4096, 1024, 512, 512);
 *   hetsched_tensor_rand(x, &spec);                 // torch.rand(...).to(device)
 *   hetsched_linear_create(&fc, 1024, 256, HETSCHED_ACT_NONE, 512, 512);
 *   hetsched_linear_init_default(fc, seed, 0);      // nn.Linear(1024, 256)
 *   hetsched_linear_forward(fc, x, &y);             // model(x)
 *   hetsched_tensor_to_host(y);                     // y.to("cpu")
 *   hetsched_tensor_data(y, &ptr, &ld);
 * \endcode
 */
#ifndef HETSCHED_H
#define HETSCHED_H

#include <stddef.h>
#include <stdint.h>

#include <hetsched_features.h>

#ifdef __cplusplus
extern "C" {
#endif

/** \brief Marks the library's public functions: the library is built with -fvisibility=hidden,
 * so that only these are exported from libhetsched.so (internal hetsched__ functions are not). */
#if defined(__GNUC__) || defined(__clang__)
#define HETSCHED_API __attribute__((visibility("default")))
#else
#define HETSCHED_API
#endif

/* ------------------------------------------------------------------------------------------ */
/** \name Errors */

/**
 * \brief Every error of the library: name, positive value (returned negated) and message.
 * Used to generate both the enum and hetsched_strerror().
 */
#define HETSCHED_ERRNO_MAP(X)                                                                      \
	X(EINVAL, 1, "invalid argument")                                                           \
	X(ENOMEM, 2, "out of memory")                                                              \
	X(ENOENT, 3, "no such file")                                                               \
	X(EIO, 4, "input/output error")                                                            \
	X(EFORMAT, 5, "malformed file")                                                            \
	X(EDTYPE, 6, "unsupported data type")                                                      \
	X(ESHAPE, 7, "shapes do not match")                                                        \
	X(ESTARPU, 8, "StarPU runtime failure")                                                    \
	X(ENODEV, 9, "no worker can run this")                                                     \
	X(ESTATE, 10, "call out of order (runtime not initialised, or already)")                   \
	X(EINTR, 11, "interrupted")                                                                \
	X(ECHECK, 12, "result differs from the reference")                                         \
	X(ETOOBIG, 13, "problem larger than this node's memory")

/** \brief Error codes; functions return them negated (e.g. -HETSCHED_EINVAL is never used: the
 * enum values are already negative). */
typedef enum hetsched_errno {
	HETSCHED_OK = 0,
#define HETSCHED_ERRNO_ENUM_(name, value, msg) HETSCHED_##name = -(value),
	HETSCHED_ERRNO_MAP(HETSCHED_ERRNO_ENUM_)
#undef HETSCHED_ERRNO_ENUM_
} hetsched_errno_t;

/**
 * \brief Short text of an error code.
 * \param err a value returned by a hetsched call.
 * \return a static string; "unknown error" for a value outside HETSCHED_ERRNO_MAP.
 */
HETSCHED_API const char *hetsched_strerror(int err);

/**
 * \brief The detailed message of the last failing call in this thread, naming the bad value
 * ("out_features must be > 0, got 0"); an empty string when none failed.
 */
HETSCHED_API const char *hetsched_last_error(void);

/* ------------------------------------------------------------------------------------------ */
/** \name Runtime */

/** \brief How a tensor's elements are stored and moved. 16-bit values are the FP32 value
 * rounded to nearest, ties to even. */
enum hetsched_dtype {
	HETSCHED_DTYPE_F32 = 0,  /**< IEEE binary32 ("f32", "float32") */
	HETSCHED_DTYPE_BF16 = 1, /**< bfloat16: FP32's exponent, 8 bits of significand ("bf16") */
	HETSCHED_DTYPE_F16 = 2,  /**< IEEE binary16 ("f16", "float16", "half") */
	HETSCHED_NDTYPES = 3     /**< the number of dtypes */
};

/** \brief The arithmetic of linear layers (PyTorch's torch.set_float32_matmul_precision() names
 * in brackets). Products are accumulated in FP32 in every mode. */
enum hetsched_precision {
	HETSCHED_PRECISION_FP32 = 0, /**< FP32 products ("fp32", "highest") */
	HETSCHED_PRECISION_TF32 = 1, /**< inputs rounded to TF32 by CUDA's tensor cores ("tf32",
	                              * "high"); no CPU or OpenCL form: those compute in FP32 */
	HETSCHED_PRECISION_BF16 = 2, /**< inputs rounded to bfloat16 ("bf16", "medium") */
	HETSCHED_PRECISION_FP16 = 3, /**< inputs rounded to binary16 ("fp16") */
	HETSCHED_NPRECISIONS = 4     /**< the number of precisions */
};

/** \brief The dtype's name ("f32", "bf16", "f16"). */
HETSCHED_API const char *hetsched_dtype_name(enum hetsched_dtype dtype);
/** \brief Bytes per element of \p dtype (4 or 2; 0 for an unknown one). */
HETSCHED_API size_t hetsched_dtype_size(enum hetsched_dtype dtype);
/** \brief Read a dtype's name: f32, bf16, f16, or numpy's and PyTorch's float32, bfloat16,
 * float16, half (case ignored). \return 0; HETSCHED_EINVAL naming the text and the names. */
HETSCHED_API int hetsched_dtype_parse(const char *name, enum hetsched_dtype *dtype);
/** \brief The precision's name ("fp32", "tf32", "bf16", "fp16"). */
HETSCHED_API const char *hetsched_precision_name(enum hetsched_precision precision);
/** \brief Read a precision's name: fp32, tf32, bf16, fp16, or PyTorch's highest, high, medium
 * (case ignored). \return 0; HETSCHED_EINVAL naming the text and the names. */
HETSCHED_API int hetsched_precision_parse(const char *name, enum hetsched_precision *precision);

/** \brief Configuration of hetsched_init(). Negative counts leave the choice to StarPU (and
 * its STARPU_NCPU / STARPU_NCUDA / STARPU_NOPENCL variables). */
struct hetsched_conf {
	const char *sched; /**< StarPU policy name; NULL: $STARPU_SCHED, else "dmda" */
	int ncpu;          /**< CPU workers, -1 for StarPU's default */
	int ncuda;         /**< CUDA workers, -1 for StarPU's default */
	int nopencl;       /**< OpenCL workers, -1 for StarPU's default */
	int opencl_on_cpu; /**< 1: OpenCL CPU devices (PoCL) count as accelerators */
	int quiet;         /**< 1: StarPU prints nothing (STARPU_SILENT) */
	int profiling;     /**< 1 (default): record each task's worker and time for statistics */
	/** > 0: when no task finishes for this many seconds while tasks are pending (a task that
	 * never ends, a device that stopped), print one line on stderr and end the process with
	 * exit status 1: StarPU cannot cancel a running task. Detected within 2 x watchdog_s
	 * (StarPU's watchdog, STARPU_WATCHDOG_TIMEOUT). Choose it above the longest task.
	 * 0 (default): off. */
	double watchdog_s;
	/** 0 (default): a kind of worker gets no task whose estimated time exceeds the estimated
	 * time of the whole operation on the fastest kind (speeds measured at init by one small
	 * task per kind, which also warms cuBLAS, PoCL and OpenBLAS), so that slow workers never
	 * lengthen a run, calibrated or not. 1: every kind may get every task, as the policy
	 * decides (also HETSCHED_ALL_KINDS=1), e.g. to study a policy's own choices. Always 1
	 * under heteroprio, which keeps slow kinds off the critical path with its own slow
	 * factors (StarPU aborts on a task offered fewer kinds than its bucket). */
	int all_kinds;
	/** How tensors are stored and moved (x, weights, y, activations in between); default
	 * HETSCHED_DTYPE_F32. Every tensor created after init takes it. */
	enum hetsched_dtype dtype;
	/** The arithmetic of linear layers; default HETSCHED_PRECISION_FP32. Accumulation is FP32
	 * in every mode. */
	enum hetsched_precision precision;
};

/** \brief Fill \p conf with defaults (StarPU's worker counts, dmda, profiling on). */
HETSCHED_API void hetsched_conf_init(struct hetsched_conf *conf);

/**
 * \brief Start StarPU with \p conf, hold OpenBLAS to one thread per worker, load device kernels,
 * and run one small linear and rand task on one worker of each kind: the libraries' start-up
 * (cuBLAS kernels, PoCL's compiler, OpenBLAS's buffers) is paid here, not by the first pass, and
 * each kind's speed is known before any performance model is calibrated (see all_kinds).
 * \return 0; HETSCHED_EINVAL for an unknown policy, a bad count or a negative watchdog_s;
 * HETSCHED_ESTATE if already initialised; HETSCHED_ENODEV when StarPU finds no worker;
 * HETSCHED_ESTARPU when StarPU fails.
 */
HETSCHED_API int hetsched_init(const struct hetsched_conf *conf);

/** \brief Wait for all tasks, release device kernels, stop StarPU.
 * \return 0; HETSCHED_ESTATE if not initialised. */
HETSCHED_API int hetsched_shutdown(void);

/** \brief Wait until every submitted task has run. \return 0; HETSCHED_ESTARPU. */
HETSCHED_API int hetsched_wait_all(void);

/** \brief Name of the scheduling policy in use (NULL before init). */
HETSCHED_API const char *hetsched_sched_name(void);

/**
 * \brief Names of the policies this StarPU offers, NULL-terminated, in StarPU's order.
 * Usable before init. \return a static array.
 */
HETSCHED_API const char *const *hetsched_sched_policies(void);

/** \brief Version of the StarPU library in use, as "major.minor.release". */
HETSCHED_API const char *hetsched_starpu_version(void);

/**
 * \brief Whether this library simulates (HETSCHED_HAVE_SIMGRID: built against a StarPU that runs
 * with SimGrid). Tasks then take the times of the performance models of a real node, in
 * simulated time, and codelets do not compute: tensors hold no values.
 * \return 1 in a simulation build, 0 on a real machine.
 */
HETSCHED_API int hetsched_is_simulation(void);

/**
 * \brief Seconds on the clock of the runs: a monotonic clock, or in a simulation build the
 * simulated clock (StarPU's starpu_timing_now()), so that a time measured around a pass is the
 * pass's time on the node simulated. Only differences of two readings mean something.
 */
HETSCHED_API double hetsched_time_s(void);

/* ------------------------------------------------------------------------------------------ */
/** \name Devices (the tutorial's torch.cuda.is_available()) */

/** \brief Kinds of worker. */
enum hetsched_kind {
	HETSCHED_KIND_CPU = 0,
	HETSCHED_KIND_CUDA = 1,
	HETSCHED_KIND_OPENCL = 2,
	HETSCHED_NKINDS = 3
};

/** \brief "cpu", "cuda" or "opencl". */
HETSCHED_API const char *hetsched_kind_name(enum hetsched_kind kind);

/** \brief One StarPU worker. */
struct hetsched_worker_info {
	int id;                  /**< StarPU worker id */
	char name[128];          /**< StarPU's name of the worker ("CPU 0", "OpenCL 0 (...)") */
	enum hetsched_kind kind; /**< its kind */
	int memory_node;         /**< memory node its data lives on */
	int devid;               /**< device number within its kind */
};

/** \brief Number of workers (0 before init). */
HETSCHED_API int hetsched_worker_count(void);

/** \brief Number of workers of \p kind. */
HETSCHED_API int hetsched_worker_count_kind(enum hetsched_kind kind);

/** \brief Describe worker \p id. \return 0; HETSCHED_EINVAL for an id out of range. */
HETSCHED_API int hetsched_worker_get_info(int id, struct hetsched_worker_info *info);

/** \brief One memory node. */
struct hetsched_memnode_info {
	int id;                  /**< StarPU memory node */
	enum hetsched_kind kind; /**< CPU for main memory (RAM) */
	char name[128];          /**< StarPU's name for it */
	int64_t size_bytes;      /**< memory StarPU may use there, -1 if unknown */
};

/** \brief Number of memory nodes (0 before init). */
HETSCHED_API int hetsched_memory_node_count(void);

/** \brief Describe memory node \p id. \return 0; HETSCHED_EINVAL for an id out of range. */
HETSCHED_API int hetsched_memory_node_get_info(int id, struct hetsched_memnode_info *info);

/** \brief Bandwidth (MB/s) and latency (us) StarPU measured from node \p src to \p dst;
 * 0 for a node to itself. \return 0; HETSCHED_EINVAL for a bad node. */
HETSCHED_API int hetsched_bus_get(int src, int dst, double *bandwidth_mbs, double *latency_us);

/** \brief The node's hardware, from hwloc. */
struct hetsched_topology {
	int packages;          /**< processor packages (sockets) */
	int numa_nodes;        /**< NUMA nodes */
	int cores;             /**< physical cores */
	int pus;               /**< processing units (hardware threads) */
	uint64_t memory_bytes; /**< main memory */
	char cpu_model[128];   /**< the first package's CPUModel, or "" */
};

/** \brief Read the topology (usable before init). \return 0; HETSCHED_ENODEV when hwloc fails. */
HETSCHED_API int hetsched_topology_get(struct hetsched_topology *topology);

/** \brief The OpenBLAS core in use (e.g. "Haswell"), or "unknown". */
HETSCHED_API const char *hetsched_blas_corename(void);

/** \brief The widest vector instruction set of this CPU, from cpuid: "avx512", "avx2", "avx",
 * "sse3", or "unknown" on other architectures. */
HETSCHED_API const char *hetsched_cpu_isa(void);

/** \brief The best OpenBLAS core this CPU can run ("SkylakeX", "Haswell", "Sandybridge"), or NULL
 * when there is nothing better to ask for than OpenBLAS's own choice. */
HETSCHED_API const char *hetsched_blas_best_core(void);

/** \brief 1 when OpenBLAS runs kernels older than the CPU allows (e.g. "Prescott" on an AVX-512
 * CPU: several times slower), 0 otherwise. */
HETSCHED_API int hetsched_blas_core_is_poorer(void);

/* ------------------------------------------------------------------------------------------ */
/** \name Several nodes (StarPU-MPI) */

/** \brief This process's MPI rank: 0 without MPI or with one rank. Under mpirun or srun with more
 * than one rank (and StarPU-MPI built in), hetsched_init() starts StarPU-MPI; tiles are then
 * distributed 2-D block-cyclic over the ranks, tasks run where the tile they write lives, and
 * hetsched_tensor_to_host() gathers on rank 0 only. hetsched_init() calls MPI_Init_thread
 * (MPI_THREAD_SERIALIZED) unless the application has initialised MPI already, and
 * hetsched_shutdown() then calls MPI_Finalize; MPI cannot start twice in one process, so such a
 * program starts hetsched once. */
HETSCHED_API int hetsched_rank(void);

/** \brief Number of MPI ranks (1 without MPI). */
HETSCHED_API int hetsched_nranks(void);

/** \brief What one rank did since the last hetsched_stats_reset(). */
struct hetsched_rank_info {
	int rank;                                /**< MPI rank */
	char host[64];                           /**< its host name */
	uint64_t tasks_by_kind[HETSCHED_NKINDS]; /**< tasks run, per kind of worker */
	double busy_s;                           /**< sum of the durations of its tasks */
	uint64_t bytes_sent;                     /**< bytes StarPU-MPI sent to other ranks */
	uint64_t bytes_received;                 /**< bytes other ranks sent to it */
};

/**
 * \brief Collect every rank's figures on rank 0 (collective: every rank calls it, after
 * hetsched_wait_all()). \p info has hetsched_nranks() entries, filled on rank 0 only.
 * \return 0; HETSCHED_ENOMEM or HETSCHED_ESTARPU when a buffer or a transfer between ranks
 * fails.
 */
HETSCHED_API int hetsched_ranks_gather(struct hetsched_rank_info *info);

/* ------------------------------------------------------------------------------------------ */
/** \name Tensors */

/** \brief A 2-D float32 tensor split into tiles, living wherever StarPU put its tiles. */
typedef struct hetsched_tensor *hetsched_tensor_t;
/** \brief A tensor used only as input. */
typedef const struct hetsched_tensor *hetsched_const_tensor_t;

/**
 * \brief Create a rows x cols tensor with tiles of tile_rows x tile_cols and no home buffer: each
 * tile is allocated on the memory node of the first worker that writes it.
 * \return 0; HETSCHED_EINVAL for a zero size or tile; HETSCHED_ESTATE before init;
 * HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_tensor_create(hetsched_tensor_t *tensor, size_t rows, size_t cols,
                                        size_t tile_rows, size_t tile_cols);

/**
 * \brief Create a tensor from a host array, copied in (row-major, leading dimension \p ld >= cols),
 * stored in hetsched_conf.dtype: with 16-bit storage each value is rounded to nearest even.
 * \return as hetsched_tensor_create(); HETSCHED_EINVAL for ld < cols.
 */
HETSCHED_API int hetsched_tensor_from_host(hetsched_tensor_t *tensor, const float *data,
                                           size_t rows, size_t cols, size_t ld, size_t tile_rows,
                                           size_t tile_cols);

/** \brief How \p tensor's elements are stored: hetsched_conf.dtype when it was created (the
 * epilogue constants of a model stay HETSCHED_DTYPE_F32). Whatever it is, the API reads and
 * writes FP32 arrays: hetsched_tensor_from_host() rounds to it (nearest even),
 * hetsched_tensor_data() gives the stored values widened to FP32. */
HETSCHED_API enum hetsched_dtype hetsched_tensor_dtype(hetsched_const_tensor_t tensor);

/** \brief Wait for the tasks that use \p tensor and release it (NULL is accepted). */
HETSCHED_API void hetsched_tensor_destroy(hetsched_tensor_t tensor);

/** \brief Shape and tiling of \p tensor (any pointer may be NULL). */
HETSCHED_API void hetsched_tensor_shape(hetsched_const_tensor_t tensor, size_t *rows, size_t *cols,
                                        size_t *tile_rows, size_t *tile_cols);

/** \brief Distributions of hetsched_tensor_rand(). */
enum hetsched_dist {
	HETSCHED_DIST_UNIFORM = 0, /**< uniform in [a, b) */
	HETSCHED_DIST_NORMAL = 1   /**< normal, mean a, standard deviation b */
};

/**
 * \brief What hetsched_tensor_rand() draws. Element (r, c) is a function of (seed, stream, r, c)
 * alone (Philox4x32-10), so the values do not depend on tiling, device or policy; uniform values
 * are bit-identical on CPU, CUDA and OpenCL.
 */
struct hetsched_rand_spec {
	enum hetsched_dist dist; /**< distribution */
	float a;                 /**< low bound (uniform) or mean (normal) */
	float b;                 /**< high bound (uniform) or standard deviation (normal) */
	uint64_t seed;           /**< Philox key */
	uint32_t stream;         /**< independent stream for the same seed (e.g. one per tensor) */
};

/**
 * \brief Fill \p tensor with random values, one task per tile, on whichever worker the policy
 * picks (no host copy is made). \return 0; HETSCHED_EINVAL for b <= a (uniform) or b < 0
 * (normal); HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_tensor_rand(hetsched_tensor_t tensor,
                                      const struct hetsched_rand_spec *spec);

/**
 * \brief Prefetch every tile of \p tensor to \p memory_node (the tutorial's .to(device)); returns
 * at once. \return 0; HETSCHED_EINVAL for a bad node.
 */
HETSCHED_API int hetsched_tensor_to_device(hetsched_tensor_t tensor, int memory_node);

/**
 * \brief Bring every tile of \p tensor to main memory and drop its copies on devices, so that
 * the next task that reads it on a device transfers it again: a cold start, as when the data
 * were just loaded from a file (bench --scenario cold). Waits for the tasks writing it.
 * \return 0; HETSCHED_EINVAL for NULL; HETSCHED_ESTATE for a tensor that holds no values;
 * HETSCHED_ESTARPU. With several MPI ranks it does nothing.
 */
HETSCHED_API int hetsched_tensor_evict(hetsched_tensor_t tensor);

/**
 * \brief Gather \p tensor into one row-major host array (the tutorial's .to("cpu")), waiting for
 * the tasks that write it. Read it with hetsched_tensor_data(). With several MPI ranks every rank
 * calls it and the tensor is gathered on rank 0 only. \return 0; HETSCHED_ESTATE for a tensor
 * that holds no values; HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_tensor_to_host(hetsched_tensor_t tensor);

/**
 * \brief The host array gathered by hetsched_tensor_to_host(), valid until the tensor is used by
 * another operation or destroyed. Always FP32: a 16-bit tensor (hetsched_tensor_dtype()) is
 * gathered in its dtype and widened (exactly) into an FP32 copy made at the first call, whose
 * \p ld is cols. \return 0; HETSCHED_ESTATE when not gathered; HETSCHED_ENOMEM for the FP32
 * copy of a 16-bit tensor.
 */
HETSCHED_API int hetsched_tensor_data(hetsched_const_tensor_t tensor, const float **data,
                                      size_t *ld);

/* ------------------------------------------------------------------------------------------ */
/** \name Linear layers (nn.Linear): y = x W^T + b, then the activation */

/**
 * \brief Activations applied after a layer, with PyTorch's default parameters. Element-wise ones
 * run fused into the layer's last k tile; softmax and log-softmax (along each row, PyTorch's
 * dim=-1) run as one task per row tile after the layer.
 */
enum hetsched_activation {
	HETSCHED_ACT_NONE = 0,         /**< identity ("none") */
	HETSCHED_ACT_RELU = 1,         /**< max(0, y) ("relu", nn.ReLU) */
	HETSCHED_ACT_LEAKY_RELU = 2,   /**< y < 0 ? 0.01 y : y ("leaky_relu", nn.LeakyReLU) */
	HETSCHED_ACT_ELU = 3,          /**< y < 0 ? e^y - 1 : y ("elu", nn.ELU) */
	HETSCHED_ACT_SELU = 4,         /**< 1.0507 (y < 0 ? 1.67326 (e^y - 1) : y) ("selu") */
	HETSCHED_ACT_TANH = 5,         /**< tanh y ("tanh", nn.Tanh) */
	HETSCHED_ACT_SIGMOID = 6,      /**< 1 / (1 + e^-y) ("sigmoid", nn.Sigmoid) */
	HETSCHED_ACT_HARD_SIGMOID = 7, /**< max(0, min(1, y / 6 + 1/2)) ("hardsigmoid") */
	HETSCHED_ACT_GELU = 8,         /**< y/2 (1 + erf(y / sqrt 2)) ("gelu", nn.GELU()) */
	HETSCHED_ACT_GELU_TANH = 9,    /**< nn.GELU(approximate="tanh") ("gelu_tanh") */
	HETSCHED_ACT_SILU = 10,        /**< y sigmoid(y) ("silu", nn.SiLU) */
	HETSCHED_ACT_SOFTMAX = 11,     /**< softmax along the row ("softmax", nn.Softmax(-1)) */
	HETSCHED_ACT_LOG_SOFTMAX = 12, /**< log-softmax along the row ("log_softmax") */
	HETSCHED_NACTIVATIONS = 13     /**< the number of activations */
};

/** \brief The activation's name as hetsched_activation_parse() reads it ("relu", "gelu_tanh"). */
HETSCHED_API const char *hetsched_activation_name(enum hetsched_activation activation);

/**
 * \brief Read an activation's name: those of enum hetsched_activation, case and underscores
 * ignored, so that PyTorch's module names are accepted too ("LeakyReLU", "GELU", "Identity").
 * \return 0; HETSCHED_EINVAL naming the text and listing the names.
 */
HETSCHED_API int hetsched_activation_parse(const char *name, enum hetsched_activation *activation);

/** \brief A linear layer: weight out_features x in_features, bias out_features. */
typedef struct hetsched_linear *hetsched_linear_t;

/**
 * \brief Create a layer whose weight is tiled tile_out x tile_in. The input of
 * hetsched_linear_forward() must have tile_cols == tile_in.
 * \return 0; HETSCHED_EINVAL for a zero size or tile; HETSCHED_ESTATE before init; HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_linear_create(hetsched_linear_t *layer, size_t in_features,
                                        size_t out_features, enum hetsched_activation activation,
                                        size_t tile_out, size_t tile_in);

/**
 * \brief PyTorch's default initialisation: weight and bias uniform in +-1/sqrt(in_features),
 * drawn with the counter RNG from (seed, stream 2*index+1 and 2*index+2).
 * \return 0; HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_linear_init_default(hetsched_linear_t layer, uint64_t seed,
                                              uint32_t index);

/**
 * \brief Load weight (out x in, row-major, contiguous) and bias (out, NULL for zeros) from host
 * arrays, copied in. \return 0; HETSCHED_EINVAL for a NULL weight.
 */
HETSCHED_API int hetsched_linear_load(hetsched_linear_t layer, const float *weight,
                                      const float *bias);

/** \brief in_features, out_features, activation (any pointer may be NULL). */
HETSCHED_API void hetsched_linear_shape(const struct hetsched_linear *layer, size_t *in_features,
                                        size_t *out_features, enum hetsched_activation *activation);

/** \brief The layer's weight and bias tensors (owned by the layer). */
HETSCHED_API hetsched_tensor_t hetsched_linear_weight(hetsched_linear_t layer);
/** \copydoc hetsched_linear_weight */
HETSCHED_API hetsched_tensor_t hetsched_linear_bias(hetsched_linear_t layer);

/**
 * \brief Submit y = act(x W^T + b): one task per (row tile, column tile, k tile), the k tiles of
 * an output tile in a fixed order. Creates *y (x.rows x out_features, tiles x.tile_rows x
 * tile_out). Returns once submitted; hetsched_tensor_to_host(*y) waits.
 * \return 0; HETSCHED_ESHAPE when x.cols != in_features or x.tile_cols != tile_in;
 * HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_linear_forward(hetsched_linear_t layer, hetsched_tensor_t x,
                                         hetsched_tensor_t *y);

/** \brief Wait for the layer's tasks and free it (NULL is accepted). */
HETSCHED_API void hetsched_linear_destroy(hetsched_linear_t layer);

/* ------------------------------------------------------------------------------------------ */
/** \name Files: .npy arrays, tensors and models (numpy.save, torch.save's state_dict) */

/**
 * \brief Load a NumPy .npy file (versions 1.0, 2.0 and 3.0) holding a 2-D array, or a 1-D one
 * read as a single row, into a host array. No runtime needed: usable before hetsched_init().
 * float16, float32 or float64, C order (fortran_order True only for a single row or column);
 * byte order '<', '>', or '=' and '|' (taken as little-endian). Values are converted to float32:
 * float16 exactly (stored again as f16, every value keeps its bits; hetsched_npy_load_dtype()
 * tells which the file held), float64 rounded to nearest.
 * \param path the file.
 * \param data set to a malloc'd row-major array of *rows x *cols floats (contiguous) that the
 * caller frees with free(); set to NULL on failure.
 * \param rows set to the rows (1 for a 1-D array).
 * \param cols set to the columns.
 * \return 0; HETSCHED_EINVAL for a NULL argument; HETSCHED_ENOENT when the file does not exist;
 * HETSCHED_EIO when it cannot be read or is not a regular file; HETSCHED_EFORMAT for a corrupt
 * or truncated file or fortran_order True; HETSCHED_EDTYPE for another dtype; HETSCHED_ESHAPE
 * for 0-D, 3-D or more, or an empty array; HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_npy_load(const char *path, float **data, size_t *rows, size_t *cols);

/**
 * \brief As hetsched_npy_load(), also giving the number of dimensions in the file, so that a
 * caller can tell a vector from a one-row matrix.
 * \param ndim set to 1 or 2 (may be NULL).
 * \return as hetsched_npy_load().
 */
HETSCHED_API int hetsched_npy_load_ndim(const char *path, float **data, size_t *rows, size_t *cols,
                                        size_t *ndim);

/** \brief The most dimensions hetsched_npy_load_shape() and hetsched_npy_save_shape() take. */
#define HETSCHED_NPY_MAX_NDIM 8

/**
 * \brief As hetsched_npy_load(), for arrays of 1 to HETSCHED_NPY_MAX_NDIM dimensions (ONNX
 * models' inputs), giving their shape: *data holds the product of the shape's floats, C order.
 * \param ndim set to the number of dimensions.
 * \param shape set to the ndim dimensions.
 * \return as hetsched_npy_load(), HETSCHED_ESHAPE for more dimensions.
 */
HETSCHED_API int hetsched_npy_load_shape(const char *path, float **data, size_t *ndim,
                                         size_t shape[HETSCHED_NPY_MAX_NDIM]);

/**
 * \brief As hetsched_npy_load_shape(), also giving the dtype the file stores its values in.
 * \param dtype set to HETSCHED_DTYPE_F16 for float16 ('<f2', '>f2'), HETSCHED_DTYPE_F32 for
 * float32 and float64 (numpy has no bfloat16).
 * \return as hetsched_npy_load_shape(); HETSCHED_EINVAL for a NULL \p ndim, \p shape or
 * \p dtype.
 */
HETSCHED_API int hetsched_npy_load_dtype(const char *path, float **data, size_t *ndim,
                                         size_t shape[HETSCHED_NPY_MAX_NDIM],
                                         enum hetsched_dtype *dtype);

/**
 * \brief As hetsched_npy_save(), for a contiguous array of \p ndim (1 to HETSCHED_NPY_MAX_NDIM)
 * dimensions \p shape. \return as hetsched_npy_save().
 */
HETSCHED_API int hetsched_npy_save_shape(const char *path, const float *data, size_t ndim,
                                         const size_t *shape);

/**
 * \brief Save a host array as a .npy file (version 1.0, '<f4', C order, shape (rows, cols)), as
 * numpy.save writes it. No runtime needed. The file is written whole or not at all: the data go
 * to a temporary file in the same folder (path.tmpXXXXXX, with the umask's permissions) that is
 * synced and renamed over \p path, so a failure leaves neither a partial nor a temporary file,
 * and a file already at \p path intact.
 * \param path the file to write (its folder must exist).
 * \param data rows x cols float32 values, row-major.
 * \param rows rows (> 0).
 * \param cols columns (> 0).
 * \param ld leading dimension of \p data, >= cols.
 * \return 0; HETSCHED_EINVAL for a NULL or empty argument, a zero size, or ld < cols;
 * HETSCHED_EIO when the file cannot be written (missing or read-only folder, a folder or device
 * at \p path, a full disk); HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_npy_save(const char *path, const float *data, size_t rows, size_t cols,
                                   size_t ld);

/**
 * \brief As hetsched_npy_save(), storing the values as \p dtype: HETSCHED_DTYPE_F32 ('<f4'), or
 * HETSCHED_DTYPE_F16 ('<f2', each value rounded to nearest even, as numpy's astype(float16)
 * rounds; values beyond 65504 become infinities). numpy has no bfloat16: HETSCHED_DTYPE_BF16 is
 * refused before anything is written (write f32, or a .safetensors file).
 * \return as hetsched_npy_save(); HETSCHED_EDTYPE for HETSCHED_DTYPE_BF16; HETSCHED_EINVAL for
 * an unknown dtype.
 */
HETSCHED_API int hetsched_npy_save_dtype(const char *path, const float *data, size_t rows,
                                         size_t cols, size_t ld, enum hetsched_dtype dtype);

/**
 * \brief hetsched_npy_save_shape() storing the values as \p dtype, as hetsched_npy_save_dtype().
 * \return as hetsched_npy_save_dtype().
 */
HETSCHED_API int hetsched_npy_save_shape_dtype(const char *path, const float *data, size_t ndim,
                                               const size_t *shape, enum hetsched_dtype dtype);

/**
 * \brief Save a host array as a .safetensors file holding one F32 tensor of shape (rows, cols)
 * named \p name, as safetensors.torch.save_file writes it (an 8-byte little-endian header
 * length, a JSON header padded with spaces to a multiple of 8 bytes, with "__metadata__":
 * {"format": "pt"}, then the values, little-endian, C order), so that
 * safetensors.torch.load_file(path)[name] gives the array. No runtime needed. Written whole or
 * not at all, as by hetsched_npy_save().
 * \param path the file to write (its folder must exist).
 * \param name the tensor's name (not empty, not "__metadata__").
 * \param data rows x cols float32 values, row-major.
 * \param rows rows (> 0).
 * \param cols columns (> 0).
 * \param ld leading dimension of \p data, >= cols.
 * \return 0; HETSCHED_EINVAL for a NULL or empty argument, a zero size, ld < cols or a reserved
 * name; HETSCHED_EIO when the file cannot be written; HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_safetensors_save(const char *path, const char *name, const float *data,
                                           size_t rows, size_t cols, size_t ld);

/**
 * \brief As hetsched_safetensors_save(), the tensor stored as \p dtype: "F32", "BF16" or "F16"
 * (16-bit values rounded to nearest even from the float32 ones, as torch's .to(torch.bfloat16)
 * and .half() round).
 * \return as hetsched_safetensors_save(); HETSCHED_EINVAL for an unknown dtype.
 */
HETSCHED_API int hetsched_safetensors_save_dtype(const char *path, const char *name,
                                                 const float *data, size_t rows, size_t cols,
                                                 size_t ld, enum hetsched_dtype dtype);

/**
 * \brief Create a tensor from a .npy file (the tutorial's torch.from_numpy(np.load(path))): the
 * file is read as by hetsched_npy_load() (a 1-D array is one row), then copied in as by
 * hetsched_tensor_from_host().
 * \param tensor set to the new tensor (NULL on failure).
 * \param path the file.
 * \param tile_rows rows of a tile (> 0).
 * \param tile_cols columns of a tile (> 0).
 * \return 0; the codes of hetsched_npy_load(); HETSCHED_EINVAL for a zero tile;
 * HETSCHED_ESTATE before hetsched_init(); HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_tensor_load(hetsched_tensor_t *tensor, const char *path, size_t tile_rows,
                                      size_t tile_cols);

/**
 * \brief Save a tensor as a .npy file (rows x cols, float32): gathers it on the host first, as
 * hetsched_tensor_to_host(), then writes as hetsched_npy_save(). With several MPI ranks every
 * rank calls it; rank 0 writes the file, the others return 0 after the gather.
 * \param tensor the tensor (it must hold values).
 * \param path the file to write.
 * \return 0; HETSCHED_EINVAL for a NULL argument; HETSCHED_ESTATE for a tensor that holds no
 * values; HETSCHED_ESTARPU; the codes of hetsched_npy_save().
 */
HETSCHED_API int hetsched_tensor_save(hetsched_tensor_t tensor, const char *path);

/**
 * \brief As hetsched_tensor_save(), the file storing the values as \p dtype (as
 * hetsched_npy_save_dtype(): f32 or f16; bf16 is refused before the gather).
 * \return as hetsched_tensor_save(); HETSCHED_EDTYPE for HETSCHED_DTYPE_BF16 or an unknown dtype.
 */
HETSCHED_API int hetsched_tensor_save_dtype(hetsched_tensor_t tensor, const char *path,
                                            enum hetsched_dtype dtype);

/**
 * \brief A model loaded from a file: a chain of steps from the input to the output (linear
 * layers, each with its element-wise activations fused; softmax and log-softmax steps; element-
 * wise steps where no layer comes before), all acting on rows of the input.
 */
typedef struct hetsched_model *hetsched_model_t;

/** \brief The most dimensions of a model's input or output (hetsched_model_shape()). */
#define HETSCHED_MODEL_MAX_NDIM 8

/** \brief How to read a model (hetsched_model_load_options()); zero means the default. */
struct hetsched_model_options {
	/** State_dicts: the activation after each layer, "tanh,gelu,none,softmax" (one per gap
	 * between layers, then an optional final one; one name alone serves every gap), as
	 * hetsched_activation_parse() reads them. NULL: the file's metadata "activations", else
	 * none where the layers' indices leave no room for a module, else the load is refused. */
	const char *activations;
	/** State_dicts of named modules ("fc1.weight"): their names in the order they run,
	 * "fc1,fc2,head". NULL: layers "<i>.weight" in numeric order of i. */
	const char *layers;
	/** ONNX: the shape of the input that will run (input_ndim dimensions). 0: the shape the
	 * model declares, its symbolic dimensions taken as \p batch. */
	size_t input_ndim;
	const size_t *input_shape;
	/** ONNX: the value of symbolic input dimensions when input_ndim is 0 (0: 1). */
	size_t batch;
	/** ONNX: graph inputs other than the first, as .npy files: input_names[i] from
	 * input_paths[i] (ninputs of each), e.g. a Gemm's B and C fed at run time. */
	size_t ninputs;
	const char *const *input_names;
	const char *const *input_paths;
};

/**
 * \brief Load a model into host memory. No runtime needed. \p path is either
 *  - an ONNX file (torch.onnx.export; name ending in .onnx, or a file that starts like one),
 *    weights inline or in external data files beside it. Its graph must be a chain from the
 *    first input to one output of the operators listed in the README ("Bring your model");
 *    anything else is refused, naming the node, its operator and the supported list;
 *  - a .safetensors file as safetensors.torch.save_file(model.state_dict()) writes it: layers
 *    from the tensors "<i>.weight" and "<i>.bias", in numeric order of i (a prefix shared by
 *    every tensor is accepted, as is a lone nn.Linear's "weight" and "bias"), or named modules
 *    in the order options->layers gives. Every tensor must be a layer's weight or bias. The
 *    activations come from options->activations or the metadata (see there);
 *  - or a folder of "<i>.weight.npy" and "<i>.bias.npy" files (same rules; other files are
 *    ignored).
 * Weights convert to float32 from F32, F64, F16, BF16 (.safetensors), float32, float64 (.npy),
 * float, double, float16 (ONNX). Each weight must be 2-D (out_features x in_features) and
 * non-empty, each bias 1-D of out_features, and each layer's in_features must equal the
 * previous layer's out_features.
 * \param model set to the loaded model (NULL on failure); free it with hetsched_model_destroy().
 * \param path the file or folder.
 * \param options how to read it (NULL: defaults).
 * \return 0; HETSCHED_EINVAL for a NULL or empty argument, a bad option, activations that the
 * file leaves unsaid, or an unsupported ONNX graph; HETSCHED_ENOENT when \p path does not exist;
 * HETSCHED_EIO when it cannot be read; HETSCHED_EFORMAT for a corrupt file, no layers, a tensor
 * that is not a layer's weight or bias (naming the module kind: LayerNorm, Conv, Embedding...),
 * ambiguous or duplicate names, a bias without weight, a lone .npy file, a torch.save file, or
 * an external-data location outside the model's folder; HETSCHED_EDTYPE naming the tensor and
 * its dtype; HETSCHED_ESHAPE naming the tensors and both sizes; HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_model_load_options(hetsched_model_t *model, const char *path,
                                             const struct hetsched_model_options *options);

/** \brief hetsched_model_load_options() with the default options. */
HETSCHED_API int hetsched_model_load(hetsched_model_t *model, const char *path);

/** \brief Number of linear layers of \p model (0 for NULL). */
HETSCHED_API size_t hetsched_model_nlayers(const struct hetsched_model *model);

/**
 * \brief The dtype the model's file stores its weights in: HETSCHED_DTYPE_BF16 or
 * HETSCHED_DTYPE_F16 when every linear layer's weight is stored so (safetensors "BF16" / "F16",
 * ONNX initializers of data type BFLOAT16 / FLOAT16, '<f2' .npy files), else HETSCHED_DTYPE_F32
 * (float32 or float64 weights, a mix of dtypes, no linear layer, a NULL model). Biases do not
 * count. The weights themselves are float32 (hetsched_model_layer()): 16-bit values widen
 * exactly, so tensors stored in that dtype (hetsched_conf::dtype) get the file's bits back; a
 * weight that loading scaled (ONNX Gemm's alpha, a folded BatchNormalization) is rounded again.
 * `hetsched run` stores its tensors in this dtype when no --dtype is given.
 */
HETSCHED_API enum hetsched_dtype hetsched_model_dtype(const struct hetsched_model *model);

/**
 * \brief Describe layer \p l of \p model (any out-pointer may be NULL).
 * \param model the model.
 * \param l the layer, 0 for the first (the one that reads the input).
 * \param in_features set to its inputs.
 * \param out_features set to its outputs.
 * \param weight set to its out_features x in_features weights, row-major, contiguous (owned by
 * the model).
 * \param bias set to its out_features biases, or NULL when the layer has none (owned by the
 * model).
 * \return 0; HETSCHED_EINVAL for a NULL model or \p l >= hetsched_model_nlayers().
 */
HETSCHED_API int hetsched_model_layer(const struct hetsched_model *model, size_t l,
                                      size_t *in_features, size_t *out_features,
                                      const float **weight, const float **bias);

/**
 * \brief The shape of the model's input (\p output 0) or output (1): ndim dimensions in shape[].
 * ONNX models run one input shape (hetsched_model_options::input_shape); other models take any
 * rows, given as shape[0] = 0 of a 2-D shape. \return 0; HETSCHED_EINVAL for a NULL argument.
 */
HETSCHED_API int hetsched_model_shape(const struct hetsched_model *model, int output, size_t *ndim,
                                      size_t shape[HETSCHED_MODEL_MAX_NDIM]);

/** \brief One line naming the model's steps ("linear 784->128 relu, linear 128->10 softmax"). */
HETSCHED_API const char *hetsched_model_summary(const struct hetsched_model *model);

/** \brief A model placed on the runtime: its layers and constants as tensors. */
typedef struct hetsched_net *hetsched_net_t;

/**
 * \brief Place \p model on the runtime with square tiles of \p tile. Needs the runtime.
 * \return 0; HETSCHED_EINVAL for a NULL argument or a zero tile; HETSCHED_ESTATE before
 * hetsched_init(); HETSCHED_ENOMEM; HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_net_create(hetsched_net_t *net, const struct hetsched_model *model,
                                     size_t tile);

/**
 * \brief Submit y = model(x): x is rows x the first step's in_features, tiled tile x tile (for
 * ONNX models: the rows and width of hetsched_model_shape()'s input, read as the chain runs
 * it). Creates *y (rows x the last step's out_features); the steps in between are freed by the
 * next call or by hetsched_net_destroy(). \return 0; HETSCHED_ESHAPE for an input of the wrong
 * shape or tiles; HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_net_forward(hetsched_net_t net, hetsched_tensor_t x,
                                      hetsched_tensor_t *y);

/** \brief The tensors of the linear layers of \p net, in order (owned by the net). */
HETSCHED_API size_t hetsched_net_nlayers(const struct hetsched_net *net);
/** \copydoc hetsched_net_nlayers */
HETSCHED_API hetsched_linear_t hetsched_net_layer(hetsched_net_t net, size_t l);

/** \brief Wait for the net's tasks and free it (NULL is accepted). */
HETSCHED_API void hetsched_net_destroy(hetsched_net_t net);

/**
 * \brief Create one linear layer per layer of \p model, loaded with its weights and biases (zeros
 * where it has none): model(x) is then hetsched_linear_forward() through layers[0], layers[1],
 * ... in turn. Needs the runtime.
 * \param model the model.
 * Only for models whose every step is a linear layer (with its activation, softmax included):
 * other models run through hetsched_net_create().
 * \param between HETSCHED_ACT_NONE: each layer takes the model's own activation (other values
 * are refused: the model carries its activations).
 * \param tile_rows rows of a weight tile (each layer's tile_out, > 0).
 * \param tile_cols columns of a weight tile (each layer's tile_in, > 0): the input of layer 0
 * must have tiles tile_cols wide. Layer l + 1 reads layer l's outputs, which are tile_rows wide,
 * so a model of several layers needs tile_rows == tile_cols.
 * \param layers hetsched_model_nlayers() entries, set to the new layers (all NULL on failure);
 * free each with hetsched_linear_destroy().
 * \return 0; HETSCHED_EINVAL for a NULL argument, a zero tile, tile_rows != tile_cols with
 * several layers, or an unknown activation; HETSCHED_ESTATE before hetsched_init();
 * HETSCHED_ENOMEM; HETSCHED_ESTARPU.
 */
HETSCHED_API int hetsched_model_create_layers(const struct hetsched_model *model,
                                              enum hetsched_activation between, size_t tile_rows,
                                              size_t tile_cols, hetsched_linear_t *layers);

/** \brief Free \p model and its weights (NULL is accepted). */
HETSCHED_API void hetsched_model_destroy(hetsched_model_t model);

/* ------------------------------------------------------------------------------------------ */
/** \name Streaming: a model applied to a data set that does not fit in memory
 *
 * The batch jobs' loop: the input's rows go through the layers batch by batch, a bounded window
 * of batches in flight, the weights staying on every device that uses them (only the batches
 * cross the bus). Batch i+1 is read into a pinned host buffer while batch i computes and batch
 * i-1 is written, and devices take batches side by side. Memory: the weights, and per batch of
 * the window its input rows, its output rows and the activations between layers.
 * \code
 *   struct hetsched_stream_conf sc;
 *   struct hetsched_stream_stats st;
 *   hetsched_stream_conf_init(&sc);
 *   sc.batch_rows = 16384;
 *   hetsched_stream_npy(layers, nlayers, "x.npy", "y.npy", &sc, &st);   // file to file
 *   hetsched_stream_run(layers, nlayers, rows, read_rows, write_rows, ctx, &sc, &st); // any
 * \endcode
 */

/** \brief Copy rows [row0, row0 + rows) of the input, as float32, into \p dst (rows x in_features,
 * contiguous, pinned). Called from several threads at once for disjoint rows.
 * \return 0, or a negative HETSCHED_E* code (set its message with the error's sentence). */
typedef int (*hetsched_stream_read_fn)(void *ctx, size_t row0, size_t rows, float *dst);
/** \brief Take rows [row0, row0 + rows) of the output from \p src (rows x out_features,
 * contiguous). Called from several threads at once for disjoint rows; batches may complete in
 * any order. \return 0, or a negative HETSCHED_E* code. */
typedef int (*hetsched_stream_write_fn)(void *ctx, size_t row0, size_t rows, const float *src);

/** \brief How a stream runs. */
struct hetsched_stream_conf {
	size_t batch_rows; /**< rows per batch (> 0); the last batch may be shorter */
	size_t tile_rows;  /**< rows of a tile within a batch; 0: the first layer's tile_in */
	size_t window;     /**< batches in flight at most (>= 1); default 3: read, compute, write */
	size_t
	    io_threads; /**< threads that copy a batch in or out; 0: a quarter of the cores, 1..8 */
	/** Called in the calling thread after each batch is written (NULL: none). */
	void (*progress)(void *ctx, size_t rows_done, size_t rows_total, double elapsed_s);
	void *progress_ctx; /**< passed to progress */
};

/** \brief Fill \p conf with defaults (batch_rows 0: must be set). */
HETSCHED_API void hetsched_stream_conf_init(struct hetsched_stream_conf *conf);

/** \brief What a stream did. */
struct hetsched_stream_stats {
	size_t rows;         /**< rows streamed */
	size_t batches;      /**< batches */
	size_t window;       /**< batches in flight at most */
	double elapsed_s;    /**< first read to last write, window buffers' allocation included */
	uint64_t h2d_bytes;  /**< bytes moved from main memory to devices during the stream */
	uint64_t d2h_bytes;  /**< bytes moved from devices to main memory */
	uint64_t host_bytes; /**< pinned host memory of the window's buffers */
};

/**
 * \brief Stream \p rows rows through \p layers (layer l + 1 reads layer l's output), reading
 * batches with \p read and handing the outputs to \p write. Tasks of every batch follow the
 * rules of hetsched_linear_forward(); a batch whose rows are a multiple of the tile gives
 * bit-for-bit the rows hetsched_linear_forward() gives on the whole input with the same tiles
 * and workers. Resets the bus counters of hetsched_bus_bytes().
 * \return 0; HETSCHED_EINVAL for a NULL argument, no layer, zero rows or batch_rows, or a
 * window of 0; HETSCHED_ESHAPE when the layers do not chain; HETSCHED_ESTATE before init;
 * HETSCHED_ENOMEM; HETSCHED_ESTARPU; or the first code \p read or \p write returned (the
 * stream stops at once, after the batches in flight).
 */
HETSCHED_API int hetsched_stream_run(hetsched_linear_t *layers, size_t nlayers, size_t rows,
                                     hetsched_stream_read_fn read, hetsched_stream_write_fn write,
                                     void *ctx, const struct hetsched_stream_conf *conf,
                                     struct hetsched_stream_stats *stats);

/**
 * \brief hetsched_stream_run() from a .npy file to a .npy file. \p input (float32 or float64,
 * C order; a 1-D array is one row) is mapped read-only, so it may be larger than memory; its
 * size and modification time are checked before each batch and at the end, and a file
 * truncated or rewritten meanwhile fails the stream (HETSCHED_EIO, naming the file) instead of
 * being half-read. \p output is created pre-sized under a temporary name beside it
 * (output.tmpXXXXXX), each batch written in place as it completes, then synced and renamed over
 * \p output at the end; on any failure it is removed and a file already at \p output is left
 * as it was. A process ended by a signal meanwhile should call hetsched_stream_remove_partial()
 * from its handler. When every worker is a CPU worker and the input holds little-endian float32,
 * batches are read in place from the mapping (no pinned copy). Outputs of 64 MiB and more are
 * written by direct writes where the file system takes them, their header then padded to 4096
 * bytes (a valid .npy).
 * \return as hetsched_stream_run(); the codes of hetsched_npy_load() for the input;
 * HETSCHED_ESHAPE when its columns are not the first layer's in_features; HETSCHED_EIO when the
 * output cannot be written or the input changed.
 */
HETSCHED_API int hetsched_stream_npy(hetsched_linear_t *layers, size_t nlayers, const char *input,
                                     const char *output, const struct hetsched_stream_conf *conf,
                                     struct hetsched_stream_stats *stats);

/**
 * \brief Shape of a .npy file's array from its header alone (the data are not read): what
 * hetsched_npy_load() would give. No runtime needed.
 * \return 0; the codes of hetsched_npy_load() (a file shorter than its header says is
 * HETSCHED_EFORMAT).
 */
HETSCHED_API int hetsched_npy_shape(const char *path, size_t *rows, size_t *cols);

/**
 * \brief Remove the temporary output file of the hetsched_stream_npy() in progress, if any:
 * async-signal-safe, for a SIGINT or SIGTERM handler that then ends the process.
 */
HETSCHED_API void hetsched_stream_remove_partial(void);

/* ------------------------------------------------------------------------------------------ */
/** \name Statistics: what ran where */

/** \brief Operations, as named in statistics and traces. */
enum hetsched_op {
	HETSCHED_OP_RAND = 0,     /**< rand tiles */
	HETSCHED_OP_LINEAR = 1,   /**< linear layers, their fused epilogue included */
	HETSCHED_OP_EPILOGUE = 2, /**< element-wise programs on their own */
	HETSCHED_OP_SOFTMAX = 3,  /**< softmax and log-softmax row tiles */
	HETSCHED_NOPS = 4
};

/** \brief "rand", "linear", "epilogue" or "softmax". */
HETSCHED_API const char *hetsched_op_name(enum hetsched_op op);

/** \brief One executed task, from StarPU's per-task profiling. */
struct hetsched_task_record {
	enum hetsched_op op; /**< operation */
	int worker;          /**< worker that ran it */
	double start_s;      /**< start, seconds since hetsched_stats_reset() */
	double end_s;        /**< end, same clock */
	uint32_t tile_row;   /**< output tile row */
	uint32_t tile_col;   /**< output tile column */
	uint32_t tile_k;     /**< k tile (linear), 0 otherwise */
	double flops;        /**< floating-point operations of the task */
	uint32_t footprint;  /**< key of the task's shape in StarPU's performance model */
};

/** \brief Forget recorded tasks and restart the statistics clock. */
HETSCHED_API void hetsched_stats_reset(void);

/**
 * \brief Tasks recorded since the last reset. Records are written by task callbacks, which may
 * still run after hetsched_tensor_to_host() returns: call hetsched_wait_all() first.
 * \return the number of records; *records points to an array valid until the next reset.
 */
HETSCHED_API size_t hetsched_stats_records(const struct hetsched_task_record **records);

/** \brief Sums over recorded tasks: of one worker, or of one kind of worker. */
struct hetsched_totals {
	size_t tasks;  /**< tasks run */
	double busy_s; /**< sum of their durations (end_s - start_s), seconds */
	double flops;  /**< sum of their floating-point operations (rand counts its elements) */
};

/**
 * \brief Add up the records of hetsched_stats_records() per worker and per kind of worker.
 * Call it when no task is running (after hetsched_wait_all()). Records of a worker id outside
 * this run's workers are left out of both sums.
 * \param by_worker nworkers entries, entry i for worker i (workers from nworkers on are summed
 * in by_kind only); NULL when nworkers is 0.
 * \param nworkers number of entries of by_worker, usually hetsched_worker_count().
 * \param by_kind HETSCHED_NKINDS entries indexed by enum hetsched_kind, or NULL.
 * \return 0; HETSCHED_EINVAL when nworkers < 0, or by_worker is NULL and nworkers > 0.
 */
HETSCHED_API int hetsched_stats_totals(struct hetsched_totals *by_worker, int nworkers,
                                       struct hetsched_totals by_kind[HETSCHED_NKINDS]);

/** \name Performance models and bus counters */

/**
 * \brief Whether StarPU's history-based models are calibrated for the tasks recorded since the
 * last hetsched_stats_reset(): for each class of task among the records (operation and
 * footprint, the model's key) and each architecture of the workers (workers of one architecture
 * counted once), StarPU's own answer, the test the dm* policies apply: a history holding fewer
 * than STARPU_CALIBRATE_MINIMUM (10) samples for that footprint on that architecture is not
 * calibrated. Call hetsched_wait_all() first, so that every task is recorded.
 * \param nclasses if not NULL, receives the number of task classes among the records
 * \param npairs if not NULL, receives the number of (class, architecture) pairs not calibrated
 * yet; 0 means calibrated
 * \return 0; HETSCHED_ESTATE if not initialised; HETSCHED_ENOMEM.
 */
HETSCHED_API int hetsched_perfmodel_uncalibrated(size_t *nclasses, size_t *npairs);

/**
 * \brief Bytes moved between memory nodes since the previous call (or since hetsched_init()):
 * reading resets the counters. All zero with a single memory node (no bus).
 * \param h2d if not NULL, receives the bytes moved from main memory to devices
 * \param d2h if not NULL, receives the bytes moved from devices to main memory
 * \param total if not NULL, receives the bytes moved over every bus (device to device included)
 * \return 0; HETSCHED_ESTATE if not initialised.
 */
HETSCHED_API int hetsched_bus_bytes(uint64_t *h2d, uint64_t *d2h, uint64_t *total);

/**
 * \brief Whether a policy schedules from the performance models (dm*, *heft*), and so needs
 * them calibrated to schedule well. Usable before init.
 * \param policy a policy name, as hetsched_sched_policies() lists them
 * \return 1 if it does; 0 if not, or for NULL.
 */
HETSCHED_API int hetsched_sched_uses_models(const char *policy);

#ifdef __cplusplus
}
#endif
#endif /* HETSCHED_H */
