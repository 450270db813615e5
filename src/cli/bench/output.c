/* output.c: where bench's outputs go. Folders are checked before StarPU starts (nothing is
 * created then) and created only when the outputs are written; every file is written whole
 * through a temporary name and a rename, so that a failed or interrupted study leaves none
 * half-written. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* A folder we may create or write into: an existing writable folder, or a new name in an
 * existing writable folder. Nothing is created here. */
int bench_check_folder(const char *option, const char *path)
{
	struct stat sb;
	char *parent, *slash;
	int rc = 0;

	if (!*path) {
		cli_error("bench", "--%s is empty", option);
		return -1;
	}
	if (stat(path, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			cli_error("bench", "--%s %s: exists and is not a folder", option, path);
			return -1;
		}
		if (access(path, W_OK | X_OK) != 0) {
			cli_error("bench", "--%s %s: cannot write there: %s", option, path,
			          strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		cli_error("bench", "--%s %s: %s", option, path, strerror(errno));
		return -1;
	}
	parent = strdup(path);
	if (!parent)
		return -1;
	while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
		parent[strlen(parent) - 1] = '\0';
	slash = strrchr(parent, '/');
	if (!slash)
		strcpy(parent, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		cli_error("bench", "--%s %s: folder %s does not exist", option, path, parent);
		rc = -1;
	} else if (access(parent, W_OK | X_OK) != 0) {
		cli_error("bench", "--%s %s: cannot create it in %s: %s", option, path, parent,
		          strerror(errno));
		rc = -1;
	}
	free(parent);
	return rc;
}

int bench_make_folder(const char *path)
{
	if (mkdir(path, 0777) == 0 || errno == EEXIST)
		return 0;
	cli_error("bench", "cannot create folder %s: %s", path, strerror(errno));
	return -1;
}

/* Write a file through a temporary name in the same folder, then rename: a reader sees the old
 * file or the complete new one. \p emit returns 0 or -1. */
int bench_write_atomic(const char *path, int (*emit)(const struct bench *, FILE *),
                        const struct bench *b)
{
	char tmp[4096];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		cli_error("bench", "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	rc = emit(b, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		cli_error("bench", "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	return rc;
}
