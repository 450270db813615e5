/* run_output.c: what `hetsched run` writes besides its report: y and x as .safetensors or .npy
 * files (whole or not at all, through the library's atomic writer) in the dtype chosen here
 * (the storage dtype, which a 16-bit model file sets when no --dtype is given, or
 * --save-dtype), and the lines that say that dtype and that StarPU's performance models are
 * not calibrated yet for this run. */
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

int run_decide_dtypes(struct run_options *o, const struct cli_problem *p)
{
	const char *outputs[2] = {o->save, o->save_input};
	enum hetsched_dtype model = p->model ? hetsched_model_dtype(p->model) : HETSCHED_DTYPE_F32;

	/* A model stored in 16 bits runs in that dtype unless told otherwise: its values are
	 * exact there, and it takes half the memory and bandwidth. A stream (--batch-size) runs
	 * f32 tensors only. */
	if (!o->workers.dtype_set && !o->batch_size && model != HETSCHED_DTYPE_F32) {
		o->workers.dtype = model;
		o->dtype_from = o->model;
	}
	o->save_dtype = o->batch_size ? HETSCHED_DTYPE_F32 : o->workers.dtype;
	if (o->save_dtype_name && hetsched_dtype_parse(o->save_dtype_name, &o->save_dtype) < 0) {
		cli_error("run", "--save-dtype: %s", hetsched_last_error());
		return -1;
	}
	if (o->batch_size && o->save_dtype != HETSCHED_DTYPE_F32) {
		cli_error("run", "--save-dtype %s: a stream (--batch-size) writes f32 .npy files",
		          o->save_dtype_name);
		return -1;
	}
	for (size_t i = 0; i < 2; i++)
		if (outputs[i] && o->save_dtype == HETSCHED_DTYPE_BF16 &&
		    !run_is_safetensors(outputs[i])) {
			cli_error("run",
			          "%s %s: .npy has no bfloat16 (numpy has none) and %s: "
			          "use --save-dtype f32 (or f16), or save to a .safetensors file",
			          i ? "--save-input" : "--save", outputs[i],
			          o->save_dtype_name ? "--save-dtype is bf16"
			                             : "the tensors are stored in bf16");
			return -1;
		}
	return 0;
}

void run_report_dtype(const struct run_options *o)
{
	if (o->dtype_from)
		printf("dtype: %s, as the weights in %s (--dtype f32 to store FP32); saved as %s\n",
		       hetsched_dtype_name(o->workers.dtype), o->dtype_from,
		       hetsched_dtype_name(o->save_dtype));
	else if (o->save_dtype != o->workers.dtype && (o->save || o->save_input))
		printf("dtype: %s; saved as %s\n", hetsched_dtype_name(o->workers.dtype),
		       hetsched_dtype_name(o->save_dtype));
}

/* --save and --save-input: a .safetensors file (one tensor, \p name) for that extension, what
 * PyTorch users load with safetensors.torch.load_file; a .npy file otherwise; in
 * o->save_dtype (16 bits: rounded to nearest even, which keeps the bits of values stored in
 * that dtype). */
int run_save_array(const struct run_options *o, const char *path, const char *name,
                   const float *data, size_t rows, size_t cols, size_t ld)
{
	if (run_is_safetensors(path))
		return hetsched_safetensors_save_dtype(path, name, data, rows, cols, ld,
		                                       o->save_dtype);
	return hetsched_npy_save_dtype(path, data, rows, cols, ld, o->save_dtype);
}

/* y in its own shape in a .npy file: 1-D in, 1-D out; an ONNX model's output shape. */
int run_save_output(const struct run_options *o, const struct cli_problem *p, const char *path,
                    const float *y, size_t ldy)
{
	size_t cols = p->dims[p->nlayers];

	/* A .safetensors output holds the rows x columns matrix. */
	if (p->y_ndim == 0 || run_is_safetensors(path))
		return run_save_array(o, path, "y", y, p->rows, cols, ldy);
	return hetsched__npy_write(path, y, HETSCHED_DTYPE_F32, p->rows, cols, ldy, p->y_ndim,
	                           p->y_shape, o->save_dtype);
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
