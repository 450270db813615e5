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

/* 1 between hetsched_init() and hetsched_shutdown(). */
int hetsched__initialized(void);

/* Statistics: called from task callbacks with StarPU's profiling of the finished task. */
void hetsched__stats_record(enum hetsched_op op, int worker, double start_us, double end_us,
			    uint32_t tile_row, uint32_t tile_col, uint32_t tile_k, double flops);
/* The callback set on every task that hetsched submits (cl_arg starts with the op's args). */
void hetsched__task_done(void *arg);

#endif
