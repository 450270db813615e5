/* error.c: error codes and messages, generated from HETSCHED_ERRNO_MAP, and the per-thread
 * detailed message of the last failure. */
#include "config.h"

#include <stdio.h>

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
