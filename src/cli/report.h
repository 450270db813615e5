/* report.h: what `hetsched run` tells: the human summary, the JSON object, the trace. */
#ifndef HETSCHED_CLI_REPORT_H
#define HETSCHED_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tool.h"
#include "hetsched.h"

struct run_report {
	size_t batch;
	const size_t *dims; /* dims[0] = in, dims[l + 1] = out of layer l */
	size_t nlayers;
	size_t tile;
	int tile_auto;
	uint64_t seed;
	const double *times; /* sorted, one per repeat */
	size_t repeat;
	double last_s; /* the last pass, whose tasks the worker statistics describe */
	const struct hetsched__check_result *check; /* NULL without --check */
	const char *save;
	size_t save_ndim; /* the shape of a .npy --save (0: batch x out) */
	const size_t *save_shape;
	const char *save_type; /* the saved values' type: "bfloat16", "float16"; NULL: float32 */
	const struct hetsched_rank_info *ranks; /* per-rank figures (nranks entries) */
	size_t nranks;
	/* Per pass, in the order they ran (repeat entries): time, where the data started
	 * ("cold", "resident", "stream"), bytes moved host->device and device->host. */
	const double *pass_s;
	const char *const *residency;
	const uint64_t *h2d, *d2h;
	/* A stream (run --batch-size): its figures, input and batch; NULL otherwise. */
	const struct hetsched_stream_stats *stream;
	const char *input;
	size_t batch_rows;
};

void report_print_text(const struct run_report *r);
void report_print_json(const struct run_report *r);
/* Chrome trace events of the recorded tasks, written atomically; 0 or a negative code. */
int report_write_trace(const char *path);

#endif
