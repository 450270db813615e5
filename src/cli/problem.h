/* problem.h: the work of run, bench and calibrate: y = model(x), x random or loaded, the model
 * random (PyTorch's default nn.Linear initialisation) or loaded. Described on the host first, so
 * that everything that can be refused is refused before StarPU starts; then created as tensors,
 * run pass after pass, and checked against the independent oracle. */
#ifndef HETSCHED_CLI_PROBLEM_H
#define HETSCHED_CLI_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "hetsched.h"
#include "tool.h"

#define CLI_MAX_LAYERS 65

struct cli_problem {
	/* What to compute. */
	size_t rows; /* the batch */
	size_t nlayers;
	size_t dims[CLI_MAX_LAYERS + 1];  /* dims[0] = in, dims[l + 1] = out of layer l */
	enum hetsched_activation between; /* between layers; none after the last */
	uint64_t seed;                    /* of a random input and of random weights */
	float *x_host;                    /* a loaded input (rows x dims[0]), or NULL: random */
	hetsched_model_t model;           /* loaded weights, or NULL: random */
	/* The tensors, once created. */
	size_t tile;
	hetsched_tensor_t x;
	hetsched_linear_t layer[CLI_MAX_LAYERS];
	hetsched_tensor_t act[CLI_MAX_LAYERS]; /* act[l]: output of layer l in the last pass */
	/* Host copies of what the projection check reads (cli_problem_keep_check_copies). */
	float *x_copy, *w_copy, *b_copy;
	/* The output of the last streamed pass (cli_problem_stream_pass), rows x dims[nlayers]. */
	float *y_stream;
};

/* A random problem: rows x dims[0] through nlayers layers dims[l] -> dims[l + 1]. */
void cli_problem_random(struct cli_problem *p, size_t rows, const size_t *dims, size_t nlayers,
                        enum hetsched_activation between, uint64_t seed);
/* Load the input from a .npy file (1-D is one row) or the layers from a model; 0, or -1 after
 * printing "hetsched: <command>: <the problem>". The caller matches their shapes. */
int cli_problem_load_input(struct cli_problem *p, const char *command, const char *path);
int cli_problem_load_model(struct cli_problem *p, const char *command, const char *path);

/* Bytes the problem holds at its peak: x, every layer's weight and bias, every activation, and
 * the host copies of a loaded input and model. */
double cli_problem_bytes(const struct cli_problem *p);
/* The largest of the batch and the layer widths: no tile needs to be larger. */
size_t cli_problem_largest(const struct cli_problem *p);
/* The tile --tile auto picks for this problem, from the workers of the running hetsched. */
size_t cli_auto_tile(size_t rows, const size_t *dims, size_t nlayers);

/* Create the tensors with square tiles of \p tile (0: auto) once hetsched runs: the input
 * generated where its tiles land or copied in, the layers initialised or loaded. The loaded
 * host copies are freed. 0, or -1 with \p what naming the step that failed (the reason in
 * hetsched_last_error()). */
int cli_problem_create(struct cli_problem *p, size_t tile, const char **what);
/* The layers alone (a stream reads its input batch by batch); p->rows stands for the rows of a
 * batch in the choice of an auto tile. Same returns. */
int cli_problem_create_layers(struct cli_problem *p, size_t tile, const char **what);
/* Host copies of the last layer and of x, for cli_problem_check_projection: taken once, since
 * gathering them after every pass would move the weights back to main memory and change what
 * the next pass has to transfer. */
int cli_problem_keep_check_copies(struct cli_problem *p);
/* One forward pass, timed from the first submission until the output is gathered on the host
 * (the tutorial's y.to("cpu")). The activations live until the next pass or
 * cli_problem_release_pass(), so that freeing them costs nothing inside the timed region. */
int cli_problem_pass(struct cli_problem *p, double *elapsed_s);
hetsched_tensor_t cli_problem_output(const struct cli_problem *p);
/* Bring x and every weight and bias back to main memory alone, so that the next pass starts
 * cold (x and W on the host), as after loading them from files. Not timed. */
int cli_problem_evict(struct cli_problem *p);
/* One pass as a stream: x's host copy (cli_problem_keep_check_copies, one layer) read in batches
 * of \p batch rows, the weights resident, y written to host memory (p->y_stream, which
 * cli_problem_check_projection then checks). Timed from the first row read to the last written;
 * the bytes moved each way in \p h2d and \p d2h. */
int cli_problem_stream_pass(struct cli_problem *p, size_t batch, double *elapsed_s, uint64_t *h2d,
                            uint64_t *d2h);
void cli_problem_release_pass(struct cli_problem *p);

/* The check of `run --check`: a full double-precision reference when it is cheap, a random
 * projection for one layer without activation, a sample of rows through the whole model
 * otherwise. Collective under MPI (every rank gathers; rank 0 alone checks and fills \p res). */
int cli_problem_check(struct cli_problem *p, struct hetsched__check_result *res);
/* The random projection of the last layer against its own input, from the copies kept by
 * cli_problem_keep_check_copies: O(N^2), so every timed pass of bench can afford it. */
int cli_problem_check_projection(struct cli_problem *p, uint64_t seed,
                                 struct hetsched__check_result *res);

/* Destroy the tensors and free the host data; \p p is empty afterwards. */
void cli_problem_free(struct cli_problem *p);

#endif
