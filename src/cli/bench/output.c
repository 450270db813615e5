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
#include "tool.h"

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

/* Write a file whole or not at all, through the library's one atomic writer. */
int bench_write_atomic(const char *path, int (*emit)(FILE *f, void *bench), const struct bench *b)
{
	if (hetsched__write_atomic(path, emit, (void *)b) == 0)
		return 0;
	cli_error("bench", "%s", hetsched_last_error());
	return -1;
}
