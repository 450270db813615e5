/* fuzz_common.h: what the libFuzzer harnesses of fuzz/ share: the contract every failure must
 * keep (an error code, and a message of one non-empty line that names the file), and an
 * in-memory file (memfd) through which the path-taking loaders read the same bytes. */
#ifndef HETSCHED_FUZZ_COMMON_H
#define HETSCHED_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hetsched.h"

/* Stop with a message libFuzzer keeps next to the crash: a broken contract is a finding. */
#define FUZZ_REQUIRE(cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz contract broken at %s:%d: %s: ", __FILE__, __LINE__, \
			        #cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A failing call returned a HETSCHED_E* code and left one line that names \p name. */
static inline void fuzz_check_error(int rc, const char *name)
{
	const char *msg = hetsched_last_error();

	FUZZ_REQUIRE(rc < 0 && rc >= HETSCHED_ETOOBIG, "rc %d is not a HETSCHED_E* code", rc);
	FUZZ_REQUIRE(*msg != '\0', "empty message for rc %d", rc);
	FUZZ_REQUIRE(strchr(msg, '\n') == NULL, "message on several lines: %s", msg);
	FUZZ_REQUIRE(strstr(msg, name) != NULL, "message does not name %s: %s", name, msg);
}

/* Read every float, so that ASan checks the whole allocation and MSan-like bugs surface. */
static inline void fuzz_touch(const float *v, size_t n)
{
	volatile float sink = 0;

	for (size_t i = 0; i < n; i++)
		sink += v[i];
	(void)sink;
}

/* The bytes as a file, for the loaders that take a path: a memfd rewritten for each input, read
 * through /proc/self/fd/N (a regular file to fstat; nothing touches the disk). */
static inline const char *fuzz_as_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("hetsched-fuzz", MFD_CLOEXEC);
		FUZZ_REQUIRE(fd >= 0, "memfd_create failed");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_REQUIRE(ftruncate(fd, 0) == 0, "ftruncate failed");
	FUZZ_REQUIRE(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size, "pwrite failed");
	return path;
}

#endif
