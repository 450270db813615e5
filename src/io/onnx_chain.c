/* onnx_chain.c: the values of the chain and the pending element-wise program, for the graph
 * compiler (onnx_nodes.c compiles each node, onnx_load.c drives it).
 *
 * The graph must be a chain from its input to its one output: linear nodes (Gemm, MatMul,
 * BatchNormalization folded into the layer before it), row-wise nodes (Softmax, LogSoftmax) and
 * element-wise nodes between the chain's values and constants. The element-wise nodes after a
 * step are gathered into one program (codelets/epilogue.h) whose registers hold the values
 * still needed, so that SiLU's x * sigmoid(x) or GELU written as Div, Erf, Add, Mul, Mul runs as
 * one fused epilogue; the next linear or row-wise node ends the program.
 *
 * Every step acts on the rows of one 2-D view of the data, rows x columns, the rows being the
 * product of the leading dimensions: a linear node needs the columns to be the last dimension,
 * a constant operand must not vary along the rows, and reshapes (Flatten, Reshape, Squeeze,
 * Unsqueeze) must keep the rows. The row count that satisfies every node is found by trying
 * each split of the input's shape, the last dimension first. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io/model.h"
#include "io/onnx.h"
#include "io/onnx_chain.h"

/* Product of d[from, to), SIZE_MAX when it overflows (no shape matches it then). */
size_t hetsched__oc_prod(const size_t *d, size_t from, size_t to)
{
	size_t p = 1;

	for (size_t k = from; k < to; k++)
		if (__builtin_mul_overflow(p, d[k], &p))
			return SIZE_MAX;
	return p;
}

static const char *node_name(const Onnx__NodeProto *n)
{
	return n->name && *n->name ? n->name : (n->n_output ? n->output[0] : "");
}

int hetsched__oc_refuse(const struct hetsched__oc *c, const char *why)
{
	const Onnx__NodeProto *n = c->graph->node[c->node];

	return hetsched__error(HETSCHED_EINVAL, "%s: node '%s' (%s): %s", c->g->path, node_name(n),
	                       HETSCHED__OC_STR(n->op_type), why);
}

/* Attributes, with their defaults. */
const Onnx__AttributeProto *hetsched__oc_attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t k = 0; k < n->n_attribute; k++)
		if (n->attribute[k]->name && !strcmp(n->attribute[k]->name, name))
			return n->attribute[k];
	return NULL;
}

float hetsched__oc_attr_f(const Onnx__NodeProto *n, const char *name, float dflt)
{
	const Onnx__AttributeProto *a = hetsched__oc_attr(n, name);

	return a ? a->f : dflt;
}

int64_t hetsched__oc_attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
	const Onnx__AttributeProto *a = hetsched__oc_attr(n, name);

	return a ? a->i : dflt;
}

int hetsched__oc_last_use(const struct hetsched__oc *c, const char *name)
{
	int last = -1;

	for (size_t k = 0; k < c->graph->n_output; k++)
		if (!strcmp(HETSCHED__OC_STR(c->graph->output[k]->name), name))
			return INT32_MAX;
	for (size_t i = c->node + 1; i < c->graph->n_node; i++)
		for (size_t k = 0; k < c->graph->node[i]->n_input; k++)
			if (!strcmp(c->graph->node[i]->input[k], name))
				last = (int)i;
	return last;
}

struct hetsched__oc_value *hetsched__oc_find(const struct hetsched__oc *c, const char *name)
{
	for (size_t k = 0; k < c->nvals; k++)
		if (!strcmp(c->vals[k].name, name))
			return &c->vals[k];
	return NULL;
}

/* Whether the rows are a prefix product of a shape; the smallest such prefix in *j. */
int hetsched__oc_split(const struct hetsched__oc *c, const size_t *dims, size_t ndim, size_t *j)
{
	for (size_t k = 0; k <= ndim; k++)
		if (hetsched__oc_prod(dims, 0, k) == c->rows) {
			*j = k;
			return 1;
		}
	return 0;
}

int hetsched__oc_new_value(struct hetsched__oc *c, const char *name, int reg, const size_t *dims,
                           size_t ndim)
{
	struct hetsched__oc_value *v = &c->vals[c->nvals++];
	size_t j;

	v->name = name;
	v->reg = reg;
	v->last = hetsched__oc_last_use(c, name);
	v->ndim = ndim;
	memcpy(v->dims, dims, ndim * sizeof(size_t));
	if (!hetsched__oc_split(c, dims, ndim, &j))
		return hetsched__oc_refuse(
		    c, "its output does not keep the rows of the data (a reshape that "
		       "mixes rows)");
	return 0;
}

/* A register no live value holds (values read by this node count as dead: an instruction reads
 * before it writes). */
int hetsched__oc_free_reg(struct hetsched__oc *c)
{
	for (int r = 0; r < HETSCHED_EW_NREGS; r++) {
		int busy = 0;

		for (size_t k = 0; k < c->nvals; k++)
			busy |= c->vals[k].reg == r && c->vals[k].last > (int)c->node;
		if (!busy)
			return r;
	}
	return hetsched__oc_refuse(c, "the element-wise tail needs more than 4 values at once");
}

int hetsched__oc_emit(struct hetsched__oc *c, uint32_t code, float p0, float p1)
{
	if (c->prog.n == HETSCHED_EW_MAX_INSNS)
		return hetsched__oc_refuse(
		    c, "the element-wise tail after a layer has more than 16 operations");
	c->prog.code[c->prog.n] = code;
	c->prog.p0[c->prog.n] = p0;
	c->prog.p1[c->prog.n] = p1;
	c->prog.n++;
	return 0;
}

/* End the pending program with \p head as its result: fused into the linear step before it
 * when there is one, else a step of its own. */
int hetsched__oc_flush(struct hetsched__oc *c, struct hetsched__oc_value *head)
{
	struct hetsched__model *m = c->m;
	struct hetsched__step *last = m->nsteps ? &m->steps[m->nsteps - 1] : NULL;

	if (head->reg != 0)
		HETSCHED_CALL(hetsched__oc_emit(
		    c, HETSCHED_EW_CODE(HETSCHED_EW_COPY, 0, head->reg, 0, 0, 0), 0, 0));
	head->reg = 0;
	if (c->prog.n == 0)
		return 0;
	if (!last || last->kind != HETSCHED_STEP_LINEAR || last->prog.n) {
		last = &m->steps[m->nsteps++];
		last->kind = HETSCHED_STEP_EPILOGUE;
		last->in = last->out = c->cols;
	}
	last->prog = c->prog;
	if (c->prog.nvec) {
		last->vecs = malloc(c->prog.nvec * c->cols * sizeof(float));
		if (!last->vecs)
			return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
		memcpy(last->vecs, c->vecs, c->prog.nvec * c->cols * sizeof(float));
	}
	memset(&c->prog, 0, sizeof(c->prog));
	/* The next program may have other columns (after a linear step). */
	free(c->vecs);
	c->vecs = NULL;
	return 0;
}

/* Before a linear or row-wise node on \p v: no other value of the chain may be needed later
 * (the graph would branch), and the pending program ends with v. */
int hetsched__oc_take_head(struct hetsched__oc *c, struct hetsched__oc_value *v)
{
	for (size_t k = 0; k < c->nvals; k++)
		if (c->vals[k].reg != v->reg && c->vals[k].last > (int)c->node)
			return hetsched__oc_refuse(
			    c, "the graph branches: another value of the chain is used "
			       "after this node");
	return hetsched__oc_flush(c, v);
}

/* A constant operand of an element-wise node, broadcast against the chain value \p v: a scalar
 * (*is_scalar), or one value per column of the view (vec, c->cols values). Its broadcast shape
 * in out_dims / *out_ndim. */
int hetsched__oc_constant_operand(struct hetsched__oc *c, const struct hetsched__oc_value *v,
                                  const struct hetsched__onnx_const *k, int *is_scalar,
                                  float *scalar, float *vec, size_t *out_dims, size_t *out_ndim)
{
	size_t nd = v->ndim > k->ndim ? v->ndim : k->ndim, j, kd[HETSCHED__ONNX_MAX_NDIM],
	       vd[HETSCHED__ONNX_MAX_NDIM];

	/* Right-aligned shapes, padded with ones. */
	for (size_t d = 0; d < nd; d++) {
		vd[d] = d + v->ndim >= nd ? v->dims[d + v->ndim - nd] : 1;
		kd[d] = d + k->ndim >= nd ? k->dims[d + k->ndim - nd] : 1;
		if (vd[d] != kd[d] && kd[d] != 1)
			return hetsched__oc_refuse(
			    c, "a constant operand would broadcast the data to a larger shape");
		out_dims[d] = vd[d];
	}
	*out_ndim = nd;
	*is_scalar = k->numel == 1;
	if (*is_scalar) {
		*scalar = k->f[0];
		return 0;
	}
	if (!hetsched__oc_split(c, vd, nd, &j))
		return hetsched__oc_refuse(c,
		                           "a constant operand does not fit the rows of the data");
	for (size_t d = 0; d < j; d++)
		if (kd[d] != 1)
			return hetsched__oc_refuse(
			    c, "a constant operand varies along the rows of the data (only "
			       "constants per feature are supported)");
	/* Column col of the view is the multi-index of vd[j..nd) in C order. */
	for (size_t col = 0; col < c->cols; col++) {
		size_t rest = col, idx = 0, stride = 1;

		for (size_t d = nd; d-- > j;) {
			size_t i = rest % vd[d];

			rest /= vd[d];
			idx += (kd[d] == 1 ? 0 : i) * stride;
			stride *= kd[d];
		}
		vec[col] = k->f[idx];
	}
	return 0;
}

/* Room for one more per-column constant in the pending program. */
int hetsched__oc_vec_slot(struct hetsched__oc *c)
{
	if (!c->vecs && !(c->vecs = malloc(HETSCHED_EW_MAX_VECS * c->cols * sizeof(float) + 1)))
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	if (c->prog.nvec == HETSCHED_EW_MAX_VECS)
		return hetsched__oc_refuse(
		    c, "the element-wise tail uses more than 4 per-feature constants");
	return 0;
}
