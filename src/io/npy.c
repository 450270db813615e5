/* npy.c: NumPy's .npy format for float arrays (1-D and 2-D as matrices; N-D with their shape), read
 * defensively and written atomically (through the one writer of io/file.c): the public
 * hetsched_npy_load() and hetsched_npy_save(), and the in-memory loader the fuzzer drives.
 * float16 ('<f2') is read exactly (every binary16 value is a float32) and written from float32
 * rounded to nearest even (codelets/half.h); numpy has no bfloat16, so none is written here.
 *
 * A .npy file is: the magic "\x93NUMPY", a version (major, minor), the header length (2 bytes
 * in version 1.0, 4 in 2.0 and 3.0, little-endian), the header (a Python dict literal with
 * the keys 'descr', 'fortran_order' and 'shape', padded with spaces and a newline), then the
 * raw data. The loaders are fuzzed: every length read from a file is checked against the
 * bytes really there before it is used, and nothing is allocated from a header's word alone. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "half.h"
#include "internal.h"
#include "io/file.h"
#include "io/npy.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy itself refuses headers over 10000 bytes by default; a 2-D array needs about 100. */
#define NPY_MAX_HEADER (1u << 16)
#define NPY_MAX_NDIM 64
/* float16 and float64 data are read and converted through a buffer of this many bytes. */
#define NPY_CHUNK (1u << 16)

/* What a header says about the array that follows it. */
struct npy_info {
	size_t data_offset; /* bytes before the first element */
	size_t itemsize;    /* 2 (float16), 4 (float32) or 8 (float64) */
	int big_endian;     /* descr starts with '>' */
	size_t ndim;
	size_t shape[NPY_MAX_NDIM];
	size_t rows, cols; /* the array as a matrix: a 1-D array is one row */
	size_t nbytes;     /* rows * cols * itemsize */
};

/* ------------------------------------------------------------------------------------------ */
/* Header */

/* "1000x10", or "" for a 0-D array; cut short (never overflowing) for absurd ranks. */
static void format_shape(char *buf, size_t cap, const size_t *shape, size_t ndim)
{
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < ndim && used < cap; i++) {
		int n = snprintf(buf + used, cap - used, i ? "x%zu" : "%zu", shape[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Where the header starts and how long it is, from the first \p have bytes (at least
 * min(total, 12)) of a file of \p total bytes. */
static int parse_preamble(const unsigned char *b, size_t have, size_t total, const char *name,
                          size_t *hstart, size_t *hlen)
{
	size_t magic = have < NPY_MAGIC_LEN ? have : NPY_MAGIC_LEN;

	if (memcmp(b, NPY_MAGIC, magic) != 0)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: not a .npy file (bad magic: it does not start with "
		                       "\\x93NUMPY)",
		                       name);
	if (total < 10)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: truncated: %zu bytes, shorter than a .npy preamble",
		                       name, total);
	if (b[6] == 1 && b[7] == 0) {
		*hstart = 10;
		*hlen = (size_t)b[8] | (size_t)b[9] << 8;
	} else if ((b[6] == 2 || b[6] == 3) && b[7] == 0) {
		if (total < 12)
			return hetsched__error(
			    HETSCHED_EFORMAT,
			    "%s: truncated: %zu bytes, shorter than a .npy preamble", name, total);
		*hstart = 12;
		*hlen =
		    (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
	} else {
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: unsupported .npy format version %u.%u", name, b[6],
		                       b[7]);
	}
	if (*hlen > NPY_MAX_HEADER)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: header of %zu bytes is too long (at most %u)", name,
		                       *hlen, NPY_MAX_HEADER);
	if (*hlen > total - *hstart)
		return hetsched__error(
		    HETSCHED_EFORMAT,
		    "%s: truncated: header of %zu bytes but only %zu bytes follow", name, *hlen,
		    total - *hstart);
	return 0;
}

/* A reader of the header's dict literal: only the subset numpy writes is accepted. */
struct cursor {
	const char *p, *end, *start;
	const char *name;
};

static int syntax_error(const struct cursor *c, const char *expected)
{
	return hetsched__error(HETSCHED_EFORMAT,
	                       "%s: malformed .npy header: expected %s at byte %zu of the header",
	                       c->name, expected, (size_t)(c->p - c->start));
}

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* Consume \p ch (after spaces) if it comes next. */
static int eat(struct cursor *c, char ch)
{
	skip_space(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

/* A quoted string without escapes or control characters (so that it can be quoted in a
 * one-line message), of at most cap - 1 characters. */
static int parse_string(struct cursor *c, char *out, size_t cap)
{
	size_t n = 0;
	char quote;

	skip_space(c);
	if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
		return syntax_error(c, "a quoted string");
	quote = *c->p++;
	while (c->p < c->end && *c->p != quote) {
		unsigned char ch = (unsigned char)*c->p;

		if (ch == '\\' || ch < 0x20 || ch == 0x7f || n + 1 >= cap)
			return syntax_error(c, "a short string of plain characters");
		out[n++] = *c->p++;
	}
	if (c->p >= c->end)
		return syntax_error(c, "the end of a string");
	c->p++;
	out[n] = '\0';
	return 0;
}

static int parse_bool(struct cursor *c, int *value)
{
	skip_space(c);
	if (c->end - c->p >= 4 && memcmp(c->p, "True", 4) == 0) {
		c->p += 4;
		*value = 1;
		return 0;
	}
	if (c->end - c->p >= 5 && memcmp(c->p, "False", 5) == 0) {
		c->p += 5;
		*value = 0;
		return 0;
	}
	return syntax_error(c, "True or False");
}

/* A tuple of non-negative integers: "()", "(3,)", "(3, 4)"; Python 2 wrote "(3L, 4L)". */
static int parse_shape(struct cursor *c, struct npy_info *info)
{
	info->ndim = 0;
	if (!eat(c, '('))
		return syntax_error(c, "'(' opening the shape");
	if (eat(c, ')'))
		return 0;
	for (;;) {
		size_t value = 0;
		int digits = 0;

		skip_space(c);
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
			if (value > (SIZE_MAX - 9) / 10)
				return hetsched__error(HETSCHED_EFORMAT,
				                       "%s: a dimension of the shape is too large",
				                       c->name);
			value = value * 10 + (size_t)(*c->p - '0');
			c->p++;
			digits++;
		}
		if (!digits)
			return syntax_error(c, "a dimension");
		if (c->p < c->end && *c->p == 'L')
			c->p++;
		if (info->ndim == NPY_MAX_NDIM)
			return hetsched__error(HETSCHED_EFORMAT, "%s: more than %d dimensions",
			                       c->name, NPY_MAX_NDIM);
		info->shape[info->ndim++] = value;
		if (eat(c, ')'))
			return 0;
		if (!eat(c, ','))
			return syntax_error(c, "',' or ')' in the shape");
		if (eat(c, ')'))
			return 0;
	}
}

/* Parse the header dict, then check that it describes an array we load. The checks go from
 * the most to the least fundamental, so that the message names the first real problem. */
static int parse_header(const char *h, size_t n, const char *name, struct npy_info *info,
                        size_t max_ndim)
{
	struct cursor c = {h, h + n, h, name};
	int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
	char key[32], descr[32], shape[128];

	if (!eat(&c, '{'))
		return syntax_error(&c, "'{'");
	while (!eat(&c, '}')) {
		HETSCHED_CALL(parse_string(&c, key, sizeof(key)));
		if (!eat(&c, ':'))
			return syntax_error(&c, "':'");
		if (strcmp(key, "descr") == 0 && !have_descr) {
			skip_space(&c);
			/* Structured dtypes are lists of fields; a record is not a matrix. */
			if (c.p < c.end && (*c.p == '[' || *c.p == '('))
				return hetsched__error(
				    HETSCHED_EDTYPE,
				    "%s: dtype is a structured type, not supported "
				    "(float16, float32 or float64 only)",
				    name);
			HETSCHED_CALL(parse_string(&c, descr, sizeof(descr)));
			have_descr = 1;
		} else if (strcmp(key, "fortran_order") == 0 && !have_fortran) {
			HETSCHED_CALL(parse_bool(&c, &fortran));
			have_fortran = 1;
		} else if (strcmp(key, "shape") == 0 && !have_shape) {
			HETSCHED_CALL(parse_shape(&c, info));
			have_shape = 1;
		} else {
			return hetsched__error(HETSCHED_EFORMAT,
			                       "%s: malformed .npy header: unexpected or repeated "
			                       "key '%s'",
			                       name, key);
		}
		if (eat(&c, '}'))
			break;
		if (!eat(&c, ','))
			return syntax_error(&c, "',' or '}'");
	}
	skip_space(&c);
	if (c.p != c.end)
		return syntax_error(&c, "only spaces after the closing '}'");
	if (!have_descr || !have_fortran || !have_shape)
		return hetsched__error(HETSCHED_EFORMAT, "%s: malformed .npy header: no '%s' key",
		                       name,
		                       !have_descr     ? "descr"
		                       : !have_fortran ? "fortran_order"
		                                       : "shape");

	/* Every platform numpy writes '=' or '|' on is little-endian; numpy itself always
	 * writes '<' or '>' for floats. */
	if (strlen(descr) != 3 || !strchr("<>=|", descr[0]) || descr[1] != 'f' ||
	    (descr[2] != '2' && descr[2] != '4' && descr[2] != '8'))
		return hetsched__error(
		    HETSCHED_EDTYPE,
		    "%s: dtype '%s' not supported (float16, float32 or float64 only)", name, descr);
	info->big_endian = descr[0] == '>';
	info->itemsize = (size_t)(descr[2] - '0');

	format_shape(shape, sizeof(shape), info->shape, info->ndim);
	if (info->ndim == 0 && max_ndim > 2) {
		/* A scalar, where N-D arrays are read: one value. */
		info->rows = info->cols = 1;
		info->nbytes = info->itemsize;
		return 0;
	}
	if (info->ndim == 0)
		return hetsched__error(
		    HETSCHED_ESHAPE,
		    "%s: 0-D array (a scalar); only 1-D or 2-D arrays are supported", name);
	if (info->ndim > max_ndim)
		return hetsched__error(HETSCHED_ESHAPE,
		                       "%s: %zu-D array (shape %s); only 1-D to %zu-D arrays are "
		                       "supported here",
		                       name, info->ndim, shape, max_ndim);
	/* N-D: the rows are all but the last dimension. */
	info->rows = 1;
	for (size_t d = 0; d + 1 < info->ndim; d++)
		if (__builtin_mul_overflow(info->rows, info->shape[d], &info->rows))
			return hetsched__error(HETSCHED_EFORMAT, "%s: shape %s is too large", name,
			                       shape);
	info->cols = info->shape[info->ndim - 1];
	/* A single row or column is laid out the same in both orders. */
	if (fortran && info->rows > 1 && info->cols > 1)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: fortran_order is True, not supported (save a C-order "
		                       "array: numpy.ascontiguousarray)",
		                       name);
	if (info->rows == 0 || info->cols == 0)
		return hetsched__error(HETSCHED_ESHAPE, "%s: empty array (shape %s)", name, shape);
	if (__builtin_mul_overflow(info->rows, info->cols, &info->nbytes) ||
	    __builtin_mul_overflow(info->nbytes, info->itemsize, &info->nbytes))
		return hetsched__error(HETSCHED_EFORMAT, "%s: shape %s is too large", name, shape);
	return 0;
}

/* The data must all be there; extra bytes after them are allowed, as numpy allows them (they
 * are how np.save appends several arrays to one file). */
static int check_data_size(const struct npy_info *info, size_t avail, const char *name)
{
	char shape[128];

	if (info->nbytes <= avail)
		return 0;
	format_shape(shape, sizeof(shape), info->shape, info->ndim);
	return hetsched__error(
	    HETSCHED_EFORMAT,
	    "%s: truncated: header says %s %s (%zu bytes) but only %zu data bytes", name, shape,
	    info->itemsize == 2   ? "float16"
	    : info->itemsize == 4 ? "float32"
	                          : "float64",
	    info->nbytes, avail);
}

/* ------------------------------------------------------------------------------------------ */
/* Data */

/* Bytes are assembled by hand so that neither the host's byte order nor the data's alignment
 * matters; compilers turn the little-endian case into plain loads. */
static uint16_t get_u16(const unsigned char *p, int big)
{
	return (uint16_t)(big ? p[0] << 8 | p[1] : p[1] << 8 | p[0]);
}

static uint32_t get_u32(const unsigned char *p, int big)
{
	if (big)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t get_u64(const unsigned char *p, int big)
{
	uint64_t hi = get_u32(p + (big ? 0 : 4), big), lo = get_u32(p + (big ? 4 : 0), big);

	return hi << 32 | lo;
}

/* Convert \p count elements at \p src to float32. \p dst may be \p src itself for float32:
 * each element is read before it is written. */
static void convert(const unsigned char *src, size_t count, const struct npy_info *info, float *dst)
{
	if (info->itemsize == 4 && !info->big_endian && (const void *)src != (const void *)dst) {
		/* Little-endian float32 on a little-endian host is the file's bytes themselves. */
		const uint16_t probe = 1;

		if (*(const unsigned char *)&probe == 1) {
			memcpy(dst, src, count * sizeof(float));
			return;
		}
	}
	size_t i;

	if (info->itemsize == 2) {
		/* Widened exactly: stored again in 16 bits, each value keeps its bits. */
		for (i = 0; i < count; i++)
			dst[i] = hetsched__f32_from_f16(get_u16(src + 2 * i, info->big_endian));
	} else if (info->itemsize == 4) {
		for (i = 0; i < count; i++) {
			uint32_t u = get_u32(src + 4 * i, info->big_endian);

			memcpy(&dst[i], &u, sizeof(u));
		}
	} else {
		for (i = 0; i < count; i++) {
			uint64_t u = get_u64(src + 8 * i, info->big_endian);
			double d;

			memcpy(&d, &u, sizeof(d));
			dst[i] = (float)d;
		}
	}
}

static int load_mem(const unsigned char *b, size_t len, const char *name, float **data,
                    size_t *rows, size_t *cols, size_t *ndim)
{
	struct npy_info info;
	size_t hstart, hlen;
	float *out;

	if (!name)
		name = "(memory)";
	if ((!b && len) || !data || !rows || !cols)
		return hetsched__error(HETSCHED_EINVAL, "%s: NULL argument", name);
	*data = NULL;
	if (len == 0)
		return hetsched__error(HETSCHED_EFORMAT, "%s: empty file, not a .npy file", name);
	HETSCHED_CALL(parse_preamble(b, len, len, name, &hstart, &hlen));
	HETSCHED_CALL(parse_header((const char *)b + hstart, hlen, name, &info, 2));
	info.data_offset = hstart + hlen;
	HETSCHED_CALL(check_data_size(&info, len - info.data_offset, name));
	out = malloc(info.rows * info.cols * sizeof(float));
	if (!out)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory for %zux%zu floats",
		                       name, info.rows, info.cols);
	convert(b + info.data_offset, info.rows * info.cols, &info, out);
	*data = out;
	*rows = info.rows;
	*cols = info.cols;
	if (ndim)
		*ndim = info.ndim;
	return 0;
}

int hetsched__npy_load_mem(const void *buf, size_t len, const char *name_for_messages, float **data,
                           size_t *rows, size_t *cols)
{
	return load_mem(buf, len, name_for_messages, data, rows, cols, NULL);
}

/* From a file, the header is read first and the data then go straight into the result (through
 * a bounded buffer for float16 and float64), so a large input is never held twice. Arrays of up
 * to max_ndim dimensions; their shape in shape[] when it is not NULL, their dtype in *dtype. */
static int load_file(const char *path, float **data, size_t *rows, size_t *cols, size_t *ndim,
                     size_t *shape, size_t max_ndim, enum hetsched_dtype *dtype)
{
	unsigned char pre[12], *chunk = NULL;
	struct npy_info info;
	size_t size, have, hstart, hlen, count, done;
	char *header;
	float *out = NULL;
	int fd, rc;

	if (!path || !data || !rows || !cols)
		return hetsched__error(HETSCHED_EINVAL, "npy_load: NULL argument");
	*data = NULL;
	HETSCHED_CALL(hetsched__open_regular(path, &fd, &size));
	if (size == 0) {
		rc = hetsched__error(HETSCHED_EFORMAT, "%s: empty file, not a .npy file", path);
		goto fail_close;
	}
	have = size < sizeof(pre) ? size : sizeof(pre);
	HETSCHED_TRY(rc, hetsched__pread_exact(fd, pre, have, 0, path), fail_close);
	HETSCHED_TRY(rc, parse_preamble(pre, have, size, path, &hstart, &hlen), fail_close);
	header = malloc(hlen ? hlen : 1);
	if (!header) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
		goto fail_close;
	}
	HETSCHED_TRY(rc, hetsched__pread_exact(fd, header, hlen, hstart, path), fail_header);
	HETSCHED_TRY(rc, parse_header(header, hlen, path, &info, max_ndim), fail_header);
	info.data_offset = hstart + hlen;
	HETSCHED_TRY(rc, check_data_size(&info, size - info.data_offset, path), fail_header);

	count = info.rows * info.cols;
	out = malloc(count * sizeof(float));
	if (!out) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory for %zux%zu floats", path,
		                     info.rows, info.cols);
		goto fail_header;
	}
	if (info.itemsize == sizeof(float)) {
		HETSCHED_TRY(rc,
		             hetsched__pread_exact(fd, out, info.nbytes, info.data_offset, path),
		             fail_out);
		convert((const unsigned char *)out, count, &info, out);
	} else {
		chunk = malloc(NPY_CHUNK);
		if (!chunk) {
			rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
			goto fail_out;
		}
		for (done = 0; done < count;) {
			size_t per = NPY_CHUNK / info.itemsize,
			       n = count - done < per ? count - done : per;

			HETSCHED_TRY(rc,
			             hetsched__pread_exact(fd, chunk, n * info.itemsize,
			                                   info.data_offset + done * info.itemsize,
			                                   path),
			             fail_chunk);
			convert(chunk, n, &info, out + done);
			done += n;
		}
		free(chunk);
	}
	free(header);
	close(fd);
	*data = out;
	*rows = info.rows;
	*cols = info.cols;
	if (ndim)
		*ndim = info.ndim;
	if (shape)
		memcpy(shape, info.shape, info.ndim * sizeof(size_t));
	if (dtype)
		*dtype = info.itemsize == 2 ? HETSCHED_DTYPE_F16 : HETSCHED_DTYPE_F32;
	return 0;

fail_chunk:
	free(chunk);
fail_out:
	free(out);
fail_header:
	free(header);
fail_close:
	close(fd);
	return rc;
}

int hetsched_npy_load_ndim(const char *path, float **data, size_t *rows, size_t *cols, size_t *ndim)
{
	return load_file(path, data, rows, cols, ndim, NULL, 2, NULL);
}

int hetsched__npy_load_ndim_dtype(const char *path, float **data, size_t *rows, size_t *cols,
                                  size_t *ndim, enum hetsched_dtype *dtype)
{
	return load_file(path, data, rows, cols, ndim, NULL, 2, dtype);
}

int hetsched_npy_load_shape(const char *path, float **data, size_t *ndim,
                            size_t shape[HETSCHED_NPY_MAX_NDIM])
{
	size_t rows, cols;

	if (!ndim || !shape)
		return hetsched__error(HETSCHED_EINVAL, "npy_load: NULL argument");
	return load_file(path, data, &rows, &cols, ndim, shape, HETSCHED_NPY_MAX_NDIM, NULL);
}

int hetsched_npy_load_dtype(const char *path, float **data, size_t *ndim,
                            size_t shape[HETSCHED_NPY_MAX_NDIM], enum hetsched_dtype *dtype)
{
	size_t rows, cols;

	if (!ndim || !shape || !dtype)
		return hetsched__error(HETSCHED_EINVAL, "npy_load: NULL argument");
	return load_file(path, data, &rows, &cols, ndim, shape, HETSCHED_NPY_MAX_NDIM, dtype);
}

int hetsched_npy_load(const char *path, float **data, size_t *rows, size_t *cols)
{
	return hetsched_npy_load_ndim(path, data, rows, cols, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Streaming: the header and the data's place, without reading the data */

int hetsched__npy_layout(const char *path, int fd, size_t size, struct hetsched__npy_layout *out)
{
	unsigned char pre[12];
	struct npy_info info;
	size_t have, hstart, hlen;
	char *header;
	int rc;

	if (size == 0)
		return hetsched__error(HETSCHED_EFORMAT, "%s: empty file, not a .npy file", path);
	have = size < sizeof(pre) ? size : sizeof(pre);
	HETSCHED_CALL(hetsched__pread_exact(fd, pre, have, 0, path));
	HETSCHED_CALL(parse_preamble(pre, have, size, path, &hstart, &hlen));
	header = malloc(hlen ? hlen : 1);
	if (!header)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
	HETSCHED_TRY(rc, hetsched__pread_exact(fd, header, hlen, hstart, path), out);
	HETSCHED_TRY(rc, parse_header(header, hlen, path, &info, 2), out);
	info.data_offset = hstart + hlen;
	HETSCHED_TRY(rc, check_data_size(&info, size - info.data_offset, path), out);
	out->data_offset = info.data_offset;
	out->itemsize = info.itemsize;
	out->big_endian = info.big_endian;
	out->rows = info.rows;
	out->cols = info.cols;
	out->file_size = size;
out:
	free(header);
	return rc;
}

void hetsched__npy_convert(const void *src, size_t count, const struct hetsched__npy_layout *l,
                           float *dst)
{
	struct npy_info info;

	memset(&info, 0, sizeof(info));
	info.itemsize = l->itemsize;
	info.big_endian = l->big_endian;
	convert(src, count, &info, dst);
}

size_t hetsched__npy_header(char buf[HETSCHED__NPY_HEADER_MAX], size_t rows, size_t cols)
{
	size_t dict, total;

	/* numpy's own layout: the header, padded with spaces and a newline, ends on a 64-byte
	 * boundary; two 20-digit sizes still fit in 128 bytes. */
	memcpy(buf, NPY_MAGIC "\x01\x00", 8);
	dict = (size_t)snprintf(buf + 10, HETSCHED__NPY_HEADER_MAX - 10,
	                        "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }",
	                        rows, cols);
	total = (10 + dict + 1 + 63) / 64 * 64;
	memset(buf + 10 + dict, ' ', total - 10 - dict - 1);
	buf[total - 1] = '\n';
	buf[8] = (char)((total - 10) & 0xff);
	buf[9] = (char)((total - 10) >> 8);
	return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Saving */

/* The descr numpy writes for \p dtype; NULL for bfloat16, which numpy does not have (ml_dtypes'
 * bfloat16 saves as raw void bytes that np.load cannot give back as numbers). */
static const char *descr_of(enum hetsched_dtype dtype)
{
	return dtype == HETSCHED_DTYPE_F32 ? "<f4" : dtype == HETSCHED_DTYPE_F16 ? "<f2" : NULL;
}

int hetsched__npy_write(const char *path, const void *data, enum hetsched_dtype data_dtype,
                        size_t rows, size_t cols, size_t ld, size_t ndim, const size_t *shape,
                        enum hetsched_dtype file_dtype)
{
	char header[512], dims[320];
	size_t dict, total, used = 0, two[2] = {rows, cols};
	const char *descr = descr_of(file_dtype);

	if (!path || !*path || !data || (ndim && !shape))
		return hetsched__error(HETSCHED_EINVAL, "npy_save: NULL or empty argument");
	if ((unsigned)data_dtype >= HETSCHED_NDTYPES || (unsigned)file_dtype >= HETSCHED_NDTYPES)
		return hetsched__error(HETSCHED_EINVAL, "cannot write %s: unknown dtype %d", path,
		                       (unsigned)data_dtype >= HETSCHED_NDTYPES ? (int)data_dtype
		                                                                : (int)file_dtype);
	if (!descr)
		return hetsched__error(HETSCHED_EDTYPE,
		                       "cannot write %s as bf16: .npy has no bfloat16 (numpy has "
		                       "none); write f32 or f16, or a .safetensors file",
		                       path);
	HETSCHED_CALL(hetsched__check_float_rows(path, rows, cols, ld));
	if (!ndim) {
		ndim = 2;
		shape = two;
	}
	dims[0] = '\0';
	for (size_t d = 0; d < ndim; d++)
		used += (size_t)snprintf(dims + used, sizeof(dims) - used, "%zu,%s", shape[d],
		                         d + 1 < ndim ? " " : "");
	/* numpy writes (2, 3) and (3,): the trailing comma only for one dimension. */
	if (ndim > 1)
		dims[used - 1] = '\0';
	/* numpy's own layout: the header, padded with spaces and a newline, ends on a 64-byte
	 * boundary. */
	memcpy(header, NPY_MAGIC "\x01\x00", 8);
	dict = (size_t)snprintf(header + 10, sizeof(header) - 10,
	                        "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr,
	                        dims);
	total = (10 + dict + 1 + 63) / 64 * 64;
	memset(header + 10 + dict, ' ', total - 10 - dict - 1);
	header[total - 1] = '\n';
	header[8] = (char)((total - 10) & 0xff);
	header[9] = (char)((total - 10) >> 8);

	return hetsched__write_array(path, header, total, data, data_dtype, rows, cols, ld,
	                             file_dtype);
}

int hetsched_npy_save_shape_dtype(const char *path, const float *data, size_t ndim,
                                  const size_t *shape, enum hetsched_dtype dtype)
{
	size_t rows = 1;

	if (!path || !*path || !data || !shape)
		return hetsched__error(HETSCHED_EINVAL, "npy_save: NULL or empty argument");
	if (ndim == 0 || ndim > HETSCHED_NPY_MAX_NDIM)
		return hetsched__error(HETSCHED_EINVAL, "cannot write %s: %zu dimensions (1 to %d)",
		                       path, ndim, HETSCHED_NPY_MAX_NDIM);
	for (size_t d = 0; d + 1 < ndim; d++)
		rows *= shape[d];
	if (rows == 0 || shape[ndim - 1] == 0)
		return hetsched__error(HETSCHED_EINVAL, "cannot write %s: empty array", path);
	return hetsched__npy_write(path, data, HETSCHED_DTYPE_F32, rows, shape[ndim - 1],
	                           shape[ndim - 1], ndim, shape, dtype);
}

int hetsched_npy_save_shape(const char *path, const float *data, size_t ndim, const size_t *shape)
{
	return hetsched_npy_save_shape_dtype(path, data, ndim, shape, HETSCHED_DTYPE_F32);
}

int hetsched_npy_save_dtype(const char *path, const float *data, size_t rows, size_t cols,
                            size_t ld, enum hetsched_dtype dtype)
{
	return hetsched__npy_write(path, data, HETSCHED_DTYPE_F32, rows, cols, ld, 0, NULL, dtype);
}

int hetsched_npy_save(const char *path, const float *data, size_t rows, size_t cols, size_t ld)
{
	return hetsched_npy_save_dtype(path, data, rows, cols, ld, HETSCHED_DTYPE_F32);
}
