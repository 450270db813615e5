/* modelfile.c: StarPU's performance-model files (format 45, written by perfmodel_history.c at
 * shutdown), checked before StarPU reads them. StarPU rewrites a model file in place when it
 * stops, so a crash, a full disk or a killed rank leaves it truncated; StarPU 1.3 and 1.4 then
 * abort every later process that loads it with an assertion (scan_history_entry,
 * parse_model_file), and on a shared model folder one crashed job breaks all the jobs after it.
 * hetsched__modelfiles_check() reads each hetsched_* model file as StarPU's parser would, under
 * the start lock, and moves a damaged one aside (renamed, kept for inspection): StarPU then
 * starts without it and the shapes it held calibrate again. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

#define MODEL_VERSION 45 /* _STARPU_PERFMODEL_VERSION in StarPU 1.3 and 1.4 */
#define MAX_FILE (64u << 20)

/* The lines of the file that are not comments, as StarPU's _starpu_drop_comments skips them. */
struct cursor {
	char *p;         /* next line */
	const char *why; /* the first problem found */
};

/* The next line that holds something other than a comment ("#...") or blanks; NULL at the end.
 * A last line without its newline is a truncated write: StarPU asserts on it. */
static char *next_line(struct cursor *c)
{
	while (c->p && *c->p) {
		char *line = c->p, *nl = strchr(line, '\n');

		if (!nl) {
			c->why = "its last line is cut short";
			c->p = NULL;
			return NULL;
		}
		*nl = '\0';
		c->p = nl + 1;
		line += strspn(line, " \t\r");
		if (*line && *line != '#')
			return line;
	}
	if (!c->why)
		c->why = "it ends too early";
	return NULL;
}

/* Split \p line into at most \p max numbers (doubles; "nan" allowed, as StarPU writes it).
 * Returns how many, or -1 for a field that is not a number. */
static int numbers(char *line, double *v, int max)
{
	int n = 0;

	for (char *tok = strtok(line, " \t\r"); tok; tok = strtok(NULL, " \t\r")) {
		char *end;

		if (n == max)
			return -1;
		errno = 0;
		v[n] = strtod(tok, &end);
		if (*end || errno == ERANGE)
			return -1;
		n++;
	}
	return n;
}

/* One integer line, in [lo, hi]. */
static int read_int(struct cursor *c, long lo, long hi, long *out, const char *what)
{
	char *line = next_line(c);
	double v;

	if (!line)
		return -1;
	if (numbers(line, &v, 1) != 1 || v != floor(v) || v < lo || v > hi) {
		c->why = what;
		return -1;
	}
	*out = (long)v;
	return 0;
}

/* One line of \p n (or \p alt) numbers, the first \p nonneg of them past \p from >= 0 or nan. */
static int read_numbers(struct cursor *c, int n, int alt, double *v, const char *what)
{
	char *line = next_line(c);
	int got;

	if (!line)
		return -1;
	got = numbers(line, v, n > alt ? n : alt);
	if (got != n && got != alt) {
		c->why = what;
		return -1;
	}
	return got;
}

/* One implementation: entries, regressions, history (parse_per_arch_model_file). */
static int check_impl(struct cursor *c)
{
	double v[16];
	long nentries, ncoeff;
	int got;

	if (read_int(c, 0, 100000000, &nentries, "a bad number of entries") < 0)
		return -1;
	/* sumlnx sumlnx2 sumlny sumlnxlny alpha beta n minx maxx; then a b c */
	if (read_numbers(c, 9, 9, v, "a bad regression line") < 0 ||
	    read_numbers(c, 3, 3, v, "a bad non-linear regression line") < 0)
		return -1;
	{
		char *line = next_line(c);

		if (!line)
			return -1;
		got = numbers(line, v, 16);
		ncoeff = got > 0 ? (long)v[0] : -1;
		if (got < 1 || v[0] != floor(v[0]) || ncoeff < 0 || got != ncoeff + 1) {
			c->why = "a bad multiple-regression line";
			return -1;
		}
	}
	/* hash size flops mean dev sum sum2 n (or without flops, as older files) */
	for (long i = 0; i < nentries; i++) {
		char *line = next_line(c), *end;
		int n;

		if (!line)
			return -1;
		/* The footprint is hexadecimal: check it apart. */
		strtoul(line, &end, 16);
		if (end == line || (*end != ' ' && *end != '\t')) {
			c->why = "a bad history entry";
			return -1;
		}
		n = numbers(end, v, 7);
		if (n != 7 && n != 6) {
			c->why = "a bad history entry";
			return -1;
		}
		/* StarPU asserts that each is >= 0; only flops may be nan. */
		for (int k = 0; k < n; k++)
			if (n == 7 && k == 1 ? v[k] < 0 : !(v[k] >= 0)) {
				c->why = "a negative or undefined value in a history entry";
				return -1;
			}
	}
	return 0;
}

/* The whole file (parse_model_file): NULL when StarPU can read it, else why not. */
static const char *check_text(char *text)
{
	struct cursor c = {text, NULL};
	long version, ncombs;

	if (read_int(&c, 0, 1000000, &version, "no format version") < 0)
		return c.why;
	if (version != MODEL_VERSION)
		return "not of StarPU's format 45";
	if (read_int(&c, 0, 4096, &ncombs, "a bad number of combinations") < 0)
		return c.why;
	for (long comb = 0; comb < ncombs; comb++) {
		long ndevices, nimpls, x;

		if (read_int(&c, 1, 4096, &ndevices, "a bad number of devices") < 0)
			return c.why;
		for (long d = 0; d < ndevices; d++)
			if (read_int(&c, 0, 5, &x, "a bad device type") < 0 ||
			    read_int(&c, 0, 1 << 20, &x, "a bad device id") < 0 ||
			    read_int(&c, 0, 1 << 20, &x, "a bad number of cores") < 0)
				return c.why;
		if (read_int(&c, 1, 4096, &nimpls, "a bad number of implementations") < 0)
			return c.why;
		for (long i = 0; i < nimpls; i++)
			if (check_impl(&c) < 0)
				return c.why;
	}
	return NULL;
}

const char *hetsched__modelfile_damage(const char *path)
{
	static _Thread_local char why[64];
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	const char *bad;
	long size;

	if (!f)
		return NULL; /* StarPU will not read it either */
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	if (size == 0) {
		fclose(f);
		return NULL; /* StarPU ignores an empty file */
	}
	if ((unsigned long)size > MAX_FILE || !(text = malloc((size_t)size + 1))) {
		fclose(f);
		return NULL;
	}
	if (fread(text, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[size] = '\0';
	bad = strlen(text) != (size_t)size ? "it holds NUL bytes" : check_text(text);
	if (bad)
		snprintf(why, sizeof(why), "%s", bad);
	free(text);
	return bad ? why : NULL;
}

int hetsched__modelfiles_check(const char *models)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	int moved = 0;

	if (snprintf(dir, sizeof(dir), "%scodelets/%d", models, MODEL_VERSION) >= (int)sizeof(dir))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[4096 + 256], aside[4096 + 300], stamp[32];
		const char *why;
		struct stat st;
		time_t now = time(NULL);

		/* Our codelets' models only: hetsched_<op>.<host>, not an earlier file moved aside.
		 */
		if (strncmp(e->d_name, "hetsched_", 9) || strstr(e->d_name, ".damaged-"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		why = hetsched__modelfile_damage(path);
		if (!why)
			continue;
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
		if (snprintf(aside, sizeof(aside), "%s.damaged-%s", path, stamp) >=
		    (int)sizeof(aside))
			continue;
		/* Another rank of the same launch may have moved it first. */
		if (rename(path, aside) != 0 && errno != ENOENT)
			continue;
		moved++;
		hetsched__notice("performance model %s is damaged (%s): moved aside to %s; its "
		                 "task shapes will be calibrated again",
		                 path, why, aside);
	}
	closedir(d);
	return moved;
}
