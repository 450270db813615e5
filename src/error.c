/* error.c: error codes and messages, generated from HETSCHED_ERRNO_MAP, and the per-thread
 * detailed message of the last failure. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[1024];

const char *hetsched_strerror(int err)
{
	switch (err) {
	case HETSCHED_OK:
		return "success";
#define HETSCHED_STRERROR_CASE_(name, value, msg)                                                  \
	case HETSCHED_##name:                                                                      \
		return msg;
		HETSCHED_ERRNO_MAP(HETSCHED_STRERROR_CASE_)
#undef HETSCHED_STRERROR_CASE_
	default:
		return "unknown error";
	}
}

const char *hetsched_last_error(void)
{
	return last_error;
}

int hetsched__error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

/* Notices: lines the library has to tell the user of hetsched_init() (a damaged model file
 * moved aside, fewer workers than asked for, cores StarPU cannot use). */
static char notices[4096];

void hetsched__notice_reset(void)
{
	notices[0] = '\0';
}

void hetsched__notice(const char *fmt, ...)
{
	size_t used = strlen(notices);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(notices + used, sizeof(notices) - used - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(notices) - used - 1)
		notices[used] = '\0'; /* no half line */
	else
		strcat(notices, "\n");
}

const char *hetsched__notices(void)
{
	return notices;
}
