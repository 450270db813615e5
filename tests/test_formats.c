/* test_formats.c: the file formats, and the public calls that load and save them. Checks that
 *  - .npy files round-trip bit for bit (odd shapes, ld > cols, special values), are laid out
 *    as numpy lays them out, and that a failed save leaves neither a partial nor a temporary file;
 *  - x.npy, model.safetensors (plain, prefixed, without biases, a lone nn.Linear) and the
 *    model_npy/ folder written by make_model.py give the same float32 values, bit for bit, and a
 *    float64 forward pass through the loaded layers matches numpy's (y_ref.npy);
 *  - F32, F64, F16 and BF16 tensors convert to the float32 values numpy computes (every F16 and
 *    BF16 bit pattern included);
 *  - every broken file gives its expected error code and a one-line message naming the file,
 *    and every truncation of a good file is refused;
 *  - the one atomic writer (src/tool.h) keeps the previous file when its emitter fails;
 *  - the public API of hetsched.h: .npy arrays and models (a .safetensors file and a folder of
 *    .npy files written here) load before hetsched_init(); a tensor round-trips through .npy bit
 *    for bit; the model's layers, created on the world's worker sets, compute what a plain
 *    double-precision reference computes here.
 * Usage: test_formats [MODEL_DIR BAD_DIR [MODEL_DIR...]], the folders written by
 *   make_model.py MODEL_DIR [--layers ...] [--dtype ...] and make_model.py --bad BAD_DIR;
 * further model folders (other dtypes, other shapes) get the model and dtype checks too.
 * Without arguments, only the checks that need no such folder run.
 * Scratch files go to a fresh folder under $TMPDIR (or /tmp), removed at the end.
 * Output: TAP, with the plan at the end. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hetsched.h"
#include "internal.h"
#include "io/file.h"
#include "io/model.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "hs_test.h"
#include "tap.h"

/* A failing call must give \p want and a message naming \p name (and containing \p substr). */
static int expect_error(int rc, int want, const char *name, const char *substr, const char *what)
{
	const char *msg = hetsched_last_error();
	int good = rc == want && strstr(msg, name) && (!substr || strstr(msg, substr)) &&
	           !strchr(msg, '\n');

	tap_ok(good, "%s: %s", what, hetsched_strerror(want));
	if (!good)
		tap_diag("got %d (%s), message \"%s\"; want %d, message naming '%s' with '%s'", rc,
		         hetsched_strerror(rc), msg, want, name, substr ? substr : "");
	return good;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (!s) {
		perror("malloc");
		exit(99);
	}
	snprintf(s, n, "%s/%s", a, b);
	return s;
}

static int same_bits(float a, float b)
{
	if (isnan(a) && isnan(b)) /* NaN payloads may differ between conversion paths */
		return 1;
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
	return hetsched__read_file(path, buf, len);
}

/* Entries of \p dir whose names contain ".tmp": what a failed save must not leave. */
static int count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp"))
			n++;
	closedir(d);
	return n;
}

/* Remove the test's scratch folder and what it holds, folders included. */
static void remove_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = join(dir, e->d_name);
		if (remove(path) != 0)
			remove_scratch(path); /* a folder that is not empty */
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* ------------------------------------------------------------------------------------------ */
/* .npy round trips */

static float from_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static void test_roundtrip(const char *dir)
{
	static const size_t shapes[][2] = {{1, 1}, {1, 7}, {5, 1}, {3, 5}, {17, 33}, {64, 3}};
	size_t s, r, c;
	mode_t mask = umask(022);

	umask(mask);
	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t rows = shapes[s][0], cols = shapes[s][1], ld = cols + 3, lrows, lcols, hlen;
		float *src = malloc(rows * ld * sizeof(float)), *back = NULL, *back_mem = NULL;
		unsigned char *bytes = NULL;
		char name[64], *path;
		size_t len = 0;
		struct stat sb;
		int rc, good = 1;
		uint32_t state = 12345u + (uint32_t)s;

		for (r = 0; r < rows; r++)
			for (c = 0; c < ld; c++) {
				state = state * 1664525u + 1013904223u;
				/* Random bit patterns cover every class of float: subnormals,
				 * infinities, NaNs with payloads, negative zero. */
				src[r * ld + c] = c < cols ? from_bits(state) : 12345.0f;
			}
		src[0] = -0.0f;
		snprintf(name, sizeof(name), "rt_%zux%zu.npy", rows, cols);
		path = join(dir, name);
		rc = hetsched_npy_save(path, src, rows, cols, ld);
		tap_ok(rc == 0, "save %zux%zu with ld %zu", rows, cols, ld);
		if (rc)
			tap_diag("%s", hetsched_last_error());

		/* numpy's layout: version 1.0, header padded to a multiple of 64 bytes. */
		rc = read_all(path, &bytes, &len);
		hlen = rc == 0 && len >= 10 ? (size_t)bytes[8] | (size_t)bytes[9] << 8 : 0;
		tap_ok(rc == 0 && len >= 10 && memcmp(bytes, "\x93NUMPY\x01\x00", 8) == 0 &&
		           (10 + hlen) % 64 == 0 && len == 10 + hlen + rows * cols * 4 &&
		           bytes[10 + hlen - 1] == '\n',
		       "%s: magic, version 1.0, 64-byte aligned header, size %zu", name, len);
		tap_ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == (0666 & ~mask),
		       "%s: permissions follow the umask (%03o)", name, (unsigned)(0666 & ~mask));

		rc = hetsched_npy_load(path, &back, &lrows, &lcols);
		good = rc == 0 && lrows == rows && lcols == cols;
		for (r = 0; good && r < rows; r++)
			good = memcmp(&src[r * ld], &back[r * cols], cols * sizeof(float)) == 0;
		tap_ok(good, "%s: loads back bit for bit", name);
		if (rc)
			tap_diag("%s", hetsched_last_error());

		rc = hetsched__npy_load_mem(bytes, len, name, &back_mem, &lrows, &lcols);
		tap_ok(rc == 0 && lrows == rows && lcols == cols && back &&
		           memcmp(back, back_mem, rows * cols * sizeof(float)) == 0,
		       "%s: the in-memory loader agrees", name);
		free(back_mem);
		free(back);
		free(bytes);
		free(path);
		free(src);
	}
	tap_ok(count_temps(dir) == 0, "no temporary files left after saving");
}

/* ------------------------------------------------------------------------------------------ */
/* Hand-made .npy buffers */

/* Preamble + header (padded like numpy's) + data, into \p buf; returns the length. */
static size_t make_npy(unsigned char *buf, size_t cap, int major, const char *header,
                       const void *data, size_t ndata)
{
	size_t pre = major == 1 ? 10 : 12, hl = strlen(header), total = pre + hl + 1;

	total += (64 - total % 64) % 64;
	if (total + ndata > cap)
		abort();
	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = (unsigned char)major;
	buf[7] = 0;
	memset(buf + 8, 0, 4);
	buf[8] = (unsigned char)((total - pre) & 0xff);
	buf[9] = (unsigned char)((total - pre) >> 8);
	memcpy(buf + pre, header, hl);
	memset(buf + pre + hl, ' ', total - pre - hl - 1);
	buf[total - 1] = '\n';
	memcpy(buf + total, data, ndata);
	return total + ndata;
}

static void put_le32(unsigned char *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	p[0] = (unsigned char)u;
	p[1] = (unsigned char)(u >> 8);
	p[2] = (unsigned char)(u >> 16);
	p[3] = (unsigned char)(u >> 24);
}

static void test_npy_mem(void)
{
	static const struct {
		const char *what, *header;
		int major, want;
		size_t ndata;
		const char *substr;
	} bad[] = {
	    {"missing shape", "{'descr': '<f4', 'fortran_order': False, }", 1, HETSCHED_EFORMAT, 16,
	     "no 'shape'"},
	    {"repeated key",
	     "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 1,
	     HETSCHED_EFORMAT, 16, "repeated key 'descr'"},
	    {"unknown key", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", 1,
	     HETSCHED_EFORMAT, 16, "key 'x'"},
	    {"int32", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", 1,
	     HETSCHED_EDTYPE, 16, "dtype '<i4' not supported (float16, float32 or float64 only)"},
	    {"complex64", "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 2), }", 1,
	     HETSCHED_EDTYPE, 32, "'<c8'"},
	    {"structured", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 1,
	     HETSCHED_EDTYPE, 16, "structured"},
	    {"3-D", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 1,
	     HETSCHED_ESHAPE, 96, "3-D array (shape 2x3x4)"},
	    {"0-D", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, HETSCHED_ESHAPE,
	     4, "0-D"},
	    {"empty", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", 1,
	     HETSCHED_ESHAPE, 0, "empty array (shape 0x3)"},
	    {"fortran 2x2", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 1,
	     HETSCHED_EFORMAT, 16, "fortran_order"},
	    {"product overflow",
	     "{'descr': '<f8', 'fortran_order': False, "
	     "'shape': (4611686018427387904, 4611686018427387904), }",
	     1, HETSCHED_EFORMAT, 16, "too large"},
	    {"digit overflow",
	     "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 1), }", 1,
	     HETSCHED_EFORMAT, 16, "too large"},
	    {"junk after dict", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } x", 1,
	     HETSCHED_EFORMAT, 16, "after the closing"},
	    {"escape in string", "{'descr': '<f\\4', 'fortran_order': False, 'shape': (2, 2), }", 1,
	     HETSCHED_EFORMAT, 16, "malformed"},
	    {"unterminated", "{'descr': '<f4", 1, HETSCHED_EFORMAT, 16, "malformed"},
	    {"truncated data", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 10), }", 1,
	     HETSCHED_EFORMAT, 123,
	     "mem.npy: truncated: header says 1000x10 float32 (40000 bytes) but only 123 data "
	     "bytes"},
	    {"truncated 1-D float64", "{'descr': '<f8', 'fortran_order': False, 'shape': (7,), }",
	     3, HETSCHED_EFORMAT, 55, "header says 7 float64 (56 bytes) but only 55"},
	};
	static const struct {
		const char *what, *header;
		int major;
		size_t rows, cols;
	} good[] = {
	    {"'<f4' 2-D", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 2, 3},
	    {"'|f4', Python 2 longs",
	     "{'descr': '|f4', 'fortran_order': False, 'shape': (2L, 3L), }", 1, 2, 3},
	    {"'=f4', version 2.0, keys reordered",
	     "{'shape': (3, 2), 'fortran_order': False, 'descr': '=f4'}", 2, 3, 2},
	    {"double quotes, version 3.0",
	     "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (6,)}", 3, 1, 6},
	    {"fortran_order True for one row",
	     "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 6), }", 1, 1, 6},
	};
	const float values[6] = {1.5f, -2.25f, 0.0f, 3e38f, -1e-40f, 7.0f};
	unsigned char buf[1 << 17], data[1 << 16];
	size_t i, len, rows, cols;
	float *out;
	int rc;

	memset(data, 0, sizeof(data));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = make_npy(buf, sizeof(buf), bad[i].major, bad[i].header, data, bad[i].ndata);
		out = (float *)1;
		rc = hetsched__npy_load_mem(buf, len, "mem.npy", &out, &rows, &cols);
		expect_error(rc, bad[i].want, "mem.npy", bad[i].substr, bad[i].what);
		if (rc == 0)
			free(out);
		else
			tap_ok(out == NULL, "%s: no array returned", bad[i].what);
	}

	for (i = 0; i < 6; i++)
		put_le32(data + 4 * i, values[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = make_npy(buf, sizeof(buf), good[i].major, good[i].header, data, 24);
		/* Bytes after the data (another array appended by np.save) are allowed. */
		buf[len++] = 0xAB;
		rc = hetsched__npy_load_mem(buf, len, "mem.npy", &out, &rows, &cols);
		tap_ok(rc == 0 && rows == good[i].rows && cols == good[i].cols &&
		           memcmp(out, values, sizeof(values)) == 0,
		       "accepted: %s", good[i].what);
		if (rc)
			tap_diag("%s", hetsched_last_error());
		else
			free(out);
	}

	/* Big-endian float32 and float64 (a 1-D array is one row). */
	{
		static const unsigned char be32[8] = {0x3f, 0xc0, 0, 0, 0xc0, 0x10, 0, 0};
		static const unsigned char le64[24] = {
		    0, 0, 0,    0,    0,    0,    0xf8, 0x3f, 0,    0,    0,    0,
		    0, 0, 0x02, 0xc0, 0x9c, 0x75, 0x88, 0x3c, 0xe4, 0x37, 0x7e, 0x7e};
		static const unsigned char be64[16] = {
		    0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a};

		len = make_npy(buf, sizeof(buf), 1,
		               "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 1), }", be32,
		               8);
		rc = hetsched__npy_load_mem(buf, len, "mem.npy", &out, &rows, &cols);
		tap_ok(rc == 0 && rows == 2 && cols == 1 && out[0] == 1.5f && out[1] == -2.25f,
		       "'>f4' read big-endian");
		if (rc == 0)
			free(out);
		len =
		    make_npy(buf, sizeof(buf), 1,
		             "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", le64, 24);
		rc = hetsched__npy_load_mem(buf, len, "mem.npy", &out, &rows, &cols);
		tap_ok(rc == 0 && rows == 1 && cols == 3 && out[0] == 1.5f && out[1] == -2.25f &&
		           isinf(out[2]) && out[2] > 0,
		       "'<f8' 1-D is one row, rounded to float32 (1e300 -> inf)");
		if (rc == 0)
			free(out);
		len =
		    make_npy(buf, sizeof(buf), 1,
		             "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", be64, 16);
		rc = hetsched__npy_load_mem(buf, len, "mem.npy", &out, &rows, &cols);
		tap_ok(rc == 0 && rows == 1 && cols == 2 && out[0] == 1.5f && out[1] == (float)0.1,
		       "'>f8' read big-endian, rounded to nearest");
		if (rc == 0)
			free(out);
	}

	/* Short and broken preambles. */
	rc = hetsched__npy_load_mem(NULL, 0, "mem.npy", &out, &rows, &cols);
	expect_error(rc, HETSCHED_EFORMAT, "mem.npy", "empty", "0 bytes");
	rc = hetsched__npy_load_mem("\x93NUM", 4, "mem.npy", &out, &rows, &cols);
	expect_error(rc, HETSCHED_EFORMAT, "mem.npy", "truncated", "4 bytes of magic");
	rc = hetsched__npy_load_mem("\x93NUMPY\x02\x00\x10\x00", 10, "mem.npy", &out, &rows, &cols);
	expect_error(rc, HETSCHED_EFORMAT, "mem.npy", "truncated",
	             "version 2.0 with a 10-byte file");
	rc = hetsched__npy_load_mem("PK\x03\x04 not numpy", 15, "mem.npy", &out, &rows, &cols);
	expect_error(rc, HETSCHED_EFORMAT, "mem.npy", "not a .npy file", "a zip (.npz) file");
}

/* Every strict prefix of a good file must be refused, never over-read (ASan/valgrind watch). */
static void test_truncations(const char *mdir)
{
	char *path = join(mdir, "x.npy");
	unsigned char *bytes;
	size_t len, n, rows, cols, accepted = 0, wrong = 0;
	struct hetsched__safetensors st;
	float *out;
	int rc;

	if (read_all(path, &bytes, &len) == 0) {
		for (n = 0; n < len; n++) {
			/* A fresh copy of exactly n bytes, so that an over-read is caught. */
			unsigned char *copy = malloc(n ? n : 1);

			memcpy(copy, bytes, n);
			rc = hetsched__npy_load_mem(copy, n, "x.npy", &out, &rows, &cols);
			if (rc == 0) {
				accepted++;
				free(out);
			} else if (rc != HETSCHED_EFORMAT) {
				wrong++;
			}
			free(copy);
		}
		tap_ok(accepted == 0 && wrong == 0, "x.npy: all %zu truncations refused as EFORMAT",
		       len);
		free(bytes);
	} else {
		tap_ok(0, "x.npy: read: %s", hetsched_last_error());
	}
	free(path);

	path = join(mdir, "model.safetensors");
	accepted = wrong = 0;
	if (read_all(path, &bytes, &len) == 0) {
		for (n = 0; n < len; n++) {
			rc = hetsched__safetensors_open_mem(bytes, n, "model.safetensors", &st);
			if (rc == 0) {
				accepted++;
				hetsched__safetensors_close(&st);
			} else if (rc != HETSCHED_EFORMAT) {
				wrong++;
			}
		}
		tap_ok(accepted == 0 && wrong == 0,
		       "model.safetensors: all %zu truncations refused as EFORMAT", len);
		free(bytes);
	} else {
		tap_ok(0, "model.safetensors: read: %s", hetsched_last_error());
	}
	free(path);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing where one cannot */

static void test_write_failures(const char *dir)
{
	char *y = join(dir, "y.npy"), *nodir = join(dir, "nonexistent/y.npy"),
	     *sub = join(dir, "sub");
	char *keep = join(dir, "keep.npy"), *slash;
	static float big[100 * 100];
	const float small[4] = {1, 2, 3, 4};
	float *back = NULL;
	size_t rows, cols;
	struct stat sb;
	struct rlimit old, lim;
	int rc;

	tap_ok(hetsched__check_writable(y) == 0 && stat(y, &sb) != 0 && errno == ENOENT,
	       "check_writable: a new file in a writable folder is fine, and is not created");
	rc = hetsched__check_writable(nodir);
	expect_error(rc, HETSCHED_EIO, "nonexistent", "nonexistent",
	             "check_writable: no such folder");
	rc = hetsched_npy_save(nodir, small, 2, 2, 2);
	expect_error(rc, HETSCHED_EIO, "nonexistent/y.npy", NULL, "save into a missing folder");

	mkdir(sub, 0777);
	rc = hetsched__check_writable(sub);
	expect_error(rc, HETSCHED_EIO, "sub", "folder", "check_writable: the path is a folder");
	rc = hetsched_npy_save(sub, small, 2, 2, 2);
	expect_error(rc, HETSCHED_EIO, "sub", "folder", "save over a folder");
	tap_ok(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode), "the folder is still there");
	slash = join(dir, "y/");
	rc = hetsched__check_writable(slash);
	expect_error(rc, HETSCHED_EIO, "y/", "folder", "check_writable: a path ending in '/'");
	free(slash);
	rc = hetsched__check_writable("");
	expect_error(rc, HETSCHED_EINVAL, "", "empty", "check_writable: empty path");
	rc = hetsched__check_writable("/dev/null");
	expect_error(rc, HETSCHED_EIO, "/dev/null", "not a regular file",
	             "check_writable: a device");
	rc = hetsched_npy_save(y, small, 2, 2, 1);
	expect_error(rc, HETSCHED_EINVAL, "y.npy", "ld must be >= cols", "save with ld < cols");
	rc = hetsched_npy_save(y, small, 0, 2, 2);
	expect_error(rc, HETSCHED_EINVAL, "y.npy", "empty", "save with 0 rows");

	if (geteuid() != 0) {
		char *ro = join(dir, "readonly"), *inro = join(dir, "readonly/y.npy");

		mkdir(ro, 0555);
		chmod(ro, 0555);
		rc = hetsched__check_writable(inro);
		expect_error(rc, HETSCHED_EIO, "readonly", NULL,
		             "check_writable: read-only folder");
		rc = hetsched_npy_save(inro, small, 2, 2, 2);
		expect_error(rc, HETSCHED_EIO, "readonly", NULL, "save into a read-only folder");
		rmdir(ro);
		free(ro);
		free(inro);
	} else {
		tap_skip("check_writable: read-only folder: root writes anywhere");
		tap_skip("save into a read-only folder: root writes anywhere");
	}

	/* A write that fails midway (the file-size limit stands in for a full disk) must keep
	 * the file already there intact and leave no temporary file. */
	rc = hetsched_npy_save(keep, small, 2, 2, 2);
	tap_ok(rc == 0, "save keep.npy");
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 4096;
	if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
		rc = hetsched_npy_save(keep, big, 100, 100, 100);
		setrlimit(RLIMIT_FSIZE, &old);
		expect_error(rc, HETSCHED_EIO, "keep.npy", "too large",
		             "a write that fails midway");
		rc = hetsched_npy_load(keep, &back, &rows, &cols);
		tap_ok(rc == 0 && rows == 2 && cols == 2 && memcmp(back, small, sizeof(small)) == 0,
		       "the previous keep.npy is intact");
		free(back);
	} else {
		tap_skip("a write that fails midway: setrlimit(RLIMIT_FSIZE) refused");
		tap_skip("the previous keep.npy is intact: setrlimit(RLIMIT_FSIZE) refused");
	}
	signal(SIGXFSZ, SIG_DFL);

	/* A successful save replaces the old file. */
	rc = hetsched_npy_save(keep, big, 3, 7, 9);
	tap_ok(rc == 0 && hetsched_npy_load(keep, &back, &rows, &cols) == 0 && rows == 3 &&
	           cols == 7,
	       "saving over a file replaces it");
	free(back);
	tap_ok(count_temps(dir) == 0, "no temporary files left after the failures");

	free(y);
	free(nodir);
	free(sub);
	free(keep);
}

/* ------------------------------------------------------------------------------------------ */
/* Models */

static int layers_equal(const struct hetsched__state_dict *a, const struct hetsched__state_dict *b,
                        size_t nlayers, int check_bias)
{
	size_t l;

	if (a->nlayers < nlayers || b->nlayers < nlayers)
		return 0;
	for (l = 0; l < nlayers; l++) {
		const struct hetsched__layer_data *x = &a->layers[l], *y = &b->layers[l];

		if (x->in_features != y->in_features || x->out_features != y->out_features ||
		    memcmp(x->weight, y->weight, x->in_features * x->out_features * sizeof(float)))
			return 0;
		if (check_bias && (!x->bias || !y->bias ||
		                   memcmp(x->bias, y->bias, x->out_features * sizeof(float))))
			return 0;
	}
	return 1;
}

static void test_models(const char *mdir)
{
	struct hetsched__state_dict st = {0}, npy = {0}, other = {0};
	char *path;
	float *x = NULL, *yref = NULL;
	size_t xr = 0, xc = 0, yr = 0, yc = 0, l, i, j, k;
	int rc, good;

	path = join(mdir, "x.npy");
	rc = hetsched_npy_load(path, &x, &xr, &xc);
	tap_ok(rc == 0 && xr > 0 && xc > 0, "x.npy loads (%zux%zu)", xr, xc);
	free(path);
	path = join(mdir, "y_ref.npy");
	rc = hetsched_npy_load(path, &yref, &yr, &yc);
	tap_ok(rc == 0 && yr == xr, "y_ref.npy (float64) loads (%zux%zu)", yr, yc);
	free(path);

	path = join(mdir, "model.safetensors");
	rc = hetsched__state_dict_load(path, NULL, &st);
	tap_ok(rc == 0 && st.nlayers > 0, "model.safetensors loads (%zu layers)", st.nlayers);
	if (rc)
		tap_diag("%s", hetsched_last_error());
	free(path);
	path = join(mdir, "model_npy");
	rc = hetsched__state_dict_load(path, NULL, &npy);
	tap_ok(rc == 0 && npy.nlayers > 0, "model_npy/ loads (%zu layers)", npy.nlayers);
	if (rc)
		tap_diag("%s", hetsched_last_error());
	free(path);
	tap_ok(st.nlayers == npy.nlayers && layers_equal(&st, &npy, st.nlayers, 1),
	       "model.safetensors and model_npy/ hold the same values, bit for bit");

	good = st.nlayers > 0 && st.layers[0].in_features == xc &&
	       st.layers[st.nlayers - 1].out_features == yc;
	for (l = 1; good && l < st.nlayers; l++)
		good = st.layers[l].in_features == st.layers[l - 1].out_features;
	tap_ok(good, "layers chain from x's %zu columns to y_ref's %zu", xc, yc);

	/* The forward pass in float64, against numpy's: checks the layer order (0, 2, ..., 10 sort
	 * as numbers), the weight layout (out x in) and which bias goes with which weight. */
	if (good && x && yref) {
		double *h = NULL, *next;
		size_t width = xc;
		double max_err = 0;

		h = malloc(xr * xc * sizeof(double));
		for (i = 0; i < xr * xc; i++)
			h[i] = x[i];
		for (l = 0; l < st.nlayers; l++) {
			const struct hetsched__layer_data *L = &st.layers[l];

			next = malloc(xr * L->out_features * sizeof(double));
			for (i = 0; i < xr; i++)
				for (j = 0; j < L->out_features; j++) {
					double acc = L->bias[j];

					for (k = 0; k < width; k++)
						acc += h[i * width + k] *
						       (double)L->weight[j * L->in_features + k];
					if (l + 1 < st.nlayers && acc < 0)
						acc = 0;
					next[i * L->out_features + j] = acc;
				}
			free(h);
			h = next;
			width = L->out_features;
		}
		for (i = 0; i < xr * yc; i++) {
			double err =
			    fabs(h[i] - (double)yref[i]) / fmax(1.0, fabs((double)yref[i]));

			max_err = fmax(max_err, err);
		}
		tap_ok(max_err <= 1e-6,
		       "forward pass matches numpy's y_ref (max rel err %.2g <= 1e-6)", max_err);
		free(h);
	} else {
		tap_ok(0, "forward pass matches numpy's y_ref (not run: shapes)");
	}

	path = join(mdir, "model_prefixed.safetensors");
	rc = hetsched__state_dict_load(path, NULL, &other);
	tap_ok(rc == 0 && other.nlayers == st.nlayers && layers_equal(&st, &other, st.nlayers, 1),
	       "prefixed names ('model.layers.0.weight') give the same model");
	if (rc)
		tap_diag("%s", hetsched_last_error());
	hetsched__state_dict_free(&other);
	free(path);

	path = join(mdir, "model_nobias.safetensors");
	rc = hetsched__state_dict_load(path, NULL, &other);
	good = rc == 0 && other.nlayers == st.nlayers && layers_equal(&st, &other, st.nlayers, 0);
	for (l = 0; good && l < other.nlayers; l++)
		good = other.layers[l].bias == NULL;
	tap_ok(good, "weights without biases: same weights, bias NULL");
	hetsched__state_dict_free(&other);
	free(path);

	path = join(mdir, "linear.safetensors");
	rc = hetsched__state_dict_load(path, NULL, &other);
	tap_ok(rc == 0 && other.nlayers == 1 && layers_equal(&st, &other, 1, 1),
	       "a lone nn.Linear ('weight', 'bias') is one layer");
	if (rc)
		tap_diag("%s", hetsched_last_error());
	hetsched__state_dict_free(&other);
	free(path);

	/* A folder named with a trailing slash, as shells complete it. */
	path = join(mdir, "model_npy/");
	rc = hetsched__state_dict_load(path, NULL, &other);
	tap_ok(rc == 0 && layers_equal(&npy, &other, npy.nlayers, 1),
	       "model_npy/ with a trailing '/'");
	hetsched__state_dict_free(&other);
	free(path);

	hetsched__state_dict_free(&st);
	tap_ok(st.nlayers == 0 && st.layers == NULL, "model_free empties the model");
	hetsched__state_dict_free(&st);
	hetsched__state_dict_free(&npy);
	free(x);
	free(yref);
}

/* ------------------------------------------------------------------------------------------ */
/* safetensors: lookup and dtype conversions */

static void test_safetensors(const char *mdir)
{
	static const char *names[] = {"f32", "f64", "f16", "bf16", "f16_all", "bf16_all"};
	struct hetsched__safetensors st, mem;
	const struct hetsched__st_tensor *t;
	char *path, *ref_path, name[64];
	unsigned char *bytes;
	size_t len, i, n, rows, cols, bad;
	float *conv, *ref;
	int rc;

	path = join(mdir, "model.safetensors");
	rc = hetsched__safetensors_open(path, &st);
	tap_ok(rc == 0 && st.ntensors > 0, "open model.safetensors (%zu tensors)", st.ntensors);
	if (rc == 0) {
		t = hetsched__safetensors_find(&st, "0.weight");
		tap_ok(t && t->ndim == 2 &&
		           hetsched__st_tensor_numel(t) == t->shape[0] * t->shape[1],
		       "find '0.weight': 2-D");
		tap_ok(hetsched__safetensors_find(&st, "nope") == NULL, "find 'nope': NULL");
		read_all(path, &bytes, &len);
		rc = hetsched__safetensors_open_mem(bytes, len, "model.safetensors", &mem);
		tap_ok(rc == 0 && mem.ntensors == st.ntensors && mem.data_size == st.data_size,
		       "open_mem agrees with open");
		if (rc == 0)
			hetsched__safetensors_close(&mem);
		free(bytes);
		hetsched__safetensors_close(&st);
	}
	free(path);

	path = join(mdir, "dtypes.safetensors");
	rc = hetsched__safetensors_open(path, &st);
	tap_ok(rc == 0, "open dtypes.safetensors (unaligned data)");
	if (rc) {
		tap_diag("%s", hetsched_last_error());
		free(path);
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		t = hetsched__safetensors_find(&st, names[i]);
		snprintf(name, sizeof(name), "dtypes_ref/%s.npy", names[i]);
		ref_path = join(mdir, name);
		conv = ref = NULL;
		rc = t ? hetsched__safetensors_to_float(&st, t, &conv) : -1;
		if (rc == 0)
			rc = hetsched_npy_load(ref_path, &ref, &rows, &cols);
		n = t ? hetsched__st_tensor_numel(t) : 0;
		bad = 0;
		if (rc == 0 && rows * cols == n)
			for (size_t e = 0; e < n; e++)
				if (!same_bits(conv[e], ref[e]) && bad++ == 0)
					tap_diag("%s[%zu]: got %a, numpy %a", names[i], e, conv[e],
					         ref[e]);
		tap_ok(rc == 0 && rows * cols == n && bad == 0,
		       "%s (%s): %zu values as numpy converts them", names[i], t ? t->dtype : "?",
		       n);
		if (rc)
			tap_diag("%s", hetsched_last_error());
		free(conv);
		free(ref);
		free(ref_path);
	}
	t = hetsched__safetensors_find(&st, "i32");
	conv = (float *)1;
	rc = t ? hetsched__safetensors_to_float(&st, t, &conv) : -1;
	expect_error(rc, HETSCHED_EDTYPE, "dtypes.safetensors", "tensor 'i32' has dtype I32",
	             "I32 is refused, naming tensor and dtype");
	tap_ok(conv == NULL, "no array for a refused dtype");
	hetsched__safetensors_close(&st);
	free(path);
}

/* ------------------------------------------------------------------------------------------ */
/* Broken files */

enum loader { NPY, ST, MODEL };

static void test_bad(const char *bdir)
{
	static const struct {
		const char *file;
		enum loader loader;
		int want;
		const char *substr;
	} cases[] = {
	    {"truncated.npy", NPY, HETSCHED_EFORMAT,
	     "truncated: header says 1000x10 float32 (40000 bytes) but only 123 data bytes"},
	    {"badmagic.npy", NPY, HETSCHED_EFORMAT, "not a .npy file"},
	    {"badversion.npy", NPY, HETSCHED_EFORMAT, "version 4.0"},
	    {"shortheader.npy", NPY, HETSCHED_EFORMAT, "truncated"},
	    {"headerpastend.npy", NPY, HETSCHED_EFORMAT, "truncated"},
	    {"badheader.npy", NPY, HETSCHED_EFORMAT, "True or False"},
	    {"nokey.npy", NPY, HETSCHED_EFORMAT, "no 'fortran_order'"},
	    {"int32.npy", NPY, HETSCHED_EDTYPE,
	     "dtype '<i4' not supported (float16, float32 or float64 only)"},
	    {"structured.npy", NPY, HETSCHED_EDTYPE, "structured"},
	    {"fortran.npy", NPY, HETSCHED_EFORMAT, "fortran_order"},
	    {"3d.npy", NPY, HETSCHED_ESHAPE, "3-D array (shape 2x3x4)"},
	    {"scalar.npy", NPY, HETSCHED_ESHAPE, "0-D"},
	    {"empty.npy", NPY, HETSCHED_ESHAPE, "empty"},
	    {"bigshape.npy", NPY, HETSCHED_EFORMAT, "(40000000000 bytes) but only 16 data bytes"},
	    {"hugeshape.npy", NPY, HETSCHED_EFORMAT, "too large"},
	    {"truncated.safetensors", ST, HETSCHED_EFORMAT, "outside"},
	    {"hugeheader.safetensors", ST, HETSCHED_EFORMAT, "100 MB"},
	    {"badjson.safetensors", ST, HETSCHED_EFORMAT, "not valid JSON"},
	    {"duplicate.safetensors", ST, HETSCHED_EFORMAT, "duplicate"},
	    {"badoffsets.safetensors", ST, HETSCHED_EFORMAT, "data_offsets [0, 1000000] outside"},
	    {"sizemismatch.safetensors", ST, HETSCHED_EFORMAT,
	     "hold 40 bytes but F32 [4, 3] needs 48"},
	    {"truncated.safetensors", MODEL, HETSCHED_EFORMAT, "outside"},
	    {"truncatedheader.safetensors", MODEL, HETSCHED_EFORMAT, "truncated"},
	    {"short.safetensors", MODEL, HETSCHED_EFORMAT, "truncated"},
	    {"badjson.safetensors", MODEL, HETSCHED_EFORMAT, "not valid JSON"},
	    {"hugeheader.safetensors", MODEL, HETSCHED_EFORMAT, "100 MB"},
	    {"notobject.safetensors", MODEL, HETSCHED_EFORMAT, "not a JSON object"},
	    {"duplicate.safetensors", MODEL, HETSCHED_EFORMAT, "duplicate"},
	    {"badoffsets.safetensors", MODEL, HETSCHED_EFORMAT, "outside"},
	    {"sizemismatch.safetensors", MODEL, HETSCHED_EFORMAT, "needs 48"},
	    {"negshape.safetensors", MODEL, HETSCHED_EFORMAT, "non-negative"},
	    {"badmeta.safetensors", MODEL, HETSCHED_EFORMAT, "__metadata__"},
	    {"i32.safetensors", MODEL, HETSCHED_EDTYPE, "tensor '0.weight' has dtype I32"},
	    {"mismatch.safetensors", MODEL, HETSCHED_ESHAPE,
	     "layers do not chain: '0.weight' gives 8 outputs but '2.weight' takes 5 inputs"},
	    {"empty.safetensors", MODEL, HETSCHED_EFORMAT, "no layers"},
	    {"badbias.safetensors", MODEL, HETSCHED_ESHAPE, "'0.bias' is 1-D of 7 elements"},
	    {"weight3d.safetensors", MODEL, HETSCHED_EFORMAT, "'0.weight' is a convolution"},
	    {"layernorm.safetensors", MODEL, HETSCHED_EFORMAT, "'1.weight' is a normalisation"},
	    {"embedding.safetensors", MODEL, HETSCHED_EFORMAT, "'embed.weight' is an Embedding"},
	    {"named.safetensors", MODEL, HETSCHED_EINVAL, "give it with --layers"},
	    {"torch_save.pt", MODEL, HETSCHED_EFORMAT, "a torch.save file (zip archive)"},
	    {"pickle.pt", MODEL, HETSCHED_EFORMAT, "a torch.save file (pickle)"},
	    {"twoprefix.safetensors", MODEL, HETSCHED_EFORMAT, "different prefixes"},
	    {"batchnorm.safetensors", MODEL, HETSCHED_EFORMAT, "'1.running_mean'"},
	    {"unrelated.safetensors", MODEL, HETSCHED_EFORMAT, "'classifier_scale'"},
	    {"biasonly.safetensors", MODEL, HETSCHED_EFORMAT, "'2.bias' has no matching weight"},
	    {"sametensor.safetensors", MODEL, HETSCHED_EFORMAT, "name the same weight"},
	    {"npy_mismatch", MODEL, HETSCHED_ESHAPE,
	     "'0.weight.npy' gives 8 outputs but '2.weight.npy' takes 5 inputs"},
	    {"npy_int32", MODEL, HETSCHED_EDTYPE, "0.weight.npy: dtype '<i4'"},
	    {"npy_empty", MODEL, HETSCHED_EFORMAT, "no layers"},
	    {"npy_batchnorm", MODEL, HETSCHED_EFORMAT, "1.running_mean.npy"},
	    {"npy_badbias", MODEL, HETSCHED_ESHAPE, "a bias is 1-D"},
	    {"npy_weight1d", MODEL, HETSCHED_EFORMAT, "is a normalisation"},
	    {"int32.npy", MODEL, HETSCHED_EFORMAT, "not one .npy file"},
	    {"missing.npy", NPY, HETSCHED_ENOENT, "cannot open"},
	    {"missing.safetensors", ST, HETSCHED_ENOENT, "No such file or directory"},
	    {"missing.safetensors", MODEL, HETSCHED_ENOENT, "No such file or directory"},
	    {"npy_empty", NPY, HETSCHED_EIO, "folder"},
	};
	static const char *loader_names[] = {"npy_load", "safetensors_open", "model_load"};
	size_t i, rows, cols;
	char what[160];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = join(bdir, cases[i].file);
		struct hetsched__safetensors st;
		struct hetsched__state_dict model;
		float *data = (float *)1;
		int rc, empty = 1;

		switch (cases[i].loader) {
		case NPY:
			rc = hetsched_npy_load(path, &data, &rows, &cols);
			empty = data == NULL;
			if (rc == 0)
				free(data);
			break;
		case ST:
			rc = hetsched__safetensors_open(path, &st);
			empty = st.bytes == NULL && st.tensors == NULL && st.ntensors == 0;
			if (rc == 0)
				hetsched__safetensors_close(&st);
			break;
		default:
			rc = hetsched__state_dict_load(path, NULL, &model);
			empty = model.nlayers == 0 && model.layers == NULL;
			if (rc == 0)
				hetsched__state_dict_free(&model);
			break;
		}
		snprintf(what, sizeof(what), "%s(%s)", loader_names[cases[i].loader],
		         cases[i].file);
		expect_error(rc, cases[i].want, cases[i].file, cases[i].substr, what);
		if (!empty)
			tap_ok(0, "%s: outputs left empty on failure", what);
		free(path);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The one atomic writer (tool.h), as the tool's CSV, HTML and trace writers use it */

struct emit_case {
	const char *text;
	int fail_errno; /* 0: succeed; otherwise fail after writing, with this errno */
};

static int emit_text(FILE *f, void *ctx)
{
	const struct emit_case *c = ctx;

	fputs(c->text, f);
	if (c->fail_errno) {
		errno = c->fail_errno;
		return -1;
	}
	return 0;
}

static int file_is(const char *path, const char *text)
{
	unsigned char *bytes;
	size_t len;
	int same;

	if (hetsched__read_file(path, &bytes, &len) != 0)
		return 0;
	same = len == strlen(text) && memcmp(bytes, text, len) == 0;
	free(bytes);
	return same;
}

static void test_write_atomic(const char *dir)
{
	char *out = join(dir, "atomic.txt"), *nodir = join(dir, "nonexistent/atomic.txt");
	struct emit_case good = {"first version\n", 0}, bad = {"half a", ENOSPC};
	int rc;

	rc = hetsched__write_atomic(out, emit_text, &good);
	tap_ok(rc == 0 && file_is(out, good.text), "write_atomic: the file holds what emit wrote");
	rc = hetsched__write_atomic(out, emit_text, &bad);
	expect_error(rc, HETSCHED_EIO, "atomic.txt", "No space left on device",
	             "write_atomic: emit fails (ENOSPC)");
	tap_ok(file_is(out, good.text), "write_atomic: a failed write keeps the previous file");
	rc = hetsched__write_atomic(nodir, emit_text, &good);
	expect_error(rc, HETSCHED_EIO, "nonexistent/atomic.txt", "nonexistent",
	             "write_atomic: no such folder");
	rc = hetsched__write_atomic("/dev/null", emit_text, &good);
	expect_error(rc, HETSCHED_EIO, "/dev/null", "not a regular file",
	             "write_atomic: refuses to replace a device");
	rc = hetsched__write_atomic_buf(out, "second\n", 7);
	tap_ok(rc == 0 && file_is(out, "second\n"), "write_atomic_buf replaces the file");
	rc = hetsched__write_atomic_buf(out, "", 0);
	tap_ok(rc == 0 && file_is(out, ""), "write_atomic_buf of 0 bytes: an empty file");
	tap_ok(count_temps(dir) == 0, "write_atomic: no temporary files left");
	free(out);
	free(nodir);
}

/* ------------------------------------------------------------------------------------------ */
/* The public API of hetsched.h: .npy arrays, tensors, models */

/* A two-layer MLP, 5 -> 7 -> 3 with biases, and an input of 6 rows: small enough to check by
 * hand, tiled unevenly by 4. */
enum { API_IN = 5, API_HIDDEN = 7, API_OUT = 3, API_BATCH = 6, API_TILE = 4 };

struct api_model {
	float w0[API_HIDDEN * API_IN], b0[API_HIDDEN], w2[API_OUT * API_HIDDEN], b2[API_OUT];
	float x[API_BATCH * API_IN];
};

static void api_fill(float *v, size_t n, uint32_t *state)
{
	for (size_t i = 0; i < n; i++) {
		*state = *state * 1664525u + 1013904223u;
		v[i] = (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f; /* [-1, 1) */
	}
}

/* The model as safetensors.torch.save_file writes it (tensors named as in nn.Sequential). */
static int write_safetensors(const char *path, const struct api_model *m)
{
	unsigned char buf[2048];
	char header[512];
	size_t n, off = 0;
	const float *parts[4] = {m->w0, m->b0, m->w2, m->b2};
	const size_t counts[4] = {API_HIDDEN * API_IN, API_HIDDEN, API_OUT * API_HIDDEN, API_OUT};

	n = (size_t)snprintf(
	    header, sizeof(header),
	    "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":"
	    "[0,%zu]},\"0.bias\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\""
	    ":[%zu,%zu]},\"2.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
	    "\"data_offsets\":[%zu,%zu]},\"2.bias\":{\"dtype\":\"F32\",\"shape\":"
	    "[%d],\"data_offsets\":[%zu,%zu]}}",
	    API_HIDDEN, API_IN, counts[0] * 4, API_HIDDEN, counts[0] * 4,
	    (counts[0] + counts[1]) * 4, API_OUT, API_HIDDEN, (counts[0] + counts[1]) * 4,
	    (counts[0] + counts[1] + counts[2]) * 4, API_OUT,
	    (counts[0] + counts[1] + counts[2]) * 4,
	    (counts[0] + counts[1] + counts[2] + counts[3]) * 4);
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)(n >> (8 * i));
	memcpy(buf + 8, header, n);
	off = 8 + n;
	for (int p = 0; p < 4; p++)
		for (size_t i = 0; i < counts[p]; i++, off += 4)
			put_le32(buf + off, parts[p][i]);
	return hetsched__write_atomic_buf(path, buf, off);
}

/* A 1-D .npy file (np.save of a bias), which hetsched_npy_save does not write. */
static int write_npy_1d(const char *path, const float *v, size_t n)
{
	unsigned char buf[1024], data[256];
	char header[128];
	size_t len;

	for (size_t i = 0; i < n; i++)
		put_le32(data + 4 * i, v[i]);
	snprintf(header, sizeof(header),
	         "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu,), }", n);
	len = make_npy(buf, sizeof(buf), 1, header, data, 4 * n);
	return hetsched__write_atomic_buf(path, buf, len);
}

/* y = relu(x W0^T + b0) W2^T + b2, in double. */
static void api_reference(const struct api_model *m, double *y)
{
	double h[API_HIDDEN];

	for (size_t r = 0; r < API_BATCH; r++) {
		for (size_t j = 0; j < API_HIDDEN; j++) {
			double acc = m->b0[j];

			for (size_t k = 0; k < API_IN; k++)
				acc += (double)m->x[r * API_IN + k] * m->w0[j * API_IN + k];
			h[j] = acc > 0 ? acc : 0;
		}
		for (size_t j = 0; j < API_OUT; j++) {
			double acc = m->b2[j];

			for (size_t k = 0; k < API_HIDDEN; k++)
				acc += h[k] * m->w2[j * API_HIDDEN + k];
			y[r * API_OUT + j] = acc;
		}
	}
}

/* Layer l of \p model holds exactly the given weights and biases. */
static int api_layer_is(hetsched_model_t model, size_t l, size_t in, size_t out, const float *w,
                        const float *b)
{
	const float *weight, *bias;
	size_t fin, fout;

	return hetsched_model_layer(model, l, &fin, &fout, &weight, &bias) == 0 && fin == in &&
	       fout == out && memcmp(weight, w, in * out * sizeof(float)) == 0 && bias &&
	       memcmp(bias, b, out * sizeof(float)) == 0;
}

/* The api model is nn.Sequential(Linear, ReLU, Linear): its file cannot say the ReLU. */
static const struct hetsched_model_options relu_between = {.activations = "relu"};

/* Before hetsched_init(): arrays and models load, tensors refuse. */
static void test_api_host(const char *dir, const struct api_model *m)
{
	char *st = join(dir, "api.safetensors"), *folder = join(dir, "api_npy"), *p;
	char *x = join(dir, "api_x.npy"), *vec = join(dir, "api_vec.npy");
	hetsched_model_t a = NULL, b = NULL;
	hetsched_tensor_t t = (hetsched_tensor_t)1;
	float *data = NULL;
	size_t rows = 0, cols = 0, ndim = 0;
	int rc;

	rc = hetsched_npy_save(x, m->x, API_BATCH, API_IN, API_IN);
	tap_ok(rc == 0, "hetsched_npy_save api_x.npy before hetsched_init");
	rc = hetsched_npy_load_ndim(x, &data, &rows, &cols, &ndim);
	tap_ok(rc == 0 && rows == API_BATCH && cols == API_IN && ndim == 2 &&
	           memcmp(data, m->x, sizeof(m->x)) == 0,
	       "hetsched_npy_load_ndim: 2-D, the values saved");
	free(data);
	write_npy_1d(vec, m->b0, API_HIDDEN);
	rc = hetsched_npy_load_ndim(vec, &data, &rows, &cols, &ndim);
	tap_ok(rc == 0 && rows == 1 && cols == API_HIDDEN && ndim == 1 &&
	           memcmp(data, m->b0, sizeof(m->b0)) == 0,
	       "hetsched_npy_load_ndim: a 1-D array is one row, ndim 1");
	free(data);
	rc = hetsched_tensor_load(&t, x, API_TILE, API_TILE);
	expect_error(rc, HETSCHED_ESTATE, "hetsched_init", NULL,
	             "hetsched_tensor_load before hetsched_init");
	tap_ok(t == NULL, "hetsched_tensor_load: no tensor on failure");

	rc = write_safetensors(st, m);
	/* '0.weight' and '2.weight': room for a module between them, which the file leaves
	 * unsaid: refused, then read with the activation said. */
	rc = rc ? rc : hetsched_model_load(&a, st);
	expect_error(rc, HETSCHED_EINVAL, "'0.weight' and '2.weight' leave room", "--activation",
	             "hetsched_model_load(api.safetensors) without activations");
	rc = hetsched_model_load_options(&a, st, &relu_between);
	tap_ok(rc == 0 && hetsched_model_nlayers(a) == 2,
	       "hetsched_model_load_options(api.safetensors, activations relu)");
	if (rc)
		tap_diag("%s", hetsched_last_error());
	tap_ok(api_layer_is(a, 0, API_IN, API_HIDDEN, m->w0, m->b0) &&
	           api_layer_is(a, 1, API_HIDDEN, API_OUT, m->w2, m->b2),
	       "hetsched_model_layer: shapes, weights and biases as written");
	rc = a ? hetsched_model_layer(a, 2, NULL, NULL, NULL, NULL) : -99;
	expect_error(rc, HETSCHED_EINVAL, "got 2", "must be < 2", "hetsched_model_layer(2)");

	mkdir(folder, 0777);
	p = join(folder, "0.weight.npy");
	rc = hetsched_npy_save(p, m->w0, API_HIDDEN, API_IN, API_IN);
	free(p);
	p = join(folder, "2.weight.npy");
	rc = rc ? rc : hetsched_npy_save(p, m->w2, API_OUT, API_HIDDEN, API_HIDDEN);
	free(p);
	p = join(folder, "0.bias.npy");
	rc = rc ? rc : write_npy_1d(p, m->b0, API_HIDDEN);
	free(p);
	p = join(folder, "2.bias.npy");
	rc = rc ? rc : write_npy_1d(p, m->b2, API_OUT);
	free(p);
	rc = rc ? rc : hetsched_model_load_options(&b, folder, &relu_between);
	tap_ok(rc == 0 && hetsched_model_nlayers(b) == 2 &&
	           api_layer_is(b, 0, API_IN, API_HIDDEN, m->w0, m->b0) &&
	           api_layer_is(b, 1, API_HIDDEN, API_OUT, m->w2, m->b2),
	       "hetsched_model_load(api_npy/): the same layers");
	if (rc)
		tap_diag("%s", hetsched_last_error());
	hetsched_model_destroy(b);
	rc = hetsched_model_load(&b, x);
	expect_error(rc, HETSCHED_EFORMAT, "api_x.npy", "not one .npy file",
	             "hetsched_model_load of one .npy file");
	tap_ok(b == NULL && hetsched_model_nlayers(NULL) == 0, "no model on failure");
	hetsched_model_destroy(a);
	hetsched_model_destroy(NULL);
	free(st);
	free(folder);
	free(x);
	free(vec);
}

/* With the runtime: a tensor round trip through .npy, and a forward pass of the loaded model. */
static void test_api_runtime(const char *dir, const struct api_model *m, enum hs_workers w)
{
	char *st = join(dir, "api.safetensors"), *x = join(dir, "api_x.npy");
	char *x2 = join(dir, "api_x2.npy"), *y = join(dir, "api_y.npy");
	hetsched_linear_t layers[2] = {NULL, NULL};
	hetsched_tensor_t tx = NULL, h = NULL, ty = NULL;
	hetsched_model_t model = NULL;
	double ref[API_BATCH * API_OUT], err = 0;
	float *data = NULL, *got;
	size_t rows = 0, cols = 0, tr = 0, tc = 0;
	int rc;

	hs_start("eager", w);
	tap_diag("workers: %s", hs_workers_name(w));
	rc = hetsched_tensor_load(&tx, x, API_TILE, API_TILE);
	hetsched_tensor_shape(tx, &rows, &cols, &tr, &tc);
	tap_ok(rc == 0 && rows == API_BATCH && cols == API_IN && tr == API_TILE && tc == API_TILE,
	       "hetsched_tensor_load: %zux%zu in %zux%zu tiles", rows, cols, tr, tc);
	rc = rc ? rc : hetsched_tensor_save(tx, x2);
	rc = rc ? rc : hetsched_npy_load(x2, &data, &rows, &cols);
	tap_ok(rc == 0 && rows == API_BATCH && cols == API_IN &&
	           memcmp(data, m->x, sizeof(m->x)) == 0,
	       "hetsched_tensor_save: the values written, bit for bit");
	if (rc)
		tap_diag("%s", hetsched_last_error());
	free(data);
	data = NULL;

	HS_CHECK(hetsched_model_load_options(&model, st, &relu_between));
	rc = hetsched_model_create_layers(model, HETSCHED_ACT_RELU, API_TILE, API_TILE, layers);
	expect_error(rc, HETSCHED_EINVAL, "carries its activations", NULL,
	             "hetsched_model_create_layers: the model's activations, not 'between'");
	rc = hetsched_model_create_layers(model, HETSCHED_ACT_NONE, API_TILE, API_TILE - 1, layers);
	expect_error(rc, HETSCHED_EINVAL, "4x3", "square tiles",
	             "hetsched_model_create_layers: two layers need square tiles");
	tap_ok(layers[0] == NULL && layers[1] == NULL, "no layers on failure");
	rc = hetsched_model_create_layers(model, HETSCHED_ACT_NONE, API_TILE, API_TILE, layers);
	tap_ok(rc == 0 && layers[0] && layers[1], "hetsched_model_create_layers");
	if (rc == 0) {
		enum hetsched_activation act0, act1;

		hetsched_linear_shape(layers[0], NULL, NULL, &act0);
		hetsched_linear_shape(layers[1], NULL, NULL, &act1);
		tap_ok(act0 == HETSCHED_ACT_RELU && act1 == HETSCHED_ACT_NONE,
		       "ReLU between the layers, none after the last");
		HS_CHECK(hetsched_linear_forward(layers[0], tx, &h));
		HS_CHECK(hetsched_linear_forward(layers[1], h, &ty));
		HS_CHECK(hetsched_tensor_save(ty, y));
		got = hs_gather(ty);
		api_reference(m, ref);
		for (size_t i = 0; i < API_BATCH * API_OUT; i++)
			err = fmax(err, fabs(got[i] - ref[i]) / fmax(1.0, fabs(ref[i])));
		/* float32 sums of at most 8 terms of size <= 1, against double. */
		TAP_CMP_DBL(err, <=, 1e-5,
		            "forward pass of the loaded model matches the reference");
		rc = hetsched_npy_load(y, &data, &rows, &cols);
		tap_ok(rc == 0 && rows == API_BATCH && cols == API_OUT &&
		           memcmp(data, got, API_BATCH * API_OUT * sizeof(float)) == 0,
		       "hetsched_tensor_save of the output: the gathered values, bit for bit");
		free(data);
		free(got);
	}
	hetsched_tensor_destroy(ty);
	hetsched_tensor_destroy(h);
	hetsched_linear_destroy(layers[0]);
	hetsched_linear_destroy(layers[1]);
	hetsched_tensor_destroy(tx);
	hetsched_model_destroy(model);
	HS_CHECK(hetsched_shutdown());
	free(st);
	free(x);
	free(x2);
	free(y);
}

static void test_api(const char *dir)
{
	struct api_model m;
	enum hs_workers sets[3];
	uint32_t state = 2026u;
	int n;

	api_fill(m.w0, sizeof(m.w0) / sizeof(float), &state);
	api_fill(m.b0, sizeof(m.b0) / sizeof(float), &state);
	api_fill(m.w2, sizeof(m.w2) / sizeof(float), &state);
	api_fill(m.b2, sizeof(m.b2) / sizeof(float), &state);
	api_fill(m.x, sizeof(m.x) / sizeof(float), &state);
	test_api_host(dir, &m);
	n = hs_worker_sets(sets);
	for (int i = 0; i < n; i++)
		test_api_runtime(dir, &m, sets[i]);
}

int main(int argc, char **argv)
{
	char tmpl[4096];
	const char *tmpdir = getenv("TMPDIR");
	int i;

	if (argc == 2) {
		printf("Bail out! usage: %s [MODEL_DIR BAD_DIR [MODEL_DIR...]] (written by "
		       "make_model.py)\n",
		       argv[0]);
		return 99;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/hs_formats_XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(tmpl)) {
		printf("Bail out! mkdtemp %s: %s\n", tmpl, strerror(errno));
		return 99;
	}

	test_roundtrip(tmpl);
	test_npy_mem();
	test_write_failures(tmpl);
	test_write_atomic(tmpl);
	test_api(tmpl);
	if (argc < 3) {
		tap_skip("the model and broken-file checks: no MODEL_DIR BAD_DIR (formats.sh "
		         "gives them)");
		remove_scratch(tmpl);
		return tap_done();
	}
	test_models(argv[1]);
	test_safetensors(argv[1]);
	test_truncations(argv[1]);
	test_bad(argv[2]);
	for (i = 3; i < argc; i++) {
		tap_diag("model folder %s", argv[i]);
		test_models(argv[i]);
		test_safetensors(argv[i]);
	}

	remove_scratch(tmpl);
	return tap_done();
}
