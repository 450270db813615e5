/* watchdog.c: the one watchdog module, for the two ways a run can stop making progress that
 * StarPU cannot cancel:
 * - a stall inside StarPU (hetsched_conf.watchdog_s): StarPU's own watchdog thread notices that
 *   no task finished during a period while tasks were pending, and calls our hook;
 * - a pass that does not end in time (the tool's --pass-timeout): a deadline on SIGALRM, armed
 *   around the pass and disarmed after it.
 * Both write one line on stderr and end the process with status 1 (_exit: the application
 * thread is blocked in StarPU, so nothing else could run the normal exit path). */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <starpu.h>

#include "internal.h"
#include "tool.h"

/* ------------------------------------------------------------------ StarPU stall hook */

static double stall_s;

/* Called by StarPU's watchdog thread when no task finished during a whole period while tasks
 * were pending. StarPU cannot cancel a running task, and the application thread is blocked
 * waiting for it: name the stall and end the process (hetsched_conf.watchdog_s). */
static void stall_fired(void *arg)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg),
	                 "hetsched: watchdog: no task finished for %g s while %d task(s) were "
	                 "pending (a task that never ends, or a stalled device); giving up\n",
	                 stall_s, starpu_task_nsubmitted());
	ssize_t ignored = write(STDERR_FILENO, msg, n > 0 && n < (int)sizeof(msg) ? (size_t)n : 0);

	(void)arg;
	(void)ignored;
	_exit(1);
}

/* StarPU reads STARPU_WATCHDOG_TIMEOUT (microseconds) in starpu_init; STARPU_WATCHDOG_CRASH=1
 * makes it abort, should the hook ever return. */
void hetsched__watchdog_stall_arm(double seconds)
{
	char us[32];

	stall_s = seconds;
	snprintf(us, sizeof(us), "%.0f", seconds * 1e6 < 1 ? 1.0 : seconds * 1e6);
	setenv("STARPU_WATCHDOG_TIMEOUT", us, 1);
	setenv("STARPU_WATCHDOG_CRASH", "1", 1);
	starpu_task_watchdog_set_hook(stall_fired, NULL);
}

/* ------------------------------------------------------------------ pass deadline */

/* The message is composed when the deadline is armed: the handler only calls the hook and
 * writes it, both async-signal-safe. Two buffers, so that a signal of the previous deadline,
 * arriving while the next message is written, still finds a whole one: the new one is written
 * into the buffer not in use, then published by one sig_atomic_t store. */
struct deadline_line {
	char text[1024];
	size_t len;
};
static struct deadline_line deadline_msg[2];
static volatile sig_atomic_t deadline_current;
static void (*volatile deadline_before_fire)(void);

static void deadline_fired(int sig)
{
	void (*before)(void) = deadline_before_fire;
	int i = deadline_current;
	ssize_t ignored;

	(void)sig;
	if (before)
		before();
	ignored = write(STDERR_FILENO, deadline_msg[i].text, deadline_msg[i].len);
	(void)ignored;
	_exit(1);
}

static void deadline_timer(double seconds)
{
	struct itimerval t;

	memset(&t, 0, sizeof(t));
	t.it_value.tv_sec = (time_t)seconds;
	t.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	setitimer(ITIMER_REAL, &t, NULL);
}

int hetsched__deadline_arm(double seconds, const char *message)
{
	struct sigaction sa;
	size_t n;
	struct deadline_line *next;

	if (!(seconds > 0) || !isfinite(seconds) || seconds > 1e8)
		return hetsched__error(HETSCHED_EINVAL,
		                       "a deadline must be > 0 and at most 1e8 seconds, got %g",
		                       seconds);
	if (!message)
		return hetsched__error(HETSCHED_EINVAL, "the deadline's message is NULL");
	deadline_timer(0);
	next = &deadline_msg[!deadline_current];
	n = (size_t)snprintf(next->text, sizeof(next->text) - 1, "%s", message);
	if (n > sizeof(next->text) - 2)
		n = sizeof(next->text) - 2;
	/* One whole line, whatever the caller gave. */
	if (n == 0 || next->text[n - 1] != '\n')
		next->text[n++] = '\n';
	next->text[n] = '\0';
	next->len = n;
	deadline_current = !deadline_current;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = deadline_fired;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return hetsched__error(HETSCHED_EINVAL, "cannot install the deadline's handler");
	/* Below a microsecond, setitimer would read 0 as "stop". */
	deadline_timer(seconds < 1e-6 ? 1e-6 : seconds);
	return 0;
}

void hetsched__deadline_disarm(void)
{
	deadline_timer(0);
}

void hetsched__deadline_set_before_fire(void (*fn)(void))
{
	deadline_before_fire = fn;
}
