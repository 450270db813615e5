/* test_deadline.c: the pass deadline of tool.h (src/watchdog.c). In a child process each time:
 * a deadline that fires ends the process with status 1 after the before-fire hook ran, writing
 * the message as one line on stderr, not before its time; a disarmed deadline never fires; a
 * second arm replaces the first; bad durations and a NULL message are refused. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "tool.h"

static void hook(void)
{
	static const char text[] = "[hook]";
	ssize_t ignored = write(STDERR_FILENO, text, sizeof(text) - 1);

	(void)ignored;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Run \p body in a child whose stderr goes to \p err (size bytes, NUL-terminated); returns
 * its wait status and the seconds it took. */
static int in_child(void (*body)(void), char *err, size_t size, double *seconds)
{
	int fds[2], status = 0;
	double start = now();
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		body();
		_exit(0);
	}
	close(fds[1]);
	while (used + 1 < size && (n = read(fds[0], err + used, size - 1 - used)) > 0)
		used += (size_t)n;
	err[used] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	*seconds = now() - start;
	return status;
}

static void fires(void)
{
	hetsched__deadline_set_before_fire(hook);
	if (hetsched__deadline_arm(0.3, "deadline: a pass did not finish") != 0)
		_exit(3);
	for (;;)
		pause();
}

static void disarmed(void)
{
	if (hetsched__deadline_arm(0.2, "must not appear\n") != 0)
		_exit(3);
	hetsched__deadline_disarm();
	usleep(500000);
}

static void replaced(void)
{
	if (hetsched__deadline_arm(0.2, "first\n") != 0 ||
	    hetsched__deadline_arm(0.6, "second\n") != 0)
		_exit(3);
	for (;;)
		pause();
}

int main(void)
{
	char err[4096];
	double s;
	int st;

	st = in_child(fires, err, sizeof(err), &s);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "a deadline that fires: exit status 1 (%d)",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	tap_ok(strcmp(err, "[hook]deadline: a pass did not finish\n") == 0,
	       "the hook runs first, then the message as one line: '%s'", err);
	tap_ok(s >= 0.29 && s < 5, "it fired after %.3f s (0.3 asked)", s);

	st = in_child(disarmed, err, sizeof(err), &s);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && err[0] == '\0',
	       "a disarmed deadline does not fire (status %d, '%s')",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1, err);

	st = in_child(replaced, err, sizeof(err), &s);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 1 && strcmp(err, "second\n") == 0 && s >= 0.59,
	       "arming again replaces the deadline: '%s' after %.3f s", err, s);

	TAP_EQ_INT(hetsched__deadline_arm(0, "x"), HETSCHED_EINVAL, "0 s is refused");
	TAP_EQ_INT(hetsched__deadline_arm(-1, "x"), HETSCHED_EINVAL, "-1 s is refused");
	TAP_EQ_INT(hetsched__deadline_arm(1e9, "x"), HETSCHED_EINVAL, "1e9 s is refused");
	TAP_EQ_INT(hetsched__deadline_arm(1, NULL), HETSCHED_EINVAL, "a NULL message is refused");
	tap_ok(strstr(hetsched_last_error(), "NULL") != NULL, "and named: %s",
	       hetsched_last_error());
	return tap_done();
}
