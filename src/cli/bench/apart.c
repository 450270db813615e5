/* apart.c: one policy in a process of its own, for simulation builds. Under SimGrid a process
 * runs one StarPU only (a second starpu_init deadlocks: "Oops! Deadlock detected"), so each
 * policy runs in a child (fork) that starts its own StarPU, on the simulated node that this
 * process runs on but never started, and sends back what the study keeps: the workers and the
 * tiles of "auto" (known once a StarPU ran), the progress counters, the rows and the traces. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* What comes first through the pipe; the arrays follow. */
struct apart_head {
	int nworkers, nkind[HETSCHED_NKINDS];
	size_t nrtiles[MAX_LIST], rtiles[MAX_LIST][MAX_LIST];
	size_t done_runs, total_runs, done_configs, total_configs;
	double done_work, total_work;
	size_t nrows, ntraces;
};

static int put(FILE *f, const void *p, size_t n)
{
	return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

static int get(FILE *f, void *p, size_t n)
{
	return n == 0 || fread(p, 1, n, f) == n ? 0 : -1;
}

static int send_results(FILE *f, const struct bench *b, size_t rows0, size_t traces0)
{
	struct apart_head h;
	size_t n = (size_t)b->nworkers;
	int rc = 0;

	memset(&h, 0, sizeof(h));
	h.nworkers = b->nworkers;
	memcpy(h.nkind, b->nkind, sizeof(h.nkind));
	memcpy(h.nrtiles, b->nrtiles, sizeof(h.nrtiles));
	memcpy(h.rtiles, b->rtiles, sizeof(h.rtiles));
	h.done_runs = b->done_runs;
	h.total_runs = b->total_runs;
	h.done_configs = b->done_configs;
	h.total_configs = b->total_configs;
	h.done_work = b->done_work;
	h.total_work = b->total_work;
	h.nrows = b->nrows - rows0;
	h.ntraces = b->ntraces - traces0;
	rc |= put(f, &h, sizeof(h));
	rc |= put(f, b->worker_kind, n * sizeof(*b->worker_kind));
	rc |= put(f, b->worker_name, n * sizeof(*b->worker_name));
	rc |= put(f, b->worker_full_name, n * sizeof(*b->worker_full_name));
	rc |= put(f, b->rows + rows0, h.nrows * sizeof(*b->rows));
	for (size_t i = traces0; i < b->ntraces; i++) {
		rc |= put(f, &b->traces[i], sizeof(b->traces[i]));
		rc |= put(f, b->traces[i].records,
		          b->traces[i].nrecords * sizeof(*b->traces[i].records));
	}
	return rc;
}

static int receive_results(FILE *f, struct bench *b)
{
	struct apart_head h;
	size_t n;

	if (get(f, &h, sizeof(h)) < 0)
		return -1;
	n = (size_t)h.nworkers;
	if (!b->resolved) {
		b->nworkers = h.nworkers;
		memcpy(b->nkind, h.nkind, sizeof(h.nkind));
		memcpy(b->nrtiles, h.nrtiles, sizeof(h.nrtiles));
		memcpy(b->rtiles, h.rtiles, sizeof(h.rtiles));
		b->worker_kind = calloc(n + 1, sizeof(*b->worker_kind));
		b->worker_name = calloc(n + 1, sizeof(*b->worker_name));
		b->worker_full_name = calloc(n + 1, sizeof(*b->worker_full_name));
		if (!b->worker_kind || !b->worker_name || !b->worker_full_name)
			return -1;
		b->resolved = 1;
	}
	if (get(f, b->worker_kind, n * sizeof(*b->worker_kind)) < 0 ||
	    get(f, b->worker_name, n * sizeof(*b->worker_name)) < 0 ||
	    get(f, b->worker_full_name, n * sizeof(*b->worker_full_name)) < 0)
		return -1;
	b->done_runs = h.done_runs;
	b->total_runs = h.total_runs;
	b->done_configs = h.done_configs;
	b->total_configs = h.total_configs;
	b->done_work = h.done_work;
	b->total_work = h.total_work;
	for (size_t i = 0; i < h.nrows; i++) {
		struct bench_row row;

		if (get(f, &row, sizeof(row)) < 0 || bench_add_row(b, &row) < 0)
			return -1;
	}
	for (size_t i = 0; i < h.ntraces; i++) {
		struct bench_trace t;

		if (get(f, &t, sizeof(t)) < 0 ||
		    cli_reserve(&b->traces, &b->traces_cap, b->ntraces, sizeof(*b->traces)) < 0)
			return -1;
		t.records = malloc((t.nrecords ? t.nrecords : 1) * sizeof(*t.records));
		if (!t.records || get(f, t.records, t.nrecords * sizeof(*t.records)) < 0) {
			free(t.records);
			return -1;
		}
		b->traces[b->ntraces++] = t;
	}
	return 0;
}

int bench_run_policy_apart(struct bench *b, size_t sched)
{
	int fds[2], status, got;
	FILE *f;
	pid_t pid;

	if (pipe(fds) != 0) {
		cli_error("bench", "cannot create a pipe: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cli_error("bench", "cannot start a process for policy %s: %s", b->o.scheds[sched],
		          strerror(errno));
		return EXIT_RUNTIME;
	}
	if (pid == 0) {
		size_t rows0 = b->nrows, traces0 = b->ntraces;
		int rc;

		close(fds[0]);
		rc = bench_run_policy(b, sched);
		f = fdopen(fds[1], "wb");
		if (rc == EXIT_OK &&
		    (!f || send_results(f, b, rows0, traces0) < 0 || fclose(f) != 0))
			rc = EXIT_RUNTIME;
		fflush(NULL);
		_exit(rc);
	}
	close(fds[1]);
	f = fdopen(fds[0], "rb");
	/* Read everything before waiting: the child blocks on a full pipe until it is read. */
	got = f ? receive_results(f, b) : -1;
	if (f)
		fclose(f);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_RUNTIME;
	if (!WIFEXITED(status)) {
		cli_error("bench", "policy %s: its process ended on signal %d", b->o.scheds[sched],
		          WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return EXIT_RUNTIME;
	}
	if (WEXITSTATUS(status) != EXIT_OK)
		return WEXITSTATUS(status);
	if (got < 0) {
		cli_error("bench", "policy %s: its results did not come back", b->o.scheds[sched]);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
