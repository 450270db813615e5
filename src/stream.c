/* stream.c: a model applied to a data set batch by batch (hetsched_stream_run), and from a .npy
 * file to a .npy file (hetsched_stream_npy; the files' ends are io/npy_stream.c).
 *
 * Three things overlap, as in a careful hand-written loop (pinned buffers, non_blocking copies on
 * two CUDA streams): the calling thread reads batch i into a pinned buffer and submits its tasks;
 * StarPU computes the batches in flight, moving each batch's tiles to the devices and the
 * outputs' tiles back as soon as they are done (every output tile is asked home when submitted);
 * a writer thread waits for the oldest batch, hands its rows to the sink and frees its slot. A
 * window of slots bounds the memory: each holds a batch's input and output buffers (pinned,
 * allocated once), so memory does not grow with the input. The weights are registered once and
 * stay valid on every device that read them: only the batches cross the bus.
 *
 * Copies in and out run on a few threads (io_threads): from the page cache, one thread copies
 * 4-10 GB/s, and a GPU consumes a batch of 16384 x 8192 floats (512 MiB) in 43 ms. With CPU
 * workers alone nothing needs the copy: a source that can lend its rows in place (the mapped
 * .npy file) gives the batch's tiles its own pages, which leave the resident set once the batch
 * is written. On 2 cores the copy took the workers' time (make bench's stream_vs_inmemory 0.76
 * with it, BENCHMARKS.md). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <starpu.h>

#include "internal.h"
#include "io/file.h"
#include "io/npy_stream.h"

#define MAX_LAYERS 256
#define MAX_IO_THREADS 8

struct slot {
	float *x, *y; /* pinned: batch_rows x in, batch_rows x out (x: copies only) */
	int viewed;   /* the batch's input is read in place (source view), not copied into x */
	hetsched_tensor_t xt, yt;
	hetsched_tensor_t act[MAX_LAYERS]; /* between layers */
	size_t row0, rows;
};

struct stream {
	hetsched_linear_t *layers;
	size_t nlayers, rows, in, out, batch, tile_rows, window, io_threads;
	hetsched_stream_read_fn read;
	hetsched_stream_write_fn write;
	void *ctx;
	/* A source that can lend its rows in place (a mapped file), and whether to use it. */
	const float *(*view)(void *ctx, size_t row0, size_t rows, int *rc);
	void (*drop)(void *ctx, size_t row0, size_t rows);
	int in_place;
	struct slot *slots;
	uint64_t host_bytes;
	/* Between the calling thread and the writer. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t submitted, finished; /* batches */
	int submitting;             /* 0 once the calling thread submits no more */
	int rc;                     /* first failure, its message below */
	char msg[1024];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Record the first failure, with the message of the thread that saw it. */
static void fail(struct stream *st, int rc)
{
	pthread_mutex_lock(&st->lock);
	if (st->rc == 0) {
		st->rc = rc;
		snprintf(st->msg, sizeof(st->msg), "%s", hetsched_last_error());
	}
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

static int failed(struct stream *st)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = st->rc;
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ------------------------------------------------------------------ copies on several threads */

struct io_part {
	struct stream *st;
	int writing;
	size_t row0, rows;
	float *buf;
	int rc;
	char msg[1024];
};

static void *io_part_run(void *arg)
{
	struct io_part *p = arg;

	p->rc = p->writing ? p->st->write(p->st->ctx, p->row0, p->rows, p->buf)
	                   : p->st->read(p->st->ctx, p->row0, p->rows, p->buf);
	if (p->rc < 0)
		snprintf(p->msg, sizeof(p->msg), "%s", hetsched_last_error());
	return NULL;
}

/* Rows [row0, row0 + rows) between the sink or source and buf, cut in io_threads parts. */
static int io_rows(struct stream *st, int writing, size_t row0, size_t rows, float *buf)
{
	struct io_part parts[MAX_IO_THREADS];
	pthread_t threads[MAX_IO_THREADS];
	int started[MAX_IO_THREADS] = {0};
	size_t n = st->io_threads, width = writing ? st->out : st->in;
	int rc = 0;

	/* Parts of less than about 4 MiB are not worth a thread. */
	while (n > 1 && rows * width * sizeof(float) / n < ((size_t)4 << 20))
		n--;
	for (size_t i = 0; i < n; i++) {
		size_t a = rows * i / n, b = rows * (i + 1) / n;

		parts[i] = (struct io_part){st, writing, row0 + a, b - a, buf + a * width, 0, ""};
	}
	for (size_t i = 1; i < n; i++)
		started[i] = pthread_create(&threads[i], NULL, io_part_run, &parts[i]) == 0;
	io_part_run(&parts[0]);
	for (size_t i = 1; i < n; i++) {
		if (started[i])
			pthread_join(threads[i], NULL);
		else
			io_part_run(&parts[i]);
	}
	for (size_t i = 0; i < n && !rc; i++)
		if (parts[i].rc < 0)
			rc = hetsched__error(parts[i].rc, "%s", parts[i].msg);
	return rc;
}

/* ------------------------------------------------------------------ one batch */

static void slot_release(struct stream *st, struct slot *s)
{
	hetsched_tensor_destroy(s->yt);
	for (size_t l = 0; l + 1 < st->nlayers; l++) {
		hetsched_tensor_destroy(s->act[l]);
		s->act[l] = NULL;
	}
	hetsched_tensor_destroy(s->xt);
	s->xt = s->yt = NULL;
}

/* Read batch rows into the slot and submit its tasks. */
static int batch_submit(struct stream *st, struct slot *s, size_t row0, size_t rows)
{
	hetsched_tensor_t cur;
	size_t tile_out, tile_in;
	float *xbuf = NULL;

	s->row0 = row0;
	s->rows = rows;
	if (!s->y) {
		size_t yb = st->batch * st->out * sizeof(float);

		/* Page-aligned, so that the output file takes its rows by direct writes
		 * (io/npy_stream.c). StarPU only ever raises this alignment. */
		starpu_malloc_set_align(4096);

		/* Pinned (StarPU registers it with CUDA), so that transfers run at the bus's speed
		 * and overlap the computation. */
		if (starpu_malloc((void **)&s->y, yb) != 0)
			return hetsched__error(
			    HETSCHED_ENOMEM,
			    "cannot allocate the pinned output buffer of a batch (%.1f MiB)",
			    yb / 1048576.0);
		st->host_bytes += yb;
	}
	if (st->in_place) {
		int rc;

		xbuf = (float *)st->view(st->ctx, row0, rows, &rc);
		if (rc < 0)
			return rc;
		s->viewed = xbuf != NULL;
	}
	if (!xbuf) {
		size_t xb = st->batch * st->in * sizeof(float);

		if (!s->x) {
			if (starpu_malloc((void **)&s->x, xb) != 0)
				return hetsched__error(HETSCHED_ENOMEM,
				                       "cannot allocate the pinned input buffer of "
				                       "a batch (%.1f MiB)",
				                       xb / 1048576.0);
			st->host_bytes += xb;
		}
		HETSCHED_CALL(io_rows(st, 0, row0, rows, s->x));
		xbuf = s->x;
	}
	/* The input's tiles are as wide as the first layer's weight tiles. */
	hetsched__linear_tiles(st->layers[0], &tile_out, &tile_in);
	HETSCHED_CALL(hetsched__tensor_wrap(&s->xt, xbuf, rows, st->in, st->tile_rows, tile_in));
	cur = s->xt;
	for (size_t l = 0; l + 1 < st->nlayers; l++) {
		HETSCHED_CALL(hetsched_linear_forward(st->layers[l], cur, &s->act[l]));
		cur = s->act[l];
	}
	hetsched__linear_tiles(st->layers[st->nlayers - 1], &tile_out, &tile_in);
	HETSCHED_CALL(hetsched__tensor_wrap(&s->yt, s->y, rows, st->out, st->tile_rows, tile_out));
	HETSCHED_CALL(hetsched__linear_forward_into(st->layers[st->nlayers - 1], cur, s->yt));
	/* Every output tile comes home as soon as it is done, while later batches compute. */
	return hetsched__tensor_request_host(s->yt);
}

/* The writer: the oldest batch, once home, to the sink; its slot freed. */
static void *writer_run(void *arg)
{
	struct stream *st = arg;

	for (size_t j = 0;; j++) {
		struct slot *s = &st->slots[j % st->window];
		int rc = 0;

		pthread_mutex_lock(&st->lock);
		while (st->submitted <= j && st->submitting)
			pthread_cond_wait(&st->cond, &st->lock);
		if (st->submitted <= j) {
			pthread_mutex_unlock(&st->lock);
			break;
		}
		pthread_mutex_unlock(&st->lock);
		/* After a failure the batches in flight are still waited for, not written. */
		if (s->yt)
			rc = hetsched_tensor_to_host(s->yt);
		if (rc == 0 && !failed(st))
			rc = io_rows(st, 1, s->row0, s->rows, s->y);
		if (rc < 0)
			fail(st, rc);
		slot_release(st, s);
		/* Nothing reads the batch's rows any more: its pages leave the resident set. */
		if (s->viewed)
			st->drop(st->ctx, s->row0, s->rows);
		s->viewed = 0;
		pthread_mutex_lock(&st->lock);
		st->finished = j + 1;
		pthread_cond_broadcast(&st->cond);
		pthread_mutex_unlock(&st->lock);
	}
	return NULL;
}

/* ------------------------------------------------------------------ the loop */

void hetsched_stream_conf_init(struct hetsched_stream_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->window = 3;
}

static size_t default_io_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) / 4;

	return n < 1 ? 1 : n > MAX_IO_THREADS ? MAX_IO_THREADS : (size_t)n;
}

static int check_args(hetsched_linear_t *layers, size_t nlayers, size_t rows,
                      const struct hetsched_stream_conf *conf)
{
	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched_init must come first");
	if (!layers || !conf)
		return hetsched__error(HETSCHED_EINVAL, "stream: layers or conf is NULL");
	if (nlayers == 0 || nlayers > MAX_LAYERS)
		return hetsched__error(HETSCHED_EINVAL, "stream: nlayers must be 1..%d, got %zu",
		                       MAX_LAYERS, nlayers);
	if (rows == 0)
		return hetsched__error(HETSCHED_EINVAL, "stream: rows must be > 0, got 0");
	if (conf->batch_rows == 0)
		return hetsched__error(HETSCHED_EINVAL, "stream: batch_rows must be > 0, got 0");
	if (conf->window == 0)
		return hetsched__error(HETSCHED_EINVAL, "stream: window must be >= 1, got 0");
	for (size_t l = 0; l < nlayers; l++) {
		size_t in, out, prev;

		if (!layers[l])
			return hetsched__error(HETSCHED_EINVAL, "stream: layer %zu is NULL", l);
		hetsched_linear_shape(layers[l], &in, &out, NULL);
		if (l > 0) {
			hetsched_linear_shape(layers[l - 1], NULL, &prev, NULL);
			if (prev != in)
				return hetsched__error(
				    HETSCHED_ESHAPE,
				    "stream: layer %zu gives %zu features but layer "
				    "%zu takes %zu",
				    l - 1, prev, l, in);
		}
	}
	return 0;
}

/* Rows read in place need no pinned copy only where no device copies them: every worker a
 * CPU worker. A GPU copies pageable memory at a seventh of the pinned speed (7-8 against 55 GB/s
 * on the H200 node), so with devices the batches are copied into pinned buffers. */
static int only_cpu_workers(void)
{
	return starpu_worker_get_count_by_type(STARPU_CPU_WORKER) == (int)starpu_worker_get_count();
}

typedef const float *(*stream_view_fn)(void *ctx, size_t row0, size_t rows, int *rc);
typedef void (*stream_drop_fn)(void *ctx, size_t row0, size_t rows);

static int stream_run(hetsched_linear_t *layers, size_t nlayers, size_t rows,
                      hetsched_stream_read_fn read, hetsched_stream_write_fn write,
                      stream_view_fn view, stream_drop_fn drop, void *ctx,
                      const struct hetsched_stream_conf *conf, struct hetsched_stream_stats *stats)
{
	struct stream st;
	pthread_t writer;
	size_t nbatches, tile_out, tile_in;
	double t0 = now_s();
	int rc = 0;

	HETSCHED_CALL(check_args(layers, nlayers, rows, conf));
	if (!read || !write)
		return hetsched__error(HETSCHED_EINVAL, "stream: read or write is NULL");
	memset(&st, 0, sizeof(st));
	st.layers = layers;
	st.nlayers = nlayers;
	st.rows = rows;
	hetsched_linear_shape(layers[0], &st.in, NULL, NULL);
	hetsched_linear_shape(layers[nlayers - 1], NULL, &st.out, NULL);
	st.batch = conf->batch_rows < rows ? conf->batch_rows : rows;
	hetsched__linear_tiles(layers[0], &tile_out, &tile_in);
	st.tile_rows = conf->tile_rows ? conf->tile_rows : tile_in;
	nbatches = (rows + st.batch - 1) / st.batch;
	st.window = conf->window < nbatches ? conf->window : nbatches;
	st.io_threads = conf->io_threads ? conf->io_threads : default_io_threads();
	if (st.io_threads > MAX_IO_THREADS)
		st.io_threads = MAX_IO_THREADS;
	st.read = read;
	st.write = write;
	st.view = view;
	st.drop = drop;
	st.in_place = view && drop && only_cpu_workers();
	st.ctx = ctx;
	st.submitting = 1;
	st.slots = calloc(st.window, sizeof(*st.slots));
	if (!st.slots)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a stream");
	pthread_mutex_init(&st.lock, NULL);
	pthread_cond_init(&st.cond, NULL);
	hetsched_bus_bytes(NULL, NULL, NULL); /* reading resets the counters */
	if (pthread_create(&writer, NULL, writer_run, &st) != 0) {
		rc = hetsched__error(HETSCHED_ENOMEM, "cannot start the stream's writer thread");
		goto out;
	}

	for (size_t i = 0; i < nbatches; i++) {
		struct slot *s = &st.slots[i % st.window];
		size_t row0 = i * st.batch, n = rows - row0 < st.batch ? rows - row0 : st.batch;
		size_t done;

		/* The slot is free once the writer finished batch i - window. */
		pthread_mutex_lock(&st.lock);
		while (st.finished + st.window <= i && !st.rc)
			pthread_cond_wait(&st.cond, &st.lock);
		done = st.finished;
		pthread_mutex_unlock(&st.lock);
		if (failed(&st))
			break;
		if (conf->progress && done)
			conf->progress(conf->progress_ctx, done * st.batch, rows, now_s() - t0);
		rc = batch_submit(&st, s, row0, n);
		if (rc < 0) {
			fail(&st, rc);
			/* The writer still waits for what was submitted of this batch. */
		}
		pthread_mutex_lock(&st.lock);
		st.submitted = i + 1;
		pthread_cond_broadcast(&st.cond);
		pthread_mutex_unlock(&st.lock);
		if (rc < 0)
			break;
	}
	pthread_mutex_lock(&st.lock);
	st.submitting = 0;
	pthread_cond_broadcast(&st.cond);
	pthread_mutex_unlock(&st.lock);
	pthread_join(writer, NULL);
	rc = st.rc ? hetsched__error(st.rc, "%s", st.msg) : 0;
	if (rc == 0 && conf->progress)
		conf->progress(conf->progress_ctx, rows, rows, now_s() - t0);

out:
	if (stats) {
		memset(stats, 0, sizeof(*stats));
		stats->rows = rc == 0 ? rows : 0;
		stats->batches = nbatches;
		stats->window = st.window;
		stats->host_bytes = st.host_bytes;
		hetsched_bus_bytes(&stats->h2d_bytes, &stats->d2h_bytes, NULL);
		stats->elapsed_s = now_s() - t0;
	}
	for (size_t i = 0; i < st.window; i++) {
		if (st.slots[i].x)
			hetsched__starpu_free(st.slots[i].x, st.batch * st.in * sizeof(float));
		if (st.slots[i].y)
			hetsched__starpu_free(st.slots[i].y, st.batch * st.out * sizeof(float));
	}
	free(st.slots);
	pthread_cond_destroy(&st.cond);
	pthread_mutex_destroy(&st.lock);
	return rc;
}

int hetsched_stream_run(hetsched_linear_t *layers, size_t nlayers, size_t rows,
                        hetsched_stream_read_fn read, hetsched_stream_write_fn write, void *ctx,
                        const struct hetsched_stream_conf *conf,
                        struct hetsched_stream_stats *stats)
{
	return stream_run(layers, nlayers, rows, read, write, NULL, NULL, ctx, conf, stats);
}

/* ------------------------------------------------------------------ file to file */

struct npy_ends {
	struct hetsched__npy_reader in;
	struct hetsched__npy_writer out;
};

static int npy_read(void *ctx, size_t row0, size_t rows, float *dst)
{
	return hetsched__npy_reader_rows(&((struct npy_ends *)ctx)->in, row0, rows, dst);
}

static const float *npy_view(void *ctx, size_t row0, size_t rows, int *rc)
{
	return hetsched__npy_reader_view(&((struct npy_ends *)ctx)->in, row0, rows, rc);
}

static void npy_drop(void *ctx, size_t row0, size_t rows)
{
	hetsched__npy_reader_drop(&((struct npy_ends *)ctx)->in, row0, rows);
}

static int npy_write(void *ctx, size_t row0, size_t rows, const float *src)
{
	return hetsched__npy_writer_rows(&((struct npy_ends *)ctx)->out, row0, rows, src);
}

int hetsched_stream_npy(hetsched_linear_t *layers, size_t nlayers, const char *input,
                        const char *output, const struct hetsched_stream_conf *conf,
                        struct hetsched_stream_stats *stats)
{
	struct npy_ends ends;
	size_t in, out;
	int rc;

	if (!input || !output)
		return hetsched__error(HETSCHED_EINVAL, "stream: input or output is NULL");
	HETSCHED_CALL(check_args(layers, nlayers, 1, conf));
	hetsched_linear_shape(layers[0], &in, NULL, NULL);
	hetsched_linear_shape(layers[nlayers - 1], NULL, &out, NULL);
	HETSCHED_CALL(hetsched__npy_reader_open(&ends.in, input));
	if (ends.in.layout.cols != in) {
		rc = hetsched__error(HETSCHED_ESHAPE,
		                     "%s has %zu columns but the first layer takes %zu features",
		                     input, ends.in.layout.cols, in);
		goto fail_reader;
	}
	HETSCHED_TRY(rc, hetsched__npy_writer_open(&ends.out, output, ends.in.layout.rows, out),
	             fail_reader);
	HETSCHED_TRY(rc,
	             stream_run(layers, nlayers, ends.in.layout.rows, npy_read, npy_write, npy_view,
	                        npy_drop, &ends, conf, stats),
	             fail_writer);
	HETSCHED_TRY(rc, hetsched__npy_reader_check(&ends.in), fail_writer);
	HETSCHED_TRY(rc, hetsched__npy_writer_commit(&ends.out), fail_reader);
	hetsched__npy_reader_close(&ends.in);
	return 0;

fail_writer:
	hetsched__npy_writer_abort(&ends.out);
fail_reader:
	hetsched__npy_reader_close(&ends.in);
	return rc;
}

int hetsched_npy_shape(const char *path, size_t *rows, size_t *cols)
{
	struct hetsched__npy_layout l;
	size_t size;
	int fd, rc;

	if (!path || !rows || !cols)
		return hetsched__error(HETSCHED_EINVAL, "npy_shape: NULL argument");
	HETSCHED_CALL(hetsched__open_regular(path, &fd, &size));
	rc = hetsched__npy_layout(path, fd, size, &l);
	close(fd);
	if (rc < 0)
		return rc;
	*rows = l.rows;
	*cols = l.cols;
	return 0;
}
