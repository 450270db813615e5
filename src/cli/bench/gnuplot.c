/* gnuplot.c: running gnuplot for the charts. gnuplot is started with posix_spawnp, which finds
 * it on PATH: once before StarPU starts (gnuplot --version), so that a missing gnuplot is
 * refused before the study, and once per chart, in the plot folder, on a script written there.
 * The chart is drawn under a temporary name and renamed into place when gnuplot succeeds. */
/* posix_spawn_file_actions_addchdir_np (glibc 2.29) */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

/* Start gnuplot with args, stdin and stdout on /dev/null, stderr into the file errors (or
 * /dev/null), in the folder dir (or here); wait for it. Its exit status, or -1 when it could
 * not be started (not on PATH, dir unusable). */
static int gnuplot_spawn(char *const args[], const char *errors, const char *dir)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1, rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	/* The files are opened before the change of folder: their paths are relative to here. */
	rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
		                                      errors ? errors : "/dev/null",
		                                      O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (rc == 0 && dir)
		rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
	if (rc == 0)
		rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int bench_gnuplot_find(void)
{
	char *args[] = {"gnuplot", "--version", NULL};
	int status = gnuplot_spawn(args, NULL, NULL);

	/* 127: a shell or a wrapper that found no gnuplot either. */
	return status < 0 || status == 127 ? -1 : 0;
}

/* Run gnuplot on a script in the plot folder, then rename its output into place. The script
 * and gnuplot's messages are removed; the messages are shown when gnuplot fails. */
static int gp_run(const struct bench *b, const char *script_text, size_t len, const char *output)
{
	char script[4096], errors[4096], tmp_png[4096], png[4096];
	char *args[] = {"gnuplot", NULL, NULL};
	int fd, status;
	FILE *f;

	snprintf(script, sizeof(script), "%s/.bench-%ld.gp", b->o.plot, (long)getpid());
	snprintf(errors, sizeof(errors), "%s/.bench-%ld.err", b->o.plot, (long)getpid());
	snprintf(tmp_png, sizeof(tmp_png), "%s/%s.tmp", b->o.plot, output);
	snprintf(png, sizeof(png), "%s/%s", b->o.plot, output);
	fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, script_text, len) != (ssize_t)len) {
		cli_error("bench", "cannot write %s: %s", script, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(script);
		return -1;
	}
	close(fd);
	/* gnuplot works in the plot folder: the script names files relative to it. */
	args[1] = strrchr(script, '/') + 1;
	status = gnuplot_spawn(args, errors, b->o.plot);
	unlink(script);
	if (status != 0 || rename(tmp_png, png) != 0) {
		char line[512] = "";

		f = fopen(errors, "r");
		/* The first message gnuplot printed names the problem. */
		while (f && fgets(line, sizeof(line), f))
			if (strspn(line, " \t\n^") != strlen(line))
				break;
		if (f)
			fclose(f);
		line[strcspn(line, "\n")] = '\0';
		cli_error("bench", "gnuplot failed to draw %s%s%s", png, *line ? ": " : "", line);
		unlink(errors);
		unlink(tmp_png);
		return -1;
	}
	unlink(errors);
	return 0;
}

/* A string safe inside a gnuplot double-quoted string, also where gnuplot reads it as a format
 * (tic labels). */
void bench_gp_plain(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (; *in && o + 1 < size; in++)
		out[o++] = (*in == '"' || *in == '\\' || *in == '\'' || *in == '%' ||
		            (unsigned char)*in < 32)
		               ? '_'
		               : *in;
	out[o] = '\0';
}

/* The terminal: svg for a name ending in .svg; otherwise pngcairo when this gnuplot has it, the
 * libgd png terminal otherwise. */
void bench_gp_terminal(FILE *f, int width, int height, const char *output)
{
	size_t len = strlen(output);

	if (len >= 4 && strcasecmp(output + len - 4, ".svg") == 0) {
		fprintf(f,
		        "set terminal svg size %d,%d noenhanced font \"Sans,10\"\n"
		        "set output \"%s.tmp\"\n",
		        width, height, output);
		return;
	}
	fprintf(f,
	        "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
	        "  set terminal pngcairo size %d,%d noenhanced font \"Sans,10\"\n"
	        "} else {\n"
	        "  set terminal png size %d,%d noenhanced\n"
	        "}\n"
	        "set output \"%s.tmp\"\n",
	        width, height, width, height, output);
}

/* A script in memory (open_memstream), handed to gnuplot when complete. */
FILE *bench_gp_open(struct bench_gp_script *s)
{
	s->text = NULL;
	s->len = 0;
	s->f = open_memstream(&s->text, &s->len);
	return s->f;
}

int bench_gp_finish(const struct bench *b, struct bench_gp_script *s, const char *output)
{
	int rc;

	if (fclose(s->f) != 0) {
		free(s->text);
		return -1;
	}
	rc = gp_run(b, s->text, s->len, output);
	free(s->text);
	return rc;
}

/* A line naming the machine and the workers, for the foot of each chart. */
void bench_workers_line(const struct bench *b, char *buf, size_t size)
{
	char host[128];

	bench_gp_plain(host, sizeof(host), b->host);
	snprintf(buf, size, "%s: %d cpu + %d cuda + %d opencl workers; hetsched %s, StarPU %s",
	         host, b->nkind[HETSCHED_KIND_CPU], b->nkind[HETSCHED_KIND_CUDA],
	         b->nkind[HETSCHED_KIND_OPENCL], HETSCHED_VERSION, hetsched_starpu_version());
}
