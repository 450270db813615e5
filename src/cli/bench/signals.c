/* signals.c: how the study ends early. SIGINT and SIGTERM end it at once with exit code 1;
 * nothing has been written yet but complete traces, and the final outputs are written with these
 * signals blocked. The pass deadline (--pass-timeout) ends it when a set-up or a pass cannot
 * finish: some StarPU 1.3 policies deadlock on some worker sets, and a pass cannot be cancelled.
 *
 * Both are to move to the tool's session (signals) and the library's one watchdog module
 * (hetsched__deadline_arm/disarm): only bench_deadline_arm/disarm and the two signal functions
 * below then change. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* Set while the progress line is on the terminal: the handlers erase it before their message. */
volatile sig_atomic_t bench_progress_on_line;

static void on_signal(int sig)
{
	static const char clear[] = "\r\033[K";
	static const char msg[] = "hetsched: bench: interrupted, no CSV, plot or report written\n";
	ssize_t ignored = 0;

	if (bench_progress_on_line)
		ignored = write(STDERR_FILENO, clear, sizeof(clear) - 1);
	ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)ignored;
	_exit(EXIT_RUNTIME);
}

/* The message is composed before the alarm is set: the handler only writes it. */
static char deadline_msg[512];
static size_t deadline_len;

static void on_alarm(int sig)
{
	static const char clear[] = "\r\033[K";
	ssize_t ignored = 0;

	if (bench_progress_on_line)
		ignored = write(STDERR_FILENO, clear, sizeof(clear) - 1);
	ignored = write(STDERR_FILENO, deadline_msg, deadline_len);
	(void)ignored;
	_exit(EXIT_RUNTIME);
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

void bench_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
}

void bench_signals_block(int block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}
