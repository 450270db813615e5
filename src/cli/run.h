/* run.h: what the files of `hetsched run` share: its options, the outputs (run_output.c) and
 * the stream of --batch-size (run_stream.c). */
#ifndef HETSCHED_CLI_RUN_H
#define HETSCHED_CLI_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "problem.h"

struct run_options {
	size_t batch, in, out;
	size_t hidden[CLI_MAX_LAYERS - 1];
	size_t nhidden;
	int given_batch, given_in, given_out, given_hidden;
	const char *activation, *layers;
	const char *input, *model;
	size_t ninputs; /* --input NAME=FILE */
	const char *input_names[CLI_MAX_INPUTS], *input_paths[CLI_MAX_INPUTS];
	char input_buf[CLI_MAX_INPUTS][256];
	uint64_t seed;
	size_t tile; /* 0: auto */
	size_t repeat;
	size_t batch_size; /* 0: no streaming */
	int check, json, quiet;
	const char *save, *save_input, *trace;
	const char *save_dtype_name; /* --save-dtype */
	struct cli_workers workers;
	/* run_output.c: the dtype --save and --save-input write (run_decide_dtypes) */
	enum hetsched_dtype save_dtype;
	const char *dtype_from; /* the model file whose weights gave the storage dtype, or NULL */
};

/* "hetsched: run: WHAT: <the library's last error>"; returns EXIT_RUNTIME. */
int run_fail(const char *what);

/* run_output.c: --save and --save-input (.safetensors for that extension, .npy otherwise, y in
 * its own shape, both in o->save_dtype), and the line that says the performance models are not
 * calibrated yet. */
int run_is_safetensors(const char *path);
/* The storage dtype (o->workers.dtype: --dtype, else the model file's weights' 16-bit dtype
 * unless streaming, else f32) and the dtype of the saved files (--save-dtype, else the storage
 * dtype; f32 for a stream); -1 after one line saying why not (a bad --save-dtype, bf16 into a .npy
 * file). */
int run_decide_dtypes(struct run_options *o, const struct cli_problem *p);
/* The line of the text summary that says where the storage dtype came from (none for f32). */
void run_report_dtype(const struct run_options *o);
int run_save_array(const struct run_options *o, const char *path, const char *name,
                   const float *data, size_t rows, size_t cols, size_t ld);
int run_save_output(const struct run_options *o, const struct cli_problem *p, const char *path,
                    const float *y, size_t ldy);
void run_report_calibration(const struct cli_problem *p);

/* run_stream.c: --batch-size. The options it cannot go with (-1 after printing why), and the
 * stream itself (an exit code). */
int run_check_stream_options(const struct run_options *o, const struct cli_problem *p);
int run_stream(const struct run_options *o, struct cli_problem *p);
/* Host bytes a stream holds at its peak, for the memory pre-check: batches of \p batch rows,
 * \p window of them in flight. */
double run_stream_bytes(const struct cli_problem *p, size_t batch, size_t window);

#endif
