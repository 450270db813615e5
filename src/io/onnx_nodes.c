/* onnx_nodes.c: the nodes of an ONNX graph that the compiler of onnx_chain.c knows, one
 * function per kind: element-wise ones extend the pending program, linear ones (Gemm, MatMul,
 * BatchNormalization when it folds) add a step, Softmax and LogSoftmax add a row-wise step,
 * reshapes change the shape the data are seen with. Anything else is refused, named. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io/onnx_chain.h"

/* out = a op b for an element-wise binary node, operands chain values or constants. */
static int binary(struct hetsched__oc *c, const Onnx__NodeProto *n, uint32_t op)
{
	struct hetsched__oc_value *a = hetsched__oc_find(c, n->input[0]),
	                          *b = n->n_input > 1 ? hetsched__oc_find(c, n->input[1]) : NULL;
	const struct hetsched__onnx_const *k;
	size_t dims[HETSCHED__ONNX_MAX_NDIM], ndim;
	int swap = 0, scalar, dst;
	float s = 0;

	if (n->n_input != 2)
		return hetsched__oc_refuse(c, "needs two inputs");
	if (a && b) {
		if (a->ndim != b->ndim || memcmp(a->dims, b->dims, a->ndim * sizeof(size_t)))
			return hetsched__oc_refuse(
			    c, "its two inputs from the chain have different shapes");
		HETSCHED_CALL(dst = hetsched__oc_free_reg(c));
		HETSCHED_CALL(hetsched__oc_emit(
		    c, HETSCHED_EW_CODE(op, dst, a->reg, HETSCHED_EW_B_REG, b->reg, 0), 0, 0));
		return hetsched__oc_new_value(c, n->output[0], dst, a->dims, a->ndim);
	}
	if (!a) {
		a = b;
		swap = 1;
	}
	k = hetsched__onnx_find(c->g, n->input[swap ? 0 : 1]);
	if (!k)
		return hetsched__oc_refuse(c,
		                           "an input is neither the chain's data nor a constant");
	HETSCHED_CALL(hetsched__oc_vec_slot(c));
	HETSCHED_CALL(hetsched__oc_constant_operand(c, a, k, &scalar, &s,
	                                            c->vecs + c->prog.nvec * c->cols, dims, &ndim));
	HETSCHED_CALL(dst = hetsched__oc_free_reg(c));
	if (scalar)
		HETSCHED_CALL(hetsched__oc_emit(
		    c, HETSCHED_EW_CODE(op, dst, a->reg, HETSCHED_EW_B_SCALAR, 0, swap), s, 0));
	else
		HETSCHED_CALL(hetsched__oc_emit(
		    c, HETSCHED_EW_CODE(op, dst, a->reg, HETSCHED_EW_B_VEC, c->prog.nvec++, swap),
		    0, 0));
	return hetsched__oc_new_value(c, n->output[0], dst, dims, ndim);
}

static int unary(struct hetsched__oc *c, const Onnx__NodeProto *n, uint32_t op, float p0, float p1)
{
	struct hetsched__oc_value *a = hetsched__oc_find(c, n->input[0]);
	int dst;

	HETSCHED_CALL(dst = hetsched__oc_free_reg(c));
	HETSCHED_CALL(hetsched__oc_emit(c, HETSCHED_EW_CODE(op, dst, a->reg, 0, 0, 0), p0, p1));
	return hetsched__oc_new_value(c, n->output[0], dst, a->dims, a->ndim);
}

/* A new linear step W (out x in), bias b (bias_rows x out or NULL), taking v: the view's
 * columns must be v's last dimension. The output's shape is v's with out as last dimension,
 * or without the last dimension (drop_last: MatMul by a vector). */
static int linear_step(struct hetsched__oc *c, const Onnx__NodeProto *n,
                       struct hetsched__oc_value *v, float *w, float *b, size_t bias_rows,
                       size_t in, size_t out, int drop_last)
{
	struct hetsched__step *s;
	size_t dims[HETSCHED__ONNX_MAX_NDIM], ndim = v->ndim;
	int rc;

	if (v->ndim == 0 || hetsched__oc_prod(v->dims, 0, v->ndim - 1) != c->rows) {
		free(w);
		free(b);
		return hetsched__oc_refuse(
		    c, "it acts on the last dimension, but the data runs as rows of "
		       "another shape here");
	}
	if ((rc = hetsched__oc_take_head(c, v)) < 0) {
		free(w);
		free(b);
		return rc;
	}
	s = &c->m->steps[c->m->nsteps++];
	s->kind = HETSCHED_STEP_LINEAR;
	s->in = in;
	s->out = out;
	s->w = w;
	s->b = b;
	s->bias_rows = bias_rows;
	c->m->nlayers++;
	c->cols = out;
	memcpy(dims, v->dims, v->ndim * sizeof(size_t));
	if (drop_last)
		ndim--;
	else
		dims[ndim - 1] = out;
	return hetsched__oc_new_value(c, n->output[0], 0, dims, ndim);
}

/* The weight of the step just added came from \p B: note the dtype it was stored as. */
static int weight_from(struct hetsched__oc *c, const struct hetsched__onnx_const *B, int rc)
{
	if (rc >= 0)
		c->m->weight_dtypes |= 1u
		                       << (B->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16
		                               ? HETSCHED_DTYPE_BF16
		                           : B->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16
		                               ? HETSCHED_DTYPE_F16
		                               : HETSCHED_DTYPE_F32);
	return rc;
}

static int gemm(struct hetsched__oc *c, const Onnx__NodeProto *n)
{
	struct hetsched__oc_value *a = hetsched__oc_find(c, n->input[0]);
	const struct hetsched__onnx_const *B =
	    n->n_input > 1 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;
	const struct hetsched__onnx_const *C =
	    n->n_input > 2 && *n->input[2] ? hetsched__onnx_find(c->g, n->input[2]) : NULL;
	float alpha = hetsched__oc_attr_f(n, "alpha", 1), beta = hetsched__oc_attr_f(n, "beta", 1),
	      *w, *bias = NULL;
	int64_t tb = hetsched__oc_attr_i(n, "transB", 0);
	size_t K, N, M, bias_rows = 1;

	if (!a || !B || B->ndim != 2 || (n->n_input > 2 && *n->input[2] && !C))
		return hetsched__oc_refuse(
		    c, "input A must be the chain's data, B (and C) constants or given "
		       "inputs (--input NAME=FILE), B 2-D");
	if (hetsched__oc_attr_i(n, "transA", 0) &&
	    !(c->m->transpose_input && !strcmp(a->name, c->g->input)))
		return hetsched__oc_refuse(c, "transA is supported only on the model's input");
	if (a->ndim != 2)
		return hetsched__oc_refuse(c, "input A must be 2-D");
	M = a->dims[0];
	K = tb ? B->dims[1] : B->dims[0];
	N = tb ? B->dims[0] : B->dims[1];
	if (K != a->dims[1])
		return hetsched__oc_refuse(c, "B does not match A's columns");
	w = malloc(N * K * sizeof(float));
	if (!w)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	for (size_t o = 0; o < N; o++)
		for (size_t k = 0; k < K; k++)
			w[o * K + k] = alpha * (tb ? B->f[o * K + k] : B->f[k * N + o]);
	if (C) {
		/* C broadcasts to M x N: a scalar or a row (one bias), else one per element. */
		size_t cr = C->ndim == 2 ? C->dims[0] : 1, cc = C->ndim ? C->dims[C->ndim - 1] : 1;

		if (C->ndim > 2 || (cr != 1 && cr != M) || (cc != 1 && cc != N)) {
			free(w);
			return hetsched__oc_refuse(c, "C does not broadcast to M x N");
		}
		bias_rows = cr == 1 ? 1 : M;
		bias = malloc(bias_rows * N * sizeof(float));
		if (!bias) {
			free(w);
			return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
		}
		for (size_t i = 0; i < bias_rows; i++)
			for (size_t o = 0; o < N; o++)
				bias[i * N + o] =
				    beta * C->f[(cr == 1 ? 0 : i * cc) + (cc == 1 ? 0 : o)];
	}
	return weight_from(c, B, linear_step(c, n, a, w, bias, bias_rows, K, N, 0));
}

static int matmul(struct hetsched__oc *c, const Onnx__NodeProto *n)
{
	struct hetsched__oc_value *a = hetsched__oc_find(c, n->input[0]);
	const struct hetsched__onnx_const *B =
	    n->n_input > 1 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;
	size_t K, N;
	float *w;

	if (!a || !B || B->ndim < 1 || B->ndim > 2)
		return hetsched__oc_refuse(
		    c, "input A must be the chain's data and B a 1-D or 2-D constant");
	K = B->dims[0];
	N = B->ndim == 2 ? B->dims[1] : 1;
	if (a->ndim == 0 || a->dims[a->ndim - 1] != K)
		return hetsched__oc_refuse(c, "B does not match A's last dimension");
	w = malloc(N * K * sizeof(float));
	if (!w)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	for (size_t o = 0; o < N; o++)
		for (size_t k = 0; k < K; k++)
			w[o * K + k] = B->f[k * N + o];
	return weight_from(c, B, linear_step(c, n, a, w, NULL, 1, K, N, B->ndim == 1));
}

/* Add of a per-feature constant right after a layer: folded into its bias. */
static int fold_add(struct hetsched__oc *c, const Onnx__NodeProto *n, struct hetsched__oc_value *v,
                    const struct hetsched__onnx_const *k)
{
	struct hetsched__step *s = &c->m->steps[c->m->nsteps - 1];
	size_t dims[HETSCHED__ONNX_MAX_NDIM], ndim;
	int scalar;
	float sc, *vec = malloc(s->out * sizeof(float));

	if (!vec)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	if (hetsched__oc_constant_operand(c, v, k, &scalar, &sc, vec, dims, &ndim) < 0 ||
	    ndim != v->ndim) {
		free(vec);
		return 1; /* not foldable: the general path words any refusal */
	}
	if (!s->b && !(s->b = calloc(s->out, sizeof(float)))) {
		free(vec);
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	}
	for (size_t i = 0; i < s->bias_rows; i++)
		for (size_t o = 0; o < s->out; o++)
			s->b[i * s->out + o] += scalar ? sc : vec[o];
	free(vec);
	return hetsched__oc_new_value(c, n->output[0], v->reg, v->dims, v->ndim);
}

/* BatchNormalization (inference): y = x a + d per channel (dimension 1), a = scale /
 * sqrt(var + eps), d = bias - mean a; folded into the layer before it when it directly follows
 * one on 2-D data, else two element-wise operations. */
static int batchnorm(struct hetsched__oc *c, const Onnx__NodeProto *n)
{
	struct hetsched__oc_value *x = hetsched__oc_find(c, n->input[0]);
	const struct hetsched__onnx_const *p[4];
	struct hetsched__onnx_const A = {0}, D = {0};
	struct hetsched__step *last = c->m->nsteps ? &c->m->steps[c->m->nsteps - 1] : NULL;
	float eps = hetsched__oc_attr_f(n, "epsilon", 1e-5f);
	size_t C;
	int rc, dst = 0;

	if (n->n_input != 5 || (n->n_output > 1 && hetsched__oc_last_use(c, n->output[1]) >= 0) ||
	    hetsched__oc_attr_i(n, "training_mode", 0))
		return hetsched__oc_refuse(
		    c, "only inference (one output, training_mode 0) is supported");
	for (int k = 0; k < 4; k++)
		if (!(p[k] = hetsched__onnx_find(c->g, n->input[k + 1])))
			return hetsched__oc_refuse(c, "scale, B, mean and var must be constants");
	C = x && x->ndim >= 2 ? x->dims[1] : 0;
	for (int k = 0; k < 4; k++)
		if (p[k]->numel != C)
			return hetsched__oc_refuse(
			    c, "scale, B, mean and var must have one value per channel");
	A.ndim = D.ndim = x->ndim - 1;
	A.dims[0] = D.dims[0] = C;
	for (size_t d = 1; d < A.ndim; d++)
		A.dims[d] = D.dims[d] = 1;
	A.numel = D.numel = C;
	A.f = malloc(C * sizeof(float));
	D.f = malloc(C * sizeof(float));
	if (!A.f || !D.f) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
		goto out;
	}
	for (size_t ch = 0; ch < C; ch++) {
		double a = p[0]->f[ch] / sqrt((double)p[3]->f[ch] + eps);

		A.f[ch] = (float)a;
		D.f[ch] = (float)(p[1]->f[ch] - p[2]->f[ch] * a);
	}
	if (last && last->kind == HETSCHED_STEP_LINEAR && c->prog.n == 0 && x->reg == 0 &&
	    x->ndim == 2 && last->out == C) {
		if (!last->b && !(last->b = calloc(C, sizeof(float)))) {
			rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
			goto out;
		}
		for (size_t o = 0; o < C; o++) {
			for (size_t k = 0; k < last->in; k++)
				last->w[o * last->in + k] *= A.f[o];
			for (size_t i = 0; i < last->bias_rows; i++)
				last->b[i * C + o] = last->b[i * C + o] * A.f[o] + D.f[o];
		}
		rc = hetsched__oc_new_value(c, n->output[0], x->reg, x->dims, x->ndim);
		goto out;
	}
	/* x a, then + d, through the element-wise path (as Mul and Add nodes would). */
	{
		const struct hetsched__onnx_const *ks[2] = {&A, &D};
		const uint32_t ops[2] = {HETSCHED_EW_MUL, HETSCHED_EW_ADD};
		size_t dims[HETSCHED__ONNX_MAX_NDIM], ndim;
		int scalar;
		float s = 0;

		HETSCHED_TRY(rc, dst = hetsched__oc_free_reg(c), out);
		for (int k = 0; k < 2; k++) {
			HETSCHED_TRY(rc, hetsched__oc_vec_slot(c), out);
			HETSCHED_TRY(rc,
			             hetsched__oc_constant_operand(c, x, ks[k], &scalar, &s,
			                                           c->vecs + c->prog.nvec * c->cols,
			                                           dims, &ndim),
			             out);
			HETSCHED_TRY(
			    rc,
			    hetsched__oc_emit(
			        c,
			        HETSCHED_EW_CODE(ops[k], dst, k ? dst : x->reg,
			                         scalar ? HETSCHED_EW_B_SCALAR : HETSCHED_EW_B_VEC,
			                         scalar ? 0 : c->prog.nvec, 0),
			        s, 0),
			    out);
			c->prog.nvec += !scalar;
		}
		rc = hetsched__oc_new_value(c, n->output[0], dst, x->dims, x->ndim);
	}
out:
	free(A.f);
	free(D.f);
	return rc;
}

/* Softmax and LogSoftmax: along the last dimension (opset 13 on), or along the flattened
 * dimensions from axis on (before). */
static int softmax(struct hetsched__oc *c, const Onnx__NodeProto *n, int log_softmax)
{
	struct hetsched__oc_value *x = hetsched__oc_find(c, n->input[0]);
	int64_t axis = hetsched__oc_attr_i(n, "axis", c->g->opset >= 13 ? -1 : 1);
	struct hetsched__step *s;

	if (axis < 0)
		axis += (int64_t)x->ndim;
	if (axis < 0 || axis >= (int64_t)x->ndim)
		return hetsched__oc_refuse(c, "axis out of range");
	if (c->g->opset >= 13 && axis != (int64_t)x->ndim - 1)
		return hetsched__oc_refuse(c, "only the last axis is supported");
	if (hetsched__oc_prod(x->dims, 0, (size_t)axis) != c->rows)
		return hetsched__oc_refuse(c, "its axis does not match the rows the data runs as");
	HETSCHED_CALL(hetsched__oc_take_head(c, x));
	s = &c->m->steps[c->m->nsteps++];
	s->kind = log_softmax ? HETSCHED_STEP_LOG_SOFTMAX : HETSCHED_STEP_SOFTMAX;
	s->in = s->out = c->cols;
	return hetsched__oc_new_value(c, n->output[0], 0, x->dims, x->ndim);
}

/* The axes of Squeeze / Unsqueeze: attribute (before opset 13) or constant input. */
static int axes_of(struct hetsched__oc *c, const Onnx__NodeProto *n, const int64_t **axes,
                   size_t *naxes)
{
	const Onnx__AttributeProto *a = hetsched__oc_attr(n, "axes");
	const struct hetsched__onnx_const *k;

	*axes = NULL;
	*naxes = 0;
	if (a) {
		*axes = a->ints;
		*naxes = a->n_ints;
	} else if (n->n_input > 1 && *n->input[1]) {
		if (!(k = hetsched__onnx_find(c->g, n->input[1])) || !k->i)
			return hetsched__oc_refuse(c, "axes must be a constant of integers");
		*axes = k->i;
		*naxes = k->numel;
	}
	return 0;
}

/* Flatten, Reshape, Squeeze, Unsqueeze: the data stay, the shape changes. */
static int reshape(struct hetsched__oc *c, const Onnx__NodeProto *n)
{
	struct hetsched__oc_value *x = hetsched__oc_find(c, n->input[0]);
	size_t dims[HETSCHED__ONNX_MAX_NDIM], nd = 0,
	                                      numel = hetsched__oc_prod(x->dims, 0, x->ndim);
	const int64_t *axes;
	size_t naxes;
	const char *op = HETSCHED__OC_STR(n->op_type);

	if (!strcmp(op, "Flatten")) {
		int64_t axis = hetsched__oc_attr_i(n, "axis", 1);

		if (axis < 0)
			axis += (int64_t)x->ndim;
		if (axis < 0 || axis > (int64_t)x->ndim)
			return hetsched__oc_refuse(c, "axis out of range");
		dims[0] = hetsched__oc_prod(x->dims, 0, (size_t)axis);
		dims[1] = hetsched__oc_prod(x->dims, (size_t)axis, x->ndim);
		nd = 2;
	} else if (!strcmp(op, "Reshape")) {
		const struct hetsched__onnx_const *k =
		    n->n_input > 1 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;
		int64_t infer = -1, allowzero = hetsched__oc_attr_i(n, "allowzero", 0);
		size_t known = 1;

		if (!k || !k->i || k->numel > HETSCHED__ONNX_MAX_NDIM)
			return hetsched__oc_refuse(
			    c, "the shape must be a constant of at most 8 integers");
		for (size_t d = 0; d < k->numel; d++) {
			int64_t v = k->i[d];

			if (v == 0 && !allowzero) {
				if (d >= x->ndim)
					return hetsched__oc_refuse(
					    c, "shape copies a dimension the data does not have");
				v = (int64_t)x->dims[d];
			}
			if (v == -1 && infer < 0) {
				infer = (int64_t)d;
				dims[d] = 1;
				continue;
			}
			if (v < 0 || (numel && (uint64_t)v > numel))
				return hetsched__oc_refuse(c, "bad shape");
			dims[d] = (size_t)v;
			known *= dims[d];
		}
		nd = k->numel;
		if (infer >= 0)
			dims[infer] = known ? numel / known : 0;
	} else {
		int keep[HETSCHED__ONNX_MAX_NDIM];

		HETSCHED_CALL(axes_of(c, n, &axes, &naxes));
		if (!strcmp(op, "Squeeze")) {
			for (size_t d = 0; d < x->ndim; d++)
				keep[d] = !(naxes == 0 && x->dims[d] == 1);
			for (size_t k = 0; k < naxes; k++) {
				int64_t a = axes[k] < 0 ? axes[k] + (int64_t)x->ndim : axes[k];

				if (a < 0 || a >= (int64_t)x->ndim || x->dims[a] != 1)
					return hetsched__oc_refuse(
					    c, "an axis to squeeze is not of size 1");
				keep[a] = 0;
			}
			for (size_t d = 0; d < x->ndim; d++)
				if (keep[d])
					dims[nd++] = x->dims[d];
		} else { /* Unsqueeze */
			size_t out = x->ndim + naxes, src = 0;

			if (out > HETSCHED__ONNX_MAX_NDIM)
				return hetsched__oc_refuse(c, "more than 8 dimensions");
			for (size_t d = 0; d < out; d++)
				keep[d] = 0;
			for (size_t k = 0; k < naxes; k++) {
				int64_t a = axes[k] < 0 ? axes[k] + (int64_t)out : axes[k];

				if (a < 0 || a >= (int64_t)out || keep[a])
					return hetsched__oc_refuse(c, "bad axes");
				keep[a] = 1;
			}
			for (size_t d = 0; d < out; d++)
				dims[d] = keep[d] ? 1 : x->dims[src++];
			nd = out;
		}
	}
	if (hetsched__oc_prod(dims, 0, nd) != numel)
		return hetsched__oc_refuse(c, "the new shape does not hold the data's elements");
	return hetsched__oc_new_value(c, n->output[0], x->reg, dims, nd);
}

static const struct {
	const char *op;
	uint32_t ew; /* element-wise operation, or 0 */
} ops[] = {{"Relu", HETSCHED_EW_RELU},
           {"LeakyRelu", HETSCHED_EW_LEAKY_RELU},
           {"Elu", HETSCHED_EW_ELU},
           {"Selu", HETSCHED_EW_SELU},
           {"Tanh", HETSCHED_EW_TANH},
           {"Sigmoid", HETSCHED_EW_SIGMOID},
           {"HardSigmoid", HETSCHED_EW_HARD_SIGMOID},
           {"Gelu", HETSCHED_EW_GELU},
           {"Sqrt", HETSCHED_EW_SQRT},
           {"Erf", HETSCHED_EW_ERF},
           {"Exp", HETSCHED_EW_EXP},
           {"Add", HETSCHED_EW_ADD},
           {"Sub", HETSCHED_EW_SUB},
           {"Mul", HETSCHED_EW_MUL},
           {"Div", HETSCHED_EW_DIV},
           {"Pow", HETSCHED_EW_POWER}};

int hetsched__oc_node(struct hetsched__oc *c, const Onnx__NodeProto *n)
{
	const char *op = n->op_type ? n->op_type : "";
	struct hetsched__oc_value *x;
	int reads_chain = 0;

	if (!strcmp(op, "Constant"))
		return 0;
	for (size_t k = 0; k < n->n_input; k++)
		reads_chain |= *n->input[k] && hetsched__oc_find(c, n->input[k]) != NULL;
	if (!reads_chain) {
		/* A node of constants only: fine when the reader folded it (Transpose) or nothing
		 * reads its outputs. */
		for (size_t k = 0; k < n->n_output; k++)
			if (hetsched__oc_last_use(c, n->output[k]) >= 0 &&
			    !hetsched__onnx_find(c->g, n->output[k]))
				return hetsched__oc_refuse(
				    c, "its inputs are all constants (constant folding is not "
				       "supported), or an input is not the chain's data");
		return 0;
	}
	if (n->n_output < 1)
		return hetsched__oc_refuse(c, "no output");
	for (size_t k = 1; k < n->n_output; k++)
		if (strcmp(op, "Dropout") && strcmp(op, "BatchNormalization") &&
		    hetsched__oc_last_use(c, n->output[k]) >= 0)
			return hetsched__oc_refuse(c, "a second output is used");
	x = hetsched__oc_find(c, n->input[0]);
	if (!strcmp(op, "Gemm"))
		return gemm(c, n);
	if (!strcmp(op, "MatMul"))
		return matmul(c, n);
	if (!strcmp(op, "BatchNormalization"))
		return x ? batchnorm(c, n) : hetsched__oc_refuse(c, "X must be the chain's data");
	if (!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax"))
		return x ? softmax(c, n, op[0] == 'L')
		         : hetsched__oc_refuse(c, "X must be the chain's data");
	if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape") || !strcmp(op, "Squeeze") ||
	    !strcmp(op, "Unsqueeze"))
		return x ? reshape(c, n)
		         : hetsched__oc_refuse(c, "its data input must be the chain's data");
	if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) {
		const struct hetsched__onnx_const *t =
		    n->n_input > 2 && *n->input[2] ? hetsched__onnx_find(c->g, n->input[2]) : NULL;

		if (!x || (n->n_output > 1 && hetsched__oc_last_use(c, n->output[1]) >= 0) ||
		    (n->n_input > 2 && *n->input[2] && (!t || t->f[0] != 0)))
			return hetsched__oc_refuse(
			    c, "only inference (no mask output, training_mode false) is "
			       "supported");
		return hetsched__oc_new_value(c, n->output[0], x->reg, x->dims, x->ndim);
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if (strcmp(op, ops[k].op))
			continue;
		if (ops[k].ew >= HETSCHED_EW_ADD) {
			/* Add right after a layer: into its bias. */
			struct hetsched__step *last =
			    c->m->nsteps ? &c->m->steps[c->m->nsteps - 1] : NULL;
			const struct hetsched__onnx_const *b =
			    n->n_input == 2 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;

			if (ops[k].ew == HETSCHED_EW_ADD && x && b && last &&
			    last->kind == HETSCHED_STEP_LINEAR && c->prog.n == 0 && x->reg == 0) {
				int rc = fold_add(c, n, x, b);

				if (rc <= 0)
					return rc;
			}
			return binary(c, n, ops[k].ew);
		}
		if (!x)
			return hetsched__oc_refuse(c, "its input must be the chain's data");
		switch (ops[k].ew) {
		case HETSCHED_EW_LEAKY_RELU:
			return unary(c, n, ops[k].ew, hetsched__oc_attr_f(n, "alpha", 0.01f), 0);
		case HETSCHED_EW_ELU:
			return unary(c, n, ops[k].ew, hetsched__oc_attr_f(n, "alpha", 1.0f), 0);
		case HETSCHED_EW_SELU:
			return unary(c, n, ops[k].ew,
			             hetsched__oc_attr_f(n, "alpha", 1.67326319217681884765625f),
			             hetsched__oc_attr_f(n, "gamma", 1.05070102214813232421875f));
		case HETSCHED_EW_HARD_SIGMOID:
			return unary(c, n, ops[k].ew, hetsched__oc_attr_f(n, "alpha", 0.2f),
			             hetsched__oc_attr_f(n, "beta", 0.5f));
		case HETSCHED_EW_GELU: {
			const Onnx__AttributeProto *a = hetsched__oc_attr(n, "approximate");
			int tanh_form =
			    a && a->has_s && a->s.len == 4 && !memcmp(a->s.data, "tanh", 4);

			return unary(c, n, tanh_form ? HETSCHED_EW_GELU_TANH : HETSCHED_EW_GELU, 0,
			             0);
		}
		default:
			return unary(c, n, ops[k].ew, 0, 0);
		}
	}
	return hetsched__oc_refuse(c, "not supported (supported: " HETSCHED__ONNX_SUPPORTED ")");
}
