/* chain.h: a model as the math sees it, a chain of steps from the input to the output, each
 * acting on rows of the same length (the row count never changes). Plain C, shared by the
 * model loaders (src/io/model.c, src/io/onnx*.c), the library that runs it and the --check
 * oracle (check.c), which evaluates it with its own double-precision code. */
#ifndef HETSCHED_CHAIN_H
#define HETSCHED_CHAIN_H

#include <stddef.h>

#include "epilogue.h"

enum hetsched__step_kind {
	HETSCHED_STEP_LINEAR = 0,     /* y = x W^T + b, then prog(y) (fused epilogue) */
	HETSCHED_STEP_EPILOGUE = 1,   /* y = prog(x) */
	HETSCHED_STEP_SOFTMAX = 2,    /* y = softmax(x) along the row */
	HETSCHED_STEP_LOG_SOFTMAX = 3 /* y = log_softmax(x) along the row */
};

struct hetsched__step {
	enum hetsched__step_kind kind;
	size_t in, out;   /* row lengths before and after (equal but for a linear step) */
	float *w;         /* linear: out x in, row-major, contiguous (malloc'd) */
	float *b;         /* linear: bias_rows x out (malloc'd), or NULL for none */
	size_t bias_rows; /* 1 (one bias, broadcast), or the batch's rows */
	struct hetsched_ew_prog prog; /* linear's epilogue, or the epilogue step's program */
	float *vecs;                  /* prog.nvec x out per-column constants (malloc'd), or NULL */
};

#endif
