/* progress.c: the progress line of a study on a terminal: rewritten in place, with the runs
 * done and an ETA from the work done so far. Erased before any other message. */
#include "config.h"

#include <stdio.h>

#include "bench.h"

static void format_duration(double s, char *buf, size_t size)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

/* The progress line on a terminal: rewritten in place, ETA from the work done so far. */
void bench_progress(struct bench *b, const char *sched, size_t n, size_t tile, const char *phase)
{
	char eta[32];

	if (b->o.quiet || !b->tty)
		return;
	if (b->done_work > 0)
		format_duration((cli_now_s() - b->t_start) * (b->total_work - b->done_work) /
		                    b->done_work,
		                eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "--:--");
	if (n)
		fprintf(stderr, "\r[%zu/%zu runs] %s n=%zu tile=%zu %s  ETA %s\033[K", b->done_runs,
		        b->total_runs, sched, n, tile, phase, eta);
	else
		fprintf(stderr, "\r[%zu/%zu runs] %s %s  ETA %s\033[K", b->done_runs, b->total_runs,
		        sched, phase, eta);
	fflush(stderr);
	cli_progress_on_line = 1;
}

/* Erase the progress line, before a message or at the end. */
void bench_progress_clear(void)
{
	if (cli_progress_on_line) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		cli_progress_on_line = 0;
	}
}
