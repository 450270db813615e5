/* onnx_load.c: an ONNX file as the chain of steps of model.h, or a refusal naming the node:
 * read (onnx.c), then compiled node by node (onnx_nodes.c) for one row count after another,
 * the input's last dimension as the columns first, until every node accepts the view. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io/onnx_chain.h"

/* One attempt with c->rows fixed. */
static int compile(struct hetsched__oc *c, const size_t *in_dims, size_t in_ndim)
{
	const Onnx__GraphProto *graph = c->graph;
	struct hetsched__oc_value *out;

	c->cols = hetsched__oc_prod(in_dims, 0, in_ndim) / c->rows;
	c->node = 0;
	HETSCHED_CALL(hetsched__oc_new_value(c, c->g->input, 0, in_dims, in_ndim));
	c->vals[0].last = hetsched__oc_last_use(c, c->g->input);
	for (c->node = 0; c->node < graph->n_node; c->node++)
		HETSCHED_CALL(hetsched__oc_node(c, graph->node[c->node]));
	if (graph->n_output != 1)
		return hetsched__error(HETSCHED_EINVAL,
		                       "%s: the graph has %zu outputs; one is "
		                       "supported",
		                       c->g->path, graph->n_output);
	out = hetsched__oc_find(c, graph->output[0]->name);
	if (!out)
		return hetsched__error(HETSCHED_EINVAL,
		                       "%s: the output '%s' does not come from the "
		                       "input through the chain",
		                       c->g->path, graph->output[0]->name);
	c->node = graph->n_node ? graph->n_node - 1 : 0;
	HETSCHED_CALL(hetsched__oc_flush(c, out));
	c->m->out_ndim = out->ndim;
	memcpy(c->m->out_shape, out->dims, out->ndim * sizeof(size_t));
	return 0;
}

static void reset(struct hetsched__oc *c)
{
	struct hetsched__model *m = c->m;

	for (size_t s = 0; s < m->nsteps; s++) {
		free(m->steps[s].w);
		free(m->steps[s].b);
		free(m->steps[s].vecs);
	}
	memset(m->steps, 0, (2 * c->graph->n_node + 2) * sizeof(*m->steps));
	m->nsteps = m->nlayers = 0;
	m->weight_dtypes = 0;
	c->nvals = 0;
	memset(&c->prog, 0, sizeof(c->prog));
	free(c->vecs);
	c->vecs = NULL;
}

/* The shape the input will have: given, or declared (symbolic dimensions = batch). */
static int input_shape(const struct hetsched__onnx *g, const struct hetsched_model_options *o,
                       size_t *dims, size_t *ndim)
{
	if (o && o->input_ndim) {
		if (o->input_ndim > HETSCHED__ONNX_MAX_NDIM)
			return hetsched__error(
			    HETSCHED_ESHAPE, "input has %zu dimensions (at most 8)", o->input_ndim);
		*ndim = o->input_ndim;
		memcpy(dims, o->input_shape, *ndim * sizeof(size_t));
		if (g->input_ndim && g->input_ndim != *ndim)
			return hetsched__error(HETSCHED_ESHAPE,
			                       "%s: input '%s' is %zu-D but the "
			                       "model's is %zu-D",
			                       g->path, g->input, *ndim, g->input_ndim);
		for (size_t d = 0; d < g->input_ndim; d++)
			if (g->input_dims[d] > 0 && (size_t)g->input_dims[d] != dims[d])
				return hetsched__error(
				    HETSCHED_ESHAPE,
				    "%s: input '%s' has dimension %zu of %zu but the "
				    "model's is %lld",
				    g->path, g->input, d, dims[d], (long long)g->input_dims[d]);
		return 0;
	}
	if (!g->input_ndim)
		return hetsched__error(HETSCHED_ESHAPE,
		                       "%s: input '%s' has no declared shape: give "
		                       "an input",
		                       g->path, g->input);
	*ndim = g->input_ndim;
	for (size_t d = 0, numel = 1; d < *ndim; d++) {
		dims[d] = g->input_dims[d] > 0 ? (size_t)g->input_dims[d]
		                               : (o && o->batch ? o->batch : 1);
		/* The declared shape sizes what the reader allocates for constants per column: it
		 * must be a shape someone could feed. */
		if (__builtin_mul_overflow(numel, dims[d], &numel) || numel > (1ull << 31))
			return hetsched__error(
			    HETSCHED_ESHAPE,
			    "%s: input '%s' declares more than 2^31 elements: give "
			    "an input",
			    g->path, g->input);
	}
	return 0;
}

/* One line naming the steps, as model.c writes it for state_dicts (this file may not call
 * model.c, which calls it). */
static void summarize(struct hetsched__model *m)
{
	size_t cap = 64 * m->nsteps + 16, used = 0;
	char *s = malloc(cap);

	if (!s)
		return;
	s[0] = '\0';
	for (size_t i = 0; i < m->nsteps; i++) {
		const struct hetsched__step *st = &m->steps[i];
		const char *sep = i ? ", " : "";

		if (st->kind == HETSCHED_STEP_LINEAR)
			used +=
			    (size_t)snprintf(s + used, cap - used, "%slinear %zu->%zu%s", sep,
			                     st->in, st->out, st->prog.n ? " + element-wise" : "");
		else
			used +=
			    (size_t)snprintf(s + used, cap - used, "%s%s", sep,
			                     st->kind == HETSCHED_STEP_EPILOGUE  ? "element-wise"
			                     : st->kind == HETSCHED_STEP_SOFTMAX ? "softmax"
			                                                         : "log_softmax");
		if (used >= cap)
			break;
	}
	if (!m->nsteps)
		snprintf(s, cap, "identity");
	m->summary = s;
}

int hetsched__onnx_load(const char *path, const struct hetsched_model_options *options,
                        struct hetsched__model *m)
{
	struct hetsched__onnx g;
	struct hetsched__oc c = {0};
	size_t dims[HETSCHED__ONNX_MAX_NDIM], ndim = 0, cand[HETSCHED__ONNX_MAX_NDIM + 1],
	                                      ncand = 0;
	int rc, first_rc = 0;
	char first_msg[512] = "";

	HETSCHED_CALL(hetsched__onnx_read(path, options, &g));
	m->onnx = 1;
	c.g = &g;
	c.graph = g.proto->graph;
	c.m = m;
	HETSCHED_TRY(rc, input_shape(&g, options, dims, &ndim), out);
	/* A model exported in half precision (model.half(), .bfloat16()) declares a 16-bit input:
	 * its values come in as floats all the same, stored in the run's dtype. */
	if (g.input_elem_type && g.input_elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
	    g.input_elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 &&
	    g.input_elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16) {
		rc = hetsched__error(HETSCHED_EDTYPE,
		                     "%s: input '%s' has ONNX data type %d; "
		                     "hetsched runs float data (float32, float16, bfloat16)",
		                     path, g.input, g.input_elem_type);
		goto out;
	}
	m->in_ndim = ndim;
	memcpy(m->in_shape, dims, ndim * sizeof(size_t));
	/* Gemm's transA on the input: the data run transposed from the start. */
	for (size_t i = 0; i < c.graph->n_node; i++) {
		const Onnx__NodeProto *n = c.graph->node[i];

		if (n->n_input && !strcmp(n->input[0], g.input)) {
			if (!strcmp(HETSCHED__OC_STR(n->op_type), "Gemm") &&
			    hetsched__oc_attr_i(n, "transA", 0) && ndim == 2) {
				size_t t = dims[0];

				dims[0] = dims[1];
				dims[1] = t;
				m->transpose_input = 1;
			}
			break;
		}
	}
	/* A node adds at most two steps (the program it ends, and its own). */
	m->steps = calloc(2 * c.graph->n_node + 2, sizeof(*m->steps));
	c.vals = calloc(c.graph->n_node * 2 + 2, sizeof(*c.vals));
	if (!m->steps || !c.vals) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* Row counts to try: the last dimension as columns first. */
	for (size_t k = ndim; k-- > 0;)
		cand[ncand++] = hetsched__oc_prod(dims, 0, k);
	cand[ncand++] = hetsched__oc_prod(dims, 0, ndim);
	for (size_t k = 0; k < ncand; k++) {
		if (k > 0 && cand[k] == cand[k - 1])
			continue;
		c.rows = cand[k];
		if (c.rows == 0)
			continue;
		reset(&c);
		rc = compile(&c, dims, ndim);
		if (rc == 0)
			break;
		if (!first_rc) {
			first_rc = rc;
			snprintf(first_msg, sizeof(first_msg), "%s", hetsched_last_error());
		}
	}
	if (rc < 0 || ncand == 0) {
		rc = first_rc ? hetsched__error(first_rc, "%s", first_msg)
		              : hetsched__error(HETSCHED_ESHAPE, "%s: empty input", path);
		goto out;
	}
	m->rows = c.rows;
	summarize(m);
out:
	free(c.vals);
	free(c.vecs);
	hetsched__onnx_free(&g);
	return rc;
}
