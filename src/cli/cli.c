/* cli.c: the small helpers every command uses: error lines, the clock, medians. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"

void cli_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hetsched: %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_reserve(void *items, size_t *cap, size_t n, size_t size)
{
	void **array = items, *grown;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? 2 * *cap : 16;
	grown = realloc(*array, want * size);
	if (!grown)
		return -1;
	*array = grown;
	*cap = want;
	return 0;
}

double cli_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double cli_median_sorted(const double *sorted, size_t n)
{
	return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

double cli_sort_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cli_cmp_double);
	return cli_median_sorted(v, n);
}
