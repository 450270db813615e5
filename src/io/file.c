/* file.c: the one file module: reading regular files for the format readers, and writing
 * outputs whole or not at all for the library and the tool.
 *
 * Readers refuse anything but a regular file (a FIFO would block, a device never ends) and
 * check every length against fstat() before trusting it. The writer never writes the target
 * in place: it writes an exclusively created temporary file next to it, syncs it and renames it
 * over the target, so that a reader (or a crash) sees the old file or the complete new one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "half.h"
#include "internal.h"
#include "io/file.h"
#include "tool.h"

/* ------------------------------------------------------------------------------------------ */
/* Reading */

/* O_NONBLOCK keeps a FIFO given by mistake from blocking the open; it changes nothing for
 * regular files. */
int hetsched__open_regular(const char *path, int *fd_out, size_t *size_out)
{
	struct stat sb;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		return hetsched__error(err == ENOENT || err == ENOTDIR ? HETSCHED_ENOENT
		                                                       : HETSCHED_EIO,
		                       "cannot open %s: %s", path, strerror(err));
	}
	if (fstat(fd, &sb) != 0) {
		err = errno;
		close(fd);
		return hetsched__error(HETSCHED_EIO, "cannot read %s: %s", path, strerror(err));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return hetsched__error(HETSCHED_EIO, "cannot read %s: %s", path,
		                       S_ISDIR(sb.st_mode) ? "it is a folder"
		                                           : "not a regular file");
	}
	if ((uintmax_t)sb.st_size > SIZE_MAX) {
		close(fd);
		return hetsched__error(HETSCHED_ENOMEM, "cannot read %s: too large for memory",
		                       path);
	}
	*fd_out = fd;
	*size_out = (size_t)sb.st_size;
	return 0;
}

int hetsched__pread_exact(int fd, void *buf, size_t n, size_t offset, const char *path)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = pread(fd, p, n, (off_t)offset);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return hetsched__error(HETSCHED_EIO, "cannot read %s: %s", path,
			                       strerror(errno));
		if (got == 0)
			return hetsched__error(
			    HETSCHED_EIO, "cannot read %s: file ended early (changed while read?)",
			    path);
		p += got;
		n -= (size_t)got;
		offset += (size_t)got;
	}
	return 0;
}

int hetsched__read_file(const char *path, unsigned char **buf, size_t *len)
{
	unsigned char *bytes;
	size_t size;
	int fd, rc;

	if (!path || !buf || !len)
		return hetsched__error(HETSCHED_EINVAL, "read_file: NULL argument");
	HETSCHED_CALL(hetsched__open_regular(path, &fd, &size));
	bytes = malloc(size ? size : 1);
	if (!bytes) {
		rc = hetsched__error(HETSCHED_ENOMEM, "cannot read %s: out of memory for %zu bytes",
		                     path, size);
		goto fail_close;
	}
	HETSCHED_TRY(rc, hetsched__pread_exact(fd, bytes, size, 0, path), fail_free);
	close(fd);
	*buf = bytes;
	*len = size;
	return 0;

fail_free:
	free(bytes);
fail_close:
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing */

/* The folder that will hold \p path, which does not end with '/'. */
static char *parent_folder(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int hetsched__check_writable(const char *path)
{
	struct stat sb;
	char *folder;
	int rc = 0;

	if (!path || !*path)
		return hetsched__error(HETSCHED_EINVAL, "output path is empty");
	if (path[strlen(path) - 1] == '/')
		return hetsched__error(HETSCHED_EIO, "cannot write %s: it names a folder", path);
	/* rename() would replace a device or a FIFO as readily as a file: refuse them. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", path,
		                       S_ISDIR(sb.st_mode) ? "it is a folder"
		                                           : "it exists and is not a regular file");
	folder = parent_folder(path);
	if (!folder)
		return hetsched__error(HETSCHED_ENOMEM, "cannot write %s: out of memory", path);
	if (stat(folder, &sb) != 0)
		rc = hetsched__error(HETSCHED_EIO, "cannot write %s: folder %s: %s", path, folder,
		                     strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		rc = hetsched__error(HETSCHED_EIO, "cannot write %s: %s is not a folder", path,
		                     folder);
	/* Replacing the file needs the folder's permissions, not the file's. */
	else if (access(folder, W_OK | X_OK) != 0)
		rc = hetsched__error(HETSCHED_EIO, "cannot write %s: folder %s: %s", path, folder,
		                     strerror(errno));
	free(folder);
	return rc;
}

/* Create path.tmpXXXXXX exclusively. Unlike mkstemp() (always mode 0600) this lets the umask
 * choose the permissions, as for any file a program writes, without the thread-unsafe dance of
 * reading the umask by setting it. */
int hetsched__create_temp(const char *path, char **tmp_out, int *fd_out)
{
	static atomic_ulong counter;
	size_t cap = strlen(path) + 16;
	char *tmp = malloc(cap);
	struct timespec now;
	int attempt, err = EEXIST;

	if (!tmp)
		return hetsched__error(HETSCHED_ENOMEM, "cannot write %s: out of memory", path);
	clock_gettime(CLOCK_REALTIME, &now);
	for (attempt = 0; attempt < 100; attempt++) {
		/* splitmix64 of (time, pid, counter): distinct names for concurrent writers. */
		uint64_t z = (uint64_t)now.tv_nsec ^ (uint64_t)now.tv_sec << 30 ^
		             (uint64_t)getpid() << 40 ^ atomic_fetch_add(&counter, 1);
		int fd;

		z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ z >> 27) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		snprintf(tmp, cap, "%s.tmp%06x", path, (unsigned)(z & 0xffffff));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			*tmp_out = tmp;
			*fd_out = fd;
			return 0;
		}
		err = errno;
		if (err != EEXIST)
			break;
	}
	free(tmp);
	return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", path, strerror(err));
}

int hetsched__write_atomic(const char *path, int (*emit)(FILE *f, void *ctx), void *ctx)
{
	char *tmp = NULL;
	FILE *f;
	int fd = -1, err, rc;

	if (!emit)
		return hetsched__error(HETSCHED_EINVAL, "write_atomic: NULL argument");
	HETSCHED_CALL(hetsched__check_writable(path));
	HETSCHED_CALL(hetsched__create_temp(path, &tmp, &fd));
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	if (emit(f, ctx) != 0 || ferror(f) || fflush(f) != 0) {
		err = errno ? errno : EIO;
		fclose(f);
		goto fail;
	}
	/* Synced before the rename, so that a crash leaves the old file or the new, whole. EINVAL:
	 * a file system that cannot sync (nothing to wait for). */
	if (fsync(fileno(f)) != 0 && errno != EINVAL) {
		err = errno;
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		err = errno;
		goto fail;
	}
	free(tmp);
	return 0;

fail:
	rc = hetsched__error(HETSCHED_EIO, "cannot write %s: %s", path, strerror(err));
	unlink(tmp);
	free(tmp);
	return rc;
}

struct bytes {
	const void *buf;
	size_t len;
};

static int emit_bytes(FILE *f, void *ctx)
{
	const struct bytes *b = ctx;

	return b->len && fwrite(b->buf, 1, b->len, f) != b->len ? -1 : 0;
}

int hetsched__write_atomic_buf(const char *path, const void *buf, size_t len)
{
	struct bytes b = {buf, len};

	if (!buf && len)
		return hetsched__error(HETSCHED_EINVAL, "write_atomic: NULL buffer");
	return hetsched__write_atomic(path, emit_bytes, &b);
}

/* ------------------------------------------------------------------------------------------ */
/* A header and rows of numbers */

struct array_image {
	const void *header;
	size_t header_len;
	const unsigned char *data;
	enum hetsched_dtype data_dtype, file_dtype;
	size_t rows, cols, ld;
};

/* Element \p i of \p data (stored as \p dtype) as the bits of \p to: copied when both are the
 * same, widened exactly from 16 bits, or rounded to nearest even to 16 bits (half.h). */
static uint32_t element_bits(const unsigned char *data, enum hetsched_dtype dtype, size_t i,
                             enum hetsched_dtype to)
{
	float f;

	if (dtype == HETSCHED_DTYPE_F32) {
		memcpy(&f, data + 4 * i, sizeof(f));
	} else {
		uint16_t h;

		memcpy(&h, data + 2 * i, sizeof(h));
		if (dtype == to)
			return h;
		f = dtype == HETSCHED_DTYPE_BF16 ? hetsched__f32_from_bf16(h)
		                                 : hetsched__f32_from_f16(h);
	}
	switch (to) {
	case HETSCHED_DTYPE_BF16:
		return hetsched__bf16_from_f32(f);
	case HETSCHED_DTYPE_F16:
		return hetsched__f16_from_f32(f);
	default:
		return hetsched__f32_bits(f);
	}
}

/* Little-endian bytes whatever the host, one bounded buffer at a time. */
static int emit_array(FILE *f, void *ctx)
{
	const struct array_image *o = ctx;
	/* Not hetsched_dtype_size(): the fuzzers link the format sources without precision.c. */
	size_t in_size = o->data_dtype == HETSCHED_DTYPE_F32 ? 4 : 2,
	       out_size = o->file_dtype == HETSCHED_DTYPE_F32 ? 4 : 2, used = 0;
	unsigned char buf[4096];

	if (fwrite(o->header, 1, o->header_len, f) != o->header_len)
		return -1;
	for (size_t r = 0; r < o->rows; r++) {
		const unsigned char *row = o->data + r * o->ld * in_size;

		for (size_t c = 0; c < o->cols; c++) {
			uint32_t u = element_bits(row, o->data_dtype, c, o->file_dtype);

			for (size_t b = 0; b < out_size; b++)
				buf[used++] = (unsigned char)(u >> (8 * b));
			if (used == sizeof(buf)) {
				if (fwrite(buf, 1, used, f) != used)
					return -1;
				used = 0;
			}
		}
	}
	return used && fwrite(buf, 1, used, f) != used ? -1 : 0;
}

int hetsched__check_float_rows(const char *path, size_t rows, size_t cols, size_t ld)
{
	if (rows == 0 || cols == 0)
		return hetsched__error(HETSCHED_EINVAL, "cannot write %s: empty array (%zux%zu)",
		                       path, rows, cols);
	if (ld < cols)
		return hetsched__error(HETSCHED_EINVAL,
		                       "cannot write %s: ld must be >= cols (%zu), got %zu", path,
		                       cols, ld);
	return 0;
}

int hetsched__write_array(const char *path, const void *header, size_t header_len, const void *data,
                          enum hetsched_dtype data_dtype, size_t rows, size_t cols, size_t ld,
                          enum hetsched_dtype file_dtype)
{
	struct array_image image = {header,     header_len, data, data_dtype,
	                            file_dtype, rows,       cols, ld};

	if ((unsigned)data_dtype >= HETSCHED_NDTYPES || (unsigned)file_dtype >= HETSCHED_NDTYPES)
		return hetsched__error(HETSCHED_EINVAL, "cannot write %s: unknown dtype", path);
	return hetsched__write_atomic(path, emit_array, &image);
}

int hetsched__write_floats(const char *path, const void *header, size_t header_len,
                           const float *data, size_t rows, size_t cols, size_t ld)
{
	return hetsched__write_array(path, header, header_len, data, HETSCHED_DTYPE_F32, rows, cols,
	                             ld, HETSCHED_DTYPE_F32);
}
