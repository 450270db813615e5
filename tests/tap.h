/* tap.h: the one TAP producer of the C tests (one header, no library): every C test prints
 * its results through it, for automake's tap-driver.sh.
 *
 *   tap_plan(n);                                        early plan 1..n (optional)
 *   tap_ok(cond, "what is checked %d", arg);            ok / not ok, with a message
 *   TAP_EQ_INT(a, b, "msg"), TAP_EQ_U32_HEX(a, b, ...),  comparisons that print both sides
 *   TAP_CMP_DBL(a, <=, b, "msg"), TAP_NEAR(a, b, tol, ...) on failure, as libuv's test/task.h
 *   tap_skip("no AVX2 here");                           one test skipped
 *   tap_skip_all("no CUDA device");                     plan 1..0 # SKIP, exit TAP_SKIP_STATUS
 *   tap_bail_out("why: %s", what);                      "Bail out!", exit 1 (the rest is noise)
 *   return tap_done();                                  late plan 1..N unless tap_plan ran;
 *                                                       exit status 1 on failure
 *
 * Diagnostics go to stdout as "# ..." lines, where the TAP harness keeps them in the test's log.
 */
#ifndef HETSCHED_TAP_H
#define HETSCHED_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Exit status of a test skipped as a whole: 77, the SKIP of automake's harnesses. */
#ifndef TAP_SKIP_STATUS
#define TAP_SKIP_STATUS 77
#endif

static int tap_count;        /* tests run */
static int tap_failed;       /* tests that failed */
static int tap_planned = -1; /* the early plan, -1 when none was printed */

/* Print the plan before the tests: the harness then also notices tests that never ran. */
static void tap_plan(int n) __attribute__((unused));
static void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Report one test; returns cond so that callers can stop on failure. */
static int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* A diagnostic line. */
static void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* One skipped test. */
static void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("ok %d # SKIP ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Skip the whole test: empty plan with the reason, then exit. */
static void tap_skip_all(const char *reason) __attribute__((noreturn, unused));
static void tap_skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	fflush(stdout);
	exit(TAP_SKIP_STATUS);
}

/* Stop the whole test: the harness counts it as an error. */
static void tap_bail_out(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn, unused));
static void tap_bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* Print the plan after the tests (unless tap_plan printed it first); the exit status for main. */
static int tap_done(void) __attribute__((unused));
static int tap_done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	else if (tap_planned != tap_count)
		printf("# planned %d tests, ran %d\n", tap_planned, tap_count);
	if (tap_failed)
		printf("# %d of %d tests failed\n", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

/* Comparisons that show both values when they fail. The message is a printf format. */
#define TAP_EQ_INT(a, b, ...)                                                                      \
	do {                                                                                       \
		long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);                        \
		if (!tap_ok(tap_a_ == tap_b_, __VA_ARGS__))                                        \
			tap_diag("  %s == %s: %lld != %lld (%s:%d)", #a, #b, tap_a_, tap_b_,       \
			         __FILE__, __LINE__);                                              \
	} while (0)

#define TAP_EQ_U32_HEX(a, b, ...)                                                                  \
	do {                                                                                       \
		uint32_t tap_a_ = (uint32_t)(a), tap_b_ = (uint32_t)(b);                           \
		if (!tap_ok(tap_a_ == tap_b_, __VA_ARGS__))                                        \
			tap_diag("  %s == %s: 0x%08" PRIx32 " != 0x%08" PRIx32 " (%s:%d)", #a, #b, \
			         tap_a_, tap_b_, __FILE__, __LINE__);                              \
	} while (0)

#define TAP_CMP_DBL(a, op, b, ...)                                                                 \
	do {                                                                                       \
		double tap_a_ = (double)(a), tap_b_ = (double)(b);                                 \
		if (!tap_ok(tap_a_ op tap_b_, __VA_ARGS__))                                        \
			tap_diag("  %s %s %s: %.9g vs %.9g (%s:%d)", #a, #op, #b, tap_a_, tap_b_,  \
			         __FILE__, __LINE__);                                              \
	} while (0)

/* |a - b| <= tol */
#define TAP_NEAR(a, b, tol, ...)                                                                   \
	do {                                                                                       \
		double tap_a_ = (double)(a), tap_b_ = (double)(b), tap_t_ = (double)(tol);         \
		double tap_d_ = tap_a_ > tap_b_ ? tap_a_ - tap_b_ : tap_b_ - tap_a_;               \
		if (!tap_ok(tap_d_ <= tap_t_, __VA_ARGS__))                                        \
			tap_diag("  |%s - %s| <= %s: |%.9g - %.9g| = %.3g > %.3g (%s:%d)", #a, #b, \
			         #tol, tap_a_, tap_b_, tap_d_, tap_t_, __FILE__, __LINE__);        \
	} while (0)

#endif
