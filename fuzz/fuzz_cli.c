/* fuzz_cli.c: libFuzzer harness of `hetsched run`'s command line: option parsing and every check
 * made before StarPU starts (sizes, tiles, policies, the files named by --input and --model, the
 * memory the problem needs, the output paths). The input is the argument vector, arguments
 * separated by NUL bytes. src/cli/run.c is linked unchanged; the linker (--wrap) redirects three
 * of its calls:
 *   cli_start              -> returns FUZZ_STARTED instead of starting StarPU: the run ends there;
 *   hetsched_topology_get  -> a fixed node of 16 GiB, without asking hwloc at every input;
 *   exit                   -> a failure while cli_run runs (the tool returns, it never exits:
 *                             not even for --help); libFuzzer's own exit calls go through.
 * Contract checked: cli_run returns EXIT_USAGE (2) with a first line "hetsched: ..." on stderr,
 * or reaches cli_start having printed nothing, or returns 0 for --help with nothing on stderr;
 * no leak, no memory error. Small
 * files for --input and --model are written to a temporary folder, made the current directory. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include <signal.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "fuzz_common.h"

#define FUZZ_STARTED 42
#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_cli_start(const struct cli_workers *w, int quiet);
int __wrap_hetsched_topology_get(struct hetsched_topology *topology);
void __wrap_exit(int status) __attribute__((noreturn));
void __real_exit(int status) __attribute__((noreturn));

static int in_cli_run;

int __wrap_cli_start(const struct cli_workers *w, int quiet)
{
	/* Whatever the options asked for is within the bounds the parser promises. */
	FUZZ_REQUIRE(w->ncpu >= -1 && w->ncpu <= 4096 && w->ncuda >= -1 && w->ncuda <= 4096 &&
	                 w->nopencl >= -1 && w->nopencl <= 4096,
	             "worker counts %d %d %d", w->ncpu, w->ncuda, w->nopencl);
	(void)quiet;
	return FUZZ_STARTED;
}

int __wrap_hetsched_topology_get(struct hetsched_topology *topology)
{
	memset(topology, 0, sizeof(*topology));
	topology->packages = topology->numa_nodes = 1;
	topology->cores = topology->pus = 2;
	topology->memory_bytes = (uint64_t)16 << 30;
	return 0;
}

void __wrap_exit(int status)
{
	FUZZ_REQUIRE(!in_cli_run, "cli_run called exit(%d)", status);
	__real_exit(status);
}

/* ------------------------------------------------------------------ files the options may name */

static void write_file(const char *name, const void *bytes, size_t len)
{
	FILE *f = fopen(name, "wb");

	FUZZ_REQUIRE(f && fwrite(bytes, 1, len, f) == len && fclose(f) == 0, "cannot write %s",
	             name);
}

/* hetsched_npy_save writes 2-D arrays; a bias is 1-D. A 128-byte preamble and header. */
static void write_vector_npy(const char *name, const float *v, size_t n)
{
	char b[128 + 16 * sizeof(float)];
	int len =
	    snprintf(b + 10, 117, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu,), }", n);

	FUZZ_REQUIRE(len > 0 && len < 117 && n <= 16, "header too long");
	memcpy(b, "\x93NUMPY\x01\x00\x76\x00", 10);
	memset(b + 10 + len, ' ', (size_t)(117 - len));
	b[127] = '\n';
	memcpy(b + 128, v, n * sizeof(float));
	write_file(name, b, 128 + n * sizeof(float));
}

/* An 8 -> 16 -> 4 model: "0.weight" F32 16x8, "0.bias" F32 16, "2.weight" F16 4x16. */
static void write_safetensors(const char *name)
{
	static const char header[] =
	    "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[16,8],\"data_offsets\":[0,512]},"
	    "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[512,576]},"
	    "\"2.weight\":{\"dtype\":\"F16\",\"shape\":[4,16],\"data_offsets\":[576,704]}}";
	size_t hlen = sizeof(header) - 1, len = 8 + hlen + 704;
	unsigned char *b = calloc(1, len);

	FUZZ_REQUIRE(b != NULL, "out of memory");
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(hlen >> (8 * i));
	memcpy(b + 8, header, hlen);
	write_file(name, b, len);
	free(b);
}

static char fuzz_dir[] = "/tmp/hetsched-fuzz-cli-XXXXXX";

/* At exit (libFuzzer's end of -max_total_time, or -runs), the folder goes. */
static void remove_files(void)
{
	static const char *const files[] = {"x.npy",
	                                    "bad.npy",
	                                    "m.safetensors",
	                                    "mdir/0.weight.npy",
	                                    "mdir/0.bias.npy",
	                                    "mdir/2.weight.npy",
	                                    "hdir/0.weight.npy",
	                                    "hdir/2.weight.npy",
	                                    NULL};

	if (chdir(fuzz_dir) != 0)
		return;
	for (int i = 0; files[i]; i++)
		unlink(files[i]);
	rmdir("mdir");
	rmdir("hdir");
	if (chdir("/") == 0)
		rmdir(fuzz_dir);
}

/* x.npy (4x8), bad.npy (truncated), m.safetensors and mdir/ (the same 8 -> 16 -> 4 model), hdir/
 * (8 -> 16 -> 4 in float16 .npy files: run's storage dtype from the model file, --save-dtype). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	float v[16 * 8];

	(void)argc;
	(void)argv;
	for (int i = 0; i < 16 * 8; i++)
		v[i] = (float)i / 64.0f - 1.0f;
	FUZZ_REQUIRE(mkdtemp(fuzz_dir) && chdir(fuzz_dir) == 0, "cannot make a temporary folder");
	atexit(remove_files);
	FUZZ_REQUIRE(hetsched_npy_save("x.npy", v, 4, 8, 8) == 0, "%s", hetsched_last_error());
	write_file("bad.npy", "\x93NUMPY\x01\x00\x10\x00{'descr':", 20);
	write_safetensors("m.safetensors");
	FUZZ_REQUIRE(mkdir("mdir", 0755) == 0, "cannot make mdir");
	FUZZ_REQUIRE(hetsched_npy_save("mdir/0.weight.npy", v, 16, 8, 8) == 0 &&
	                 hetsched_npy_save("mdir/2.weight.npy", v, 4, 16, 16) == 0,
	             "%s", hetsched_last_error());
	write_vector_npy("mdir/0.bias.npy", v, 16);
	FUZZ_REQUIRE(mkdir("hdir", 0755) == 0, "cannot make hdir");
	FUZZ_REQUIRE(
	    hetsched_npy_save_dtype("hdir/0.weight.npy", v, 16, 8, 8, HETSCHED_DTYPE_F16) == 0 &&
	        hetsched_npy_save_dtype("hdir/2.weight.npy", v, 4, 16, 16, HETSCHED_DTYPE_F16) == 0,
	    "%s", hetsched_last_error());
	return 0;
}

/* ------------------------------------------------------------------ one input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args = malloc(size + 1), *argv[MAX_ARGS + 2], *err = NULL;
	struct sigaction old_int, old_term;
	FILE *saved_stderr = stderr, *capture;
	size_t errlen = 0, start = 0;
	volatile int rc = 0;
	int argc = 1;

	FUZZ_REQUIRE(args != NULL, "out of memory");
	memcpy(args, data, size);
	args[size] = '\0';
	argv[0] = "run";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++)
		if (args[i] == '\0') {
			argv[argc++] = args + start;
			start = i + 1;
		}
	argv[argc] = NULL;

	/* glibc's getopt keeps a pointer into the previous argument vector when a parse stopped in
	 * the middle of a group of short options ("-xy"); cli_run resets optind to 1, which does
	 * not clear it. optind = 0 does: scan an empty vector once. */
	optind = 0;
	getopt(1, (char *[]){"reset", NULL}, "");

	/* cli_run installs its own SIGINT and SIGTERM handlers: libFuzzer's go back after. */
	sigaction(SIGINT, NULL, &old_int);
	sigaction(SIGTERM, NULL, &old_term);
	capture = open_memstream(&err, &errlen);
	FUZZ_REQUIRE(capture != NULL, "open_memstream failed");
	stderr = capture;
	in_cli_run = 1;
	rc = cli_run(argc, argv);
	in_cli_run = 0;
	stderr = saved_stderr;
	fclose(capture);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	if (rc == EXIT_OK)
		FUZZ_REQUIRE(errlen == 0, "--help with stderr '%.*s'", (int)errlen, err);
	else if (rc == EXIT_USAGE)
		FUZZ_REQUIRE(errlen > 11 && !strncmp(err, "hetsched: ", 10) && err[10] != '\n',
		             "exit 2 without a 'hetsched: ...' line: '%.*s'", (int)errlen, err);
	else
		FUZZ_REQUIRE(rc == FUZZ_STARTED && errlen == 0,
		             "cli_run returned %d before starting StarPU, stderr '%.*s'", (int)rc,
		             (int)errlen, err);
	free(err);
	free(args);
	return 0;
}
