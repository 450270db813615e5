/* run_output.c: what `hetsched run` writes besides its report: y and x as .safetensors or .npy
 * files (whole or not at all, through the library's atomic writer), and the one line that says
 * StarPU's performance models are not calibrated yet for this run. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "run.h"
#include "tool.h"

int run_is_safetensors(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	return len >= 12 && !strcasecmp(path + len - 12, ".safetensors");
}

/* --save and --save-input: a .safetensors file (one tensor, \p name) for that extension, what
 * PyTorch users load with safetensors.torch.load_file; a .npy file otherwise. */
int run_save_array(const char *path, const char *name, const float *data, size_t rows, size_t cols,
                   size_t ld)
{
	if (run_is_safetensors(path))
		return hetsched_safetensors_save(path, name, data, rows, cols, ld);
	return hetsched_npy_save(path, data, rows, cols, ld);
}

/* y in its own shape in a .npy file: 1-D in, 1-D out; an ONNX model's output shape. */
int run_save_output(const struct cli_problem *p, const char *path, const float *y, size_t ldy)
{
	size_t cols = p->dims[p->nlayers];
	float *packed = NULL;
	int rc;

	/* A .safetensors output holds the rows x columns matrix. */
	if (p->y_ndim == 0 || run_is_safetensors(path))
		return run_save_array(path, "y", y, p->rows, cols, ldy);
	if (ldy != cols) {
		packed = malloc(p->rows * cols * sizeof(float));
		if (!packed)
			return -1;
		for (size_t r = 0; r < p->rows; r++)
			memcpy(packed + r * cols, y + r * ldy, cols * sizeof(float));
		y = packed;
	}
	rc = hetsched_npy_save_shape(path, y, p->y_ndim, p->y_shape);
	free(packed);
	return rc;
}

/* StarPU's own warnings are silenced (see cli_start): one line of ours instead, when the
 * policy schedules from performance models that lack samples for the tasks of this run. */
void run_report_calibration(const struct cli_problem *p)
{
	size_t nclasses = 0, npairs = 0;
	int square = p->nlayers == 1 && p->rows == p->dims[0] && p->rows == p->dims[1];

	if (!hetsched_sched_uses_models(hetsched_sched_name()) ||
	    hetsched_perfmodel_uncalibrated(&nclasses, &npairs) < 0 || npairs == 0)
		return;
	if (square)
		fprintf(
		    stderr,
		    "hetsched: run: StarPU's performance models are not calibrated yet for this "
		    "shape (%zu x %zu -> %zu, tile %zu: %zu of the (task shape, worker kind) pairs "
		    "lack samples), so the first runs may be slower; `hetsched calibrate --sizes "
		    "%zu --tile %zu` calibrates them\n",
		    p->rows, p->dims[0], p->dims[1], p->tile, npairs, p->rows, p->tile);
	else
		fprintf(
		    stderr,
		    "hetsched: run: StarPU's performance models are not calibrated yet for this "
		    "shape (batch %zu, tile %zu: %zu of the (task shape, worker kind) pairs lack "
		    "samples), so the first runs may be slower; `hetsched calibrate --tile %zu` "
		    "calibrates them\n",
		    p->rows, p->tile, npairs, p->tile);
}
