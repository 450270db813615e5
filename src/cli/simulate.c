/* simulate.c: the tool on a simulated node (--simulate NODE.tar.gz, a simulation build) and the
 * bundle that describes a real node (calibrate --export).
 *
 * StarPU's SimGrid loads the platform of $STARPU_HOME before main() runs, and a process can run
 * one StarPU only (a second starpu_init deadlocks in SimGrid). So a command given --simulate
 * unpacks the bundle, lets the library build a STARPU_HOME for the node with --gpus GPUs and
 * --cpus CPU workers, and runs itself again, with the same arguments, on that node; the first
 * process only waits for it and removes the folder. The bundle is a gzip'd tar of one folder,
 * hetsched-node/, packed and unpacked by tar(1). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "simulate.h"
#include "tool.h"

#define BUNDLE_FOLDER "hetsched-node"

char **cli_program_argv;

/* Run tar with these arguments, its messages on stderr; 0 when it succeeds. */
static int run_tar(char *const args[])
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp("tar", args);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void remove_tree(const char *dir)
{
	char *args[] = {"rm", "-rf", (char *)dir, NULL};
	pid_t pid;

	if (!dir || !*dir)
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execvp("rm", args);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

static int make_temp_dir(char *dir, size_t size)
{
	snprintf(dir, size, "%s/hetsched-sim-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

int cli_simulate_unpack(const char *command, const char *bundle, char *dir, size_t size,
                        char *node_dir, size_t node_size)
{
	char *args[] = {"tar", "-xzf", (char *)bundle, "-C", dir, BUNDLE_FOLDER, NULL};

	if (access(bundle, R_OK) != 0) {
		cli_error(command, "--simulate: cannot read %s: %s", bundle, strerror(errno));
		return -1;
	}
	if (make_temp_dir(dir, size) < 0) {
		cli_error(command, "cannot create a temporary folder: %s", strerror(errno));
		return -1;
	}
	args[4] = dir;
	if (run_tar(args) < 0) {
		cli_error(command,
		          "--simulate: %s is not a node bundle (a .tar.gz holding %s/, written by "
		          "hetsched calibrate --export)",
		          bundle, BUNDLE_FOLDER);
		remove_tree(dir);
		return -1;
	}
	snprintf(node_dir, node_size, "%s/" BUNDLE_FOLDER, dir);
	return 0;
}

int cli_simulate_enter(const char *command, const struct cli_workers *w)
{
	struct hetsched__node_summary node;
	char dir[4096], node_dir[4200], home[4200], host[256], num[32];
	int gpus, cpus, status, rc;
	pid_t pid;

	if (!w->simulate) {
		if (w->sim_gpus >= 0 || w->sim_cpus >= 0) {
			cli_error(command,
			          "--gpus and --cpus describe a simulated node: they go with "
			          "--simulate NODE.tar.gz");
			return EXIT_USAGE;
		}
		if (hetsched_is_simulation() && getenv("HETSCHED_SIM_BOOT")) {
			cli_error(
			    command,
			    "this is a simulation build (StarPU runs with SimGrid, nothing is "
			    "computed): give the node to simulate with --simulate NODE.tar.gz "
			    "(made by hetsched calibrate --export on that node)");
			return EXIT_USAGE;
		}
		return CLI_SIM_CONTINUE;
	}
	if (!hetsched_is_simulation()) {
		cli_error(command,
		          "--simulate needs a simulation build of hetsched: configure it against a "
		          "StarPU built with SimGrid (scripts/check-simulation.sh builds both)");
		return EXIT_USAGE;
	}
	/* The second run, on the node: carry on. */
	if (getenv("HETSCHED_SIMULATED_HOME"))
		return CLI_SIM_CONTINUE;

	if (cli_simulate_unpack(command, w->simulate, dir, sizeof(dir), node_dir,
	                        sizeof(node_dir)) < 0)
		return EXIT_USAGE;
	rc = EXIT_USAGE;
	if (hetsched__node_read(node_dir, &node) < 0) {
		cli_error(command, "--simulate %s: %s", w->simulate, hetsched_last_error());
		goto out;
	}
	gpus = w->sim_gpus >= 0 ? w->sim_gpus : node.ngpus;
	cpus = w->sim_cpus >= 0 ? w->sim_cpus : node.cpu_workers;
	snprintf(home, sizeof(home), "%s/home", dir);
	if (hetsched__node_simulate_home(node_dir, gpus, cpus, home, host, sizeof(host)) < 0) {
		cli_error(command, "--simulate %s: %s", w->simulate, hetsched_last_error());
		goto out;
	}
	setenv("STARPU_HOME", home, 1);
	setenv("STARPU_HOSTNAME", host, 1);
	unsetenv("STARPU_PERF_MODEL_DIR");
	unsetenv("HETSCHED_SIM_BOOT");
	/* The node's GPUs are identical: one model serves them all. */
	setenv("STARPU_PERF_MODEL_HOMOGENEOUS_CUDA", "1", 1);
	setenv("HETSCHED_SIMULATED_HOME", home, 1);
	setenv("HETSCHED_SIMULATED_NODE", w->simulate, 1);
	snprintf(num, sizeof(num), "%d", gpus);
	setenv("HETSCHED_SIMULATED_GPUS", num, 1);
	setenv("STARPU_NCUDA", num, 1);
	snprintf(num, sizeof(num), "%d", cpus);
	setenv("HETSCHED_SIMULATED_CPUS", num, 1);
	setenv("STARPU_NCPU", num, 1);
	setenv("STARPU_NOPENCL", "0", 1);

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cli_error(command, "cannot start the simulation: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (pid == 0) {
		int argc = 0;
		char **argv;

		while (cli_program_argv[argc])
			argc++;
		argv = calloc((size_t)argc + 2, sizeof(*argv));
		if (!argv)
			_exit(EXIT_RUNTIME);
		/* SimGrid takes its own options out of argv before main() sees them: keep its
		 * log to warnings (it reports each setting of the platform otherwise). */
		argv[0] = cli_program_argv[0];
		argv[1] = "--log=xbt_cfg.thres:warning";
		memcpy(argv + 2, cli_program_argv + 1, (size_t)argc * sizeof(*argv));
		execv("/proc/self/exe", argv);
		fprintf(stderr, "hetsched: %s: cannot run itself again (/proc/self/exe): %s\n",
		        command, strerror(errno));
		_exit(EXIT_RUNTIME);
	}
	/* The signals reach both processes; the second one cleans up its outputs. */
	cli_signals_install("");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_RUNTIME;
out:
	remove_tree(dir);
	return rc;
}

const char *cli_simulated_node(int *gpus, int *cpus)
{
	const char *node =
	    getenv("HETSCHED_SIMULATED_HOME") ? getenv("HETSCHED_SIMULATED_NODE") : NULL;

	if (node) {
		*gpus = atoi(getenv("HETSCHED_SIMULATED_GPUS") ? getenv("HETSCHED_SIMULATED_GPUS")
		                                               : "0");
		*cpus = atoi(getenv("HETSCHED_SIMULATED_CPUS") ? getenv("HETSCHED_SIMULATED_CPUS")
		                                               : "0");
	}
	return node;
}

/* ------------------------------------------------------------------ export */

int cli_export_bundle(const char *command, const char *path, const char *json_text)
{
	char dir[4096], node_dir[4200], tmp[8300], abs_path[8200], cwd[4096];
	char *args[] = {"tar", "-czf", tmp, "-C", dir, BUNDLE_FOLDER, NULL};
	int rc = -1;

	if (make_temp_dir(dir, sizeof(dir)) < 0) {
		cli_error(command, "cannot create a temporary folder: %s", strerror(errno));
		return -1;
	}
	snprintf(node_dir, sizeof(node_dir), "%s/" BUNDLE_FOLDER, dir);
	if (hetsched__node_export(node_dir, json_text) < 0) {
		cli_error(command, "--export: %s", hetsched_last_error());
		goto out;
	}
	/* tar runs in another folder: give it an absolute name, written beside the target then
	 * renamed, so that a failed export leaves no half-written bundle. */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(abs_path, sizeof(abs_path), "%.4000s/%.4000s", cwd, path);
	else
		snprintf(abs_path, sizeof(abs_path), "%.4000s", path);
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", abs_path, (long)getpid());
	if (run_tar(args) < 0 || rename(tmp, abs_path) != 0) {
		cli_error(command, "--export: cannot write %s", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	remove_tree(dir);
	return rc;
}
