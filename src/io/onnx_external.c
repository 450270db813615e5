/* onnx_external.c: the external data of an ONNX file's tensors (the dynamo exporter writes
 * model.onnx.data beside the model). Their locations come from the file, so they must not reach
 * outside the model's folder: the path-traversal class of CVE-2022-25882 in ONNX's own loader.
 * An absolute location or one containing ".." is refused; the resolved path, symbolic links
 * included (realpath), must lie inside the resolved folder; the offset and length must lie in
 * the data file and hold exactly the tensor's bytes, all checked before anything is allocated. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "io/file.h"
#include "io/onnx.h"

/* The integer of an external_data entry: decimal digits only, and representable. */
static int parse_size(const char *s, size_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > SIZE_MAX)
		return -1;
	*v = (size_t)x;
	return 0;
}

int hetsched__onnx_external(const struct hetsched__onnx *g, const Onnx__TensorProto *t,
                            size_t bytes, unsigned char **out)
{
	const char *location = NULL, *offset_s = NULL, *length_s = NULL, *slash;
	char dir[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX], *joined;
	size_t offset = 0, length, size, dlen;
	int fd, rc;

	for (size_t e = 0; e < t->n_external_data; e++) {
		const Onnx__StringStringEntryProto *kv = t->external_data[e];

		if (kv->key && !strcmp(kv->key, "location"))
			location = kv->value;
		else if (kv->key && !strcmp(kv->key, "offset"))
			offset_s = kv->value;
		else if (kv->key && !strcmp(kv->key, "length"))
			length_s = kv->value;
	}
	if (g->in_memory)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': external data needs a file", g->path,
		                       t->name);
	if (!location || !*location)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': external data without a "
		                       "location",
		                       g->path, t->name);
	if (location[0] == '/' || strstr(location, ".."))
		return hetsched__error(
		    HETSCHED_EFORMAT,
		    "%s: tensor '%s': external data location '%s' is absolute or "
		    "contains '..': refused (it must name a file beside the model)",
		    g->path, t->name, location);
	/* The model's folder. */
	slash = strrchr(g->path, '/');
	dlen = slash ? (size_t)(slash - g->path) : 0;
	if (dlen >= sizeof(dir))
		return hetsched__error(HETSCHED_EIO, "%s: path too long", g->path);
	if (!slash)
		strcpy(dir, ".");
	else if (dlen == 0)
		strcpy(dir, "/");
	else {
		memcpy(dir, g->path, dlen);
		dir[dlen] = '\0';
	}
	joined = malloc(strlen(dir) + strlen(location) + 2);
	if (!joined)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", g->path);
	sprintf(joined, "%s/%s", dir, location);
	if (!realpath(dir, real_dir) || !realpath(joined, real_file)) {
		rc = hetsched__error(errno == ENOENT ? HETSCHED_ENOENT : HETSCHED_EIO,
		                     "%s: tensor '%s': external data %s: %s", g->path, t->name,
		                     joined, strerror(errno));
		free(joined);
		return rc;
	}
	free(joined);
	dlen = strlen(real_dir);
	if (strncmp(real_file, real_dir, dlen) != 0 ||
	    (real_file[dlen] != '/' && strcmp(real_dir, "/") != 0))
		return hetsched__error(
		    HETSCHED_EFORMAT,
		    "%s: tensor '%s': external data location '%s' resolves to %s, "
		    "outside the model's folder: refused",
		    g->path, t->name, location, real_file);
	if (offset_s && parse_size(offset_s, &offset) < 0)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': bad external offset '%s'", g->path,
		                       t->name, offset_s);
	HETSCHED_CALL(hetsched__open_regular(real_file, &fd, &size));
	length = offset <= size ? size - offset : 0;
	if (length_s && parse_size(length_s, &length) < 0) {
		close(fd);
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': bad external length '%s'", g->path,
		                       t->name, length_s);
	}
	if (offset > size || length > size - offset || length != bytes) {
		close(fd);
		return hetsched__error(
		    HETSCHED_EFORMAT,
		    "%s: tensor '%s': external data [%zu, +%zu) of %s (%zu bytes) "
		    "does not hold its %zu bytes",
		    g->path, t->name, offset, length, location, size, bytes);
	}
	*out = malloc(bytes ? bytes : 1);
	if (!*out) {
		close(fd);
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory for tensor '%s'",
		                       g->path, t->name);
	}
	rc = hetsched__pread_exact(fd, *out, bytes, offset, real_file);
	close(fd);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}
