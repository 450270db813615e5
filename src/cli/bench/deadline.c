/* deadline.c: the pass deadline (--pass-timeout). A set-up or a pass that cannot finish (some
 * StarPU 1.3 policies deadlock on some worker sets) cannot be cancelled, so the study stops,
 * naming the policy, instead of hanging.
 *
 * To move to the library's one watchdog module: bench_deadline_arm/disarm then call
 * hetsched__deadline_arm(seconds, message) / hetsched__deadline_disarm(), with
 * cli_progress_erase as its hook, and this file goes. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* The message is composed before the alarm is set: the handler only writes it. */
static char deadline_msg[512];
static size_t deadline_len;

static void on_alarm(int sig)
{
	ssize_t ignored;

	cli_progress_erase();
	ignored = write(STDERR_FILENO, deadline_msg, deadline_len);
	(void)ignored;
	_exit(EXIT_RUNTIME);
}

void bench_deadline_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

void bench_deadline_arm(unsigned seconds, const char *message)
{
	if (!seconds)
		return;
	snprintf(deadline_msg, sizeof(deadline_msg), "%s", message);
	deadline_len = strlen(deadline_msg);
	alarm(seconds);
}

void bench_deadline_disarm(void)
{
	alarm(0);
}
