/* onnx_chain.c: an ONNX graph as the chain of steps of model.h, or a refusal naming the node.
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

#define SUPPORTED                                                                                  \
	"Gemm, MatMul, BatchNormalization, Relu, LeakyRelu, Elu, Selu, Tanh, Sigmoid, "            \
	"HardSigmoid, "                                                                            \
	"Gelu, Softmax, LogSoftmax, Add, Sub, Mul, Div, Pow, Sqrt, Erf, Exp, Flatten, Identity, "  \
	"Dropout, Reshape, Squeeze, Unsqueeze, Constant, Transpose (of constants)"
#define MAXD HETSCHED__ONNX_MAX_NDIM

/* A value of the chain: the data, in register reg of the pending program. */
struct value {
	const char *name;
	int reg;
	int last; /* index of the last node that reads it; INT32_MAX for the graph's output */
	size_t ndim, dims[MAXD];
};

struct compiler {
	const struct hetsched__onnx *g;
	const Onnx__GraphProto *graph;
	struct hetsched__model *m;
	size_t rows, cols; /* the view of the pending program: rows x cols */
	size_t node;       /* index of the node being compiled */
	struct value *vals;
	size_t nvals;
	struct hetsched_ew_prog prog; /* the pending element-wise program */
	float *vecs;                  /* its constants, HETSCHED_EW_MAX_VECS x cols */
};

/* Product of d[from, to), SIZE_MAX when it overflows (no shape matches it then). */
static size_t prod(const size_t *d, size_t from, size_t to)
{
	size_t p = 1;

	for (size_t k = from; k < to; k++)
		if (__builtin_mul_overflow(p, d[k], &p))
			return SIZE_MAX;
	return p;
}

/* Optional strings the file left out are NULL in protobuf-c's messages. */
#define STR(s) ((s) ? (s) : "")

static const char *node_name(const Onnx__NodeProto *n)
{
	return n->name && *n->name ? n->name : (n->n_output ? n->output[0] : "");
}

static int refuse(const struct compiler *c, const char *why)
{
	const Onnx__NodeProto *n = c->graph->node[c->node];

	return hetsched__error(HETSCHED_EINVAL, "%s: node '%s' (%s): %s", c->g->path, node_name(n),
	                       STR(n->op_type), why);
}

/* Attributes, with their defaults. */
static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t k = 0; k < n->n_attribute; k++)
		if (n->attribute[k]->name && !strcmp(n->attribute[k]->name, name))
			return n->attribute[k];
	return NULL;
}

static float attr_f(const Onnx__NodeProto *n, const char *name, float dflt)
{
	const Onnx__AttributeProto *a = attr(n, name);

	return a ? a->f : dflt;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
	const Onnx__AttributeProto *a = attr(n, name);

	return a ? a->i : dflt;
}

static int last_use(const struct compiler *c, const char *name)
{
	int last = -1;

	for (size_t k = 0; k < c->graph->n_output; k++)
		if (!strcmp(STR(c->graph->output[k]->name), name))
			return INT32_MAX;
	for (size_t i = c->node + 1; i < c->graph->n_node; i++)
		for (size_t k = 0; k < c->graph->node[i]->n_input; k++)
			if (!strcmp(c->graph->node[i]->input[k], name))
				last = (int)i;
	return last;
}

static struct value *find(const struct compiler *c, const char *name)
{
	for (size_t k = 0; k < c->nvals; k++)
		if (!strcmp(c->vals[k].name, name))
			return &c->vals[k];
	return NULL;
}

/* Whether the rows are a prefix product of a shape; the smallest such prefix in *j. */
static int split(const struct compiler *c, const size_t *dims, size_t ndim, size_t *j)
{
	for (size_t k = 0; k <= ndim; k++)
		if (prod(dims, 0, k) == c->rows) {
			*j = k;
			return 1;
		}
	return 0;
}

static int new_value(struct compiler *c, const char *name, int reg, const size_t *dims, size_t ndim)
{
	struct value *v = &c->vals[c->nvals++];
	size_t j;

	v->name = name;
	v->reg = reg;
	v->last = last_use(c, name);
	v->ndim = ndim;
	memcpy(v->dims, dims, ndim * sizeof(size_t));
	if (!split(c, dims, ndim, &j))
		return refuse(c, "its output does not keep the rows of the data (a reshape that "
		                 "mixes rows)");
	return 0;
}

/* A register no live value holds (values read by this node count as dead: an instruction reads
 * before it writes). */
static int free_reg(struct compiler *c)
{
	for (int r = 0; r < HETSCHED_EW_NREGS; r++) {
		int busy = 0;

		for (size_t k = 0; k < c->nvals; k++)
			busy |= c->vals[k].reg == r && c->vals[k].last > (int)c->node;
		if (!busy)
			return r;
	}
	return refuse(c, "the element-wise tail needs more than 4 values at once");
}

static int emit(struct compiler *c, uint32_t code, float p0, float p1)
{
	if (c->prog.n == HETSCHED_EW_MAX_INSNS)
		return refuse(c, "the element-wise tail after a layer has more than 16 operations");
	c->prog.code[c->prog.n] = code;
	c->prog.p0[c->prog.n] = p0;
	c->prog.p1[c->prog.n] = p1;
	c->prog.n++;
	return 0;
}

/* End the pending program with \p head as its result: fused into the linear step before it
 * when there is one, else a step of its own. */
static int flush(struct compiler *c, struct value *head)
{
	struct hetsched__model *m = c->m;
	struct hetsched__step *last = m->nsteps ? &m->steps[m->nsteps - 1] : NULL;

	if (head->reg != 0)
		HETSCHED_CALL(
		    emit(c, HETSCHED_EW_CODE(HETSCHED_EW_COPY, 0, head->reg, 0, 0, 0), 0, 0));
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
static int take_head(struct compiler *c, struct value *v)
{
	for (size_t k = 0; k < c->nvals; k++)
		if (c->vals[k].reg != v->reg && c->vals[k].last > (int)c->node)
			return refuse(c, "the graph branches: another value of the chain is used "
			                 "after this node");
	return flush(c, v);
}

/* A constant operand of an element-wise node, broadcast against the chain value \p v: a scalar
 * (*is_scalar), or one value per column of the view (vec, c->cols values). Its broadcast shape
 * in out_dims / *out_ndim. */
static int constant_operand(struct compiler *c, const struct value *v,
                            const struct hetsched__onnx_const *k, int *is_scalar, float *scalar,
                            float *vec, size_t *out_dims, size_t *out_ndim)
{
	size_t nd = v->ndim > k->ndim ? v->ndim : k->ndim, j, kd[MAXD], vd[MAXD];

	/* Right-aligned shapes, padded with ones. */
	for (size_t d = 0; d < nd; d++) {
		vd[d] = d + v->ndim >= nd ? v->dims[d + v->ndim - nd] : 1;
		kd[d] = d + k->ndim >= nd ? k->dims[d + k->ndim - nd] : 1;
		if (vd[d] != kd[d] && kd[d] != 1)
			return refuse(
			    c, "a constant operand would broadcast the data to a larger shape");
		out_dims[d] = vd[d];
	}
	*out_ndim = nd;
	*is_scalar = k->numel == 1;
	if (*is_scalar) {
		*scalar = k->f[0];
		return 0;
	}
	if (!split(c, vd, nd, &j))
		return refuse(c, "a constant operand does not fit the rows of the data");
	for (size_t d = 0; d < j; d++)
		if (kd[d] != 1)
			return refuse(c,
			              "a constant operand varies along the rows of the data (only "
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
static int vec_slot(struct compiler *c)
{
	if (!c->vecs && !(c->vecs = malloc(HETSCHED_EW_MAX_VECS * c->cols * sizeof(float) + 1)))
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	if (c->prog.nvec == HETSCHED_EW_MAX_VECS)
		return refuse(c, "the element-wise tail uses more than 4 per-feature constants");
	return 0;
}

/* out = a op b for an element-wise binary node, operands chain values or constants. */
static int binary(struct compiler *c, const Onnx__NodeProto *n, uint32_t op)
{
	struct value *a = find(c, n->input[0]), *b = n->n_input > 1 ? find(c, n->input[1]) : NULL;
	const struct hetsched__onnx_const *k;
	size_t dims[MAXD], ndim;
	int swap = 0, scalar, dst;
	float s = 0;

	if (n->n_input != 2)
		return refuse(c, "needs two inputs");
	if (a && b) {
		if (a->ndim != b->ndim || memcmp(a->dims, b->dims, a->ndim * sizeof(size_t)))
			return refuse(c, "its two inputs from the chain have different shapes");
		HETSCHED_CALL(dst = free_reg(c));
		HETSCHED_CALL(
		    emit(c, HETSCHED_EW_CODE(op, dst, a->reg, HETSCHED_EW_B_REG, b->reg, 0), 0, 0));
		return new_value(c, n->output[0], dst, a->dims, a->ndim);
	}
	if (!a) {
		a = b;
		swap = 1;
	}
	k = hetsched__onnx_find(c->g, n->input[swap ? 0 : 1]);
	if (!k)
		return refuse(c, "an input is neither the chain's data nor a constant");
	HETSCHED_CALL(vec_slot(c));
	HETSCHED_CALL(
	    constant_operand(c, a, k, &scalar, &s, c->vecs + c->prog.nvec * c->cols, dims, &ndim));
	HETSCHED_CALL(dst = free_reg(c));
	if (scalar)
		HETSCHED_CALL(emit(
		    c, HETSCHED_EW_CODE(op, dst, a->reg, HETSCHED_EW_B_SCALAR, 0, swap), s, 0));
	else
		HETSCHED_CALL(emit(
		    c, HETSCHED_EW_CODE(op, dst, a->reg, HETSCHED_EW_B_VEC, c->prog.nvec++, swap),
		    0, 0));
	return new_value(c, n->output[0], dst, dims, ndim);
}

static int unary(struct compiler *c, const Onnx__NodeProto *n, uint32_t op, float p0, float p1)
{
	struct value *a = find(c, n->input[0]);
	int dst;

	HETSCHED_CALL(dst = free_reg(c));
	HETSCHED_CALL(emit(c, HETSCHED_EW_CODE(op, dst, a->reg, 0, 0, 0), p0, p1));
	return new_value(c, n->output[0], dst, a->dims, a->ndim);
}

/* A new linear step W (out x in), bias b (bias_rows x out or NULL), taking v: the view's
 * columns must be v's last dimension. The output's shape is v's with out as last dimension,
 * or without the last dimension (drop_last: MatMul by a vector). */
static int linear_step(struct compiler *c, const Onnx__NodeProto *n, struct value *v, float *w,
                       float *b, size_t bias_rows, size_t in, size_t out, int drop_last)
{
	struct hetsched__step *s;
	size_t dims[MAXD], ndim = v->ndim;
	int rc;

	if (v->ndim == 0 || prod(v->dims, 0, v->ndim - 1) != c->rows) {
		free(w);
		free(b);
		return refuse(c, "it acts on the last dimension, but the data runs as rows of "
		                 "another shape here");
	}
	if ((rc = take_head(c, v)) < 0) {
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
	return new_value(c, n->output[0], 0, dims, ndim);
}

static int gemm(struct compiler *c, const Onnx__NodeProto *n)
{
	struct value *a = find(c, n->input[0]);
	const struct hetsched__onnx_const *B =
	    n->n_input > 1 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;
	const struct hetsched__onnx_const *C =
	    n->n_input > 2 && *n->input[2] ? hetsched__onnx_find(c->g, n->input[2]) : NULL;
	float alpha = attr_f(n, "alpha", 1), beta = attr_f(n, "beta", 1), *w, *bias = NULL;
	int64_t tb = attr_i(n, "transB", 0);
	size_t K, N, M, bias_rows = 1;

	if (!a || !B || B->ndim != 2 || (n->n_input > 2 && *n->input[2] && !C))
		return refuse(c, "input A must be the chain's data, B (and C) constants or given "
		                 "inputs (--input NAME=FILE), B 2-D");
	if (attr_i(n, "transA", 0) && !(c->m->transpose_input && !strcmp(a->name, c->g->input)))
		return refuse(c, "transA is supported only on the model's input");
	if (a->ndim != 2)
		return refuse(c, "input A must be 2-D");
	M = a->dims[0];
	K = tb ? B->dims[1] : B->dims[0];
	N = tb ? B->dims[0] : B->dims[1];
	if (K != a->dims[1])
		return refuse(c, "B does not match A's columns");
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
			return refuse(c, "C does not broadcast to M x N");
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
	return linear_step(c, n, a, w, bias, bias_rows, K, N, 0);
}

static int matmul(struct compiler *c, const Onnx__NodeProto *n)
{
	struct value *a = find(c, n->input[0]);
	const struct hetsched__onnx_const *B =
	    n->n_input > 1 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;
	size_t K, N;
	float *w;

	if (!a || !B || B->ndim < 1 || B->ndim > 2)
		return refuse(c, "input A must be the chain's data and B a 1-D or 2-D constant");
	K = B->dims[0];
	N = B->ndim == 2 ? B->dims[1] : 1;
	if (a->ndim == 0 || a->dims[a->ndim - 1] != K)
		return refuse(c, "B does not match A's last dimension");
	w = malloc(N * K * sizeof(float));
	if (!w)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	for (size_t o = 0; o < N; o++)
		for (size_t k = 0; k < K; k++)
			w[o * K + k] = B->f[k * N + o];
	return linear_step(c, n, a, w, NULL, 1, K, N, B->ndim == 1);
}

/* Add of a per-feature constant right after a layer: folded into its bias. */
static int fold_add(struct compiler *c, const Onnx__NodeProto *n, struct value *v,
                    const struct hetsched__onnx_const *k)
{
	struct hetsched__step *s = &c->m->steps[c->m->nsteps - 1];
	size_t dims[MAXD], ndim;
	int scalar;
	float sc, *vec = malloc(s->out * sizeof(float));

	if (!vec)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", c->g->path);
	if (constant_operand(c, v, k, &scalar, &sc, vec, dims, &ndim) < 0 || ndim != v->ndim) {
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
	return new_value(c, n->output[0], v->reg, v->dims, v->ndim);
}

/* BatchNormalization (inference): y = x a + d per channel (dimension 1), a = scale /
 * sqrt(var + eps), d = bias - mean a; folded into the layer before it when it directly follows
 * one on 2-D data, else two element-wise operations. */
static int batchnorm(struct compiler *c, const Onnx__NodeProto *n)
{
	struct value *x = find(c, n->input[0]);
	const struct hetsched__onnx_const *p[4];
	struct hetsched__onnx_const A = {0}, D = {0};
	struct hetsched__step *last = c->m->nsteps ? &c->m->steps[c->m->nsteps - 1] : NULL;
	float eps = attr_f(n, "epsilon", 1e-5f);
	size_t C;
	int rc, dst = 0;

	if (n->n_input != 5 || (n->n_output > 1 && last_use(c, n->output[1]) >= 0) ||
	    attr_i(n, "training_mode", 0))
		return refuse(c, "only inference (one output, training_mode 0) is supported");
	for (int k = 0; k < 4; k++)
		if (!(p[k] = hetsched__onnx_find(c->g, n->input[k + 1])))
			return refuse(c, "scale, B, mean and var must be constants");
	C = x && x->ndim >= 2 ? x->dims[1] : 0;
	for (int k = 0; k < 4; k++)
		if (p[k]->numel != C)
			return refuse(c, "scale, B, mean and var must have one value per channel");
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
		rc = new_value(c, n->output[0], x->reg, x->dims, x->ndim);
		goto out;
	}
	/* x a, then + d, through the element-wise path (as Mul and Add nodes would). */
	{
		const struct hetsched__onnx_const *ks[2] = {&A, &D};
		const uint32_t ops[2] = {HETSCHED_EW_MUL, HETSCHED_EW_ADD};
		size_t dims[MAXD], ndim;
		int scalar;
		float s = 0;

		HETSCHED_TRY(rc, dst = free_reg(c), out);
		for (int k = 0; k < 2; k++) {
			HETSCHED_TRY(rc, vec_slot(c), out);
			HETSCHED_TRY(rc,
			             constant_operand(c, x, ks[k], &scalar, &s,
			                              c->vecs + c->prog.nvec * c->cols, dims,
			                              &ndim),
			             out);
			HETSCHED_TRY(
			    rc,
			    emit(c,
			         HETSCHED_EW_CODE(ops[k], dst, k ? dst : x->reg,
			                          scalar ? HETSCHED_EW_B_SCALAR : HETSCHED_EW_B_VEC,
			                          scalar ? 0 : c->prog.nvec, 0),
			         s, 0),
			    out);
			c->prog.nvec += !scalar;
		}
		rc = new_value(c, n->output[0], dst, x->dims, x->ndim);
	}
out:
	free(A.f);
	free(D.f);
	return rc;
}

/* Softmax and LogSoftmax: along the last dimension (opset 13 on), or along the flattened
 * dimensions from axis on (before). */
static int softmax(struct compiler *c, const Onnx__NodeProto *n, int log_softmax)
{
	struct value *x = find(c, n->input[0]);
	int64_t axis = attr_i(n, "axis", c->g->opset >= 13 ? -1 : 1);
	struct hetsched__step *s;

	if (axis < 0)
		axis += (int64_t)x->ndim;
	if (axis < 0 || axis >= (int64_t)x->ndim)
		return refuse(c, "axis out of range");
	if (c->g->opset >= 13 && axis != (int64_t)x->ndim - 1)
		return refuse(c, "only the last axis is supported");
	if (prod(x->dims, 0, (size_t)axis) != c->rows)
		return refuse(c, "its axis does not match the rows the data runs as");
	HETSCHED_CALL(take_head(c, x));
	s = &c->m->steps[c->m->nsteps++];
	s->kind = log_softmax ? HETSCHED_STEP_LOG_SOFTMAX : HETSCHED_STEP_SOFTMAX;
	s->in = s->out = c->cols;
	return new_value(c, n->output[0], 0, x->dims, x->ndim);
}

/* The axes of Squeeze / Unsqueeze: attribute (before opset 13) or constant input. */
static int axes_of(struct compiler *c, const Onnx__NodeProto *n, const int64_t **axes,
                   size_t *naxes)
{
	const Onnx__AttributeProto *a = attr(n, "axes");
	const struct hetsched__onnx_const *k;

	*axes = NULL;
	*naxes = 0;
	if (a) {
		*axes = a->ints;
		*naxes = a->n_ints;
	} else if (n->n_input > 1 && *n->input[1]) {
		if (!(k = hetsched__onnx_find(c->g, n->input[1])) || !k->i)
			return refuse(c, "axes must be a constant of integers");
		*axes = k->i;
		*naxes = k->numel;
	}
	return 0;
}

/* Flatten, Reshape, Squeeze, Unsqueeze: the data stay, the shape changes. */
static int reshape(struct compiler *c, const Onnx__NodeProto *n)
{
	struct value *x = find(c, n->input[0]);
	size_t dims[MAXD], nd = 0, numel = prod(x->dims, 0, x->ndim);
	const int64_t *axes;
	size_t naxes;
	const char *op = STR(n->op_type);

	if (!strcmp(op, "Flatten")) {
		int64_t axis = attr_i(n, "axis", 1);

		if (axis < 0)
			axis += (int64_t)x->ndim;
		if (axis < 0 || axis > (int64_t)x->ndim)
			return refuse(c, "axis out of range");
		dims[0] = prod(x->dims, 0, (size_t)axis);
		dims[1] = prod(x->dims, (size_t)axis, x->ndim);
		nd = 2;
	} else if (!strcmp(op, "Reshape")) {
		const struct hetsched__onnx_const *k =
		    n->n_input > 1 ? hetsched__onnx_find(c->g, n->input[1]) : NULL;
		int64_t infer = -1, allowzero = attr_i(n, "allowzero", 0);
		size_t known = 1;

		if (!k || !k->i || k->numel > MAXD)
			return refuse(c, "the shape must be a constant of at most 8 integers");
		for (size_t d = 0; d < k->numel; d++) {
			int64_t v = k->i[d];

			if (v == 0 && !allowzero) {
				if (d >= x->ndim)
					return refuse(
					    c, "shape copies a dimension the data does not have");
				v = (int64_t)x->dims[d];
			}
			if (v == -1 && infer < 0) {
				infer = (int64_t)d;
				dims[d] = 1;
				continue;
			}
			if (v < 0 || (numel && (uint64_t)v > numel))
				return refuse(c, "bad shape");
			dims[d] = (size_t)v;
			known *= dims[d];
		}
		nd = k->numel;
		if (infer >= 0)
			dims[infer] = known ? numel / known : 0;
	} else {
		int keep[MAXD];

		HETSCHED_CALL(axes_of(c, n, &axes, &naxes));
		if (!strcmp(op, "Squeeze")) {
			for (size_t d = 0; d < x->ndim; d++)
				keep[d] = !(naxes == 0 && x->dims[d] == 1);
			for (size_t k = 0; k < naxes; k++) {
				int64_t a = axes[k] < 0 ? axes[k] + (int64_t)x->ndim : axes[k];

				if (a < 0 || a >= (int64_t)x->ndim || x->dims[a] != 1)
					return refuse(c, "an axis to squeeze is not of size 1");
				keep[a] = 0;
			}
			for (size_t d = 0; d < x->ndim; d++)
				if (keep[d])
					dims[nd++] = x->dims[d];
		} else { /* Unsqueeze */
			size_t out = x->ndim + naxes, src = 0;

			if (out > MAXD)
				return refuse(c, "more than 8 dimensions");
			for (size_t d = 0; d < out; d++)
				keep[d] = 0;
			for (size_t k = 0; k < naxes; k++) {
				int64_t a = axes[k] < 0 ? axes[k] + (int64_t)out : axes[k];

				if (a < 0 || a >= (int64_t)out || keep[a])
					return refuse(c, "bad axes");
				keep[a] = 1;
			}
			for (size_t d = 0; d < out; d++)
				dims[d] = keep[d] ? 1 : x->dims[src++];
			nd = out;
		}
	}
	if (prod(dims, 0, nd) != numel)
		return refuse(c, "the new shape does not hold the data's elements");
	return new_value(c, n->output[0], x->reg, dims, nd);
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

static int node(struct compiler *c, const Onnx__NodeProto *n)
{
	const char *op = n->op_type ? n->op_type : "";
	struct value *x;
	int reads_chain = 0;

	if (!strcmp(op, "Constant"))
		return 0;
	for (size_t k = 0; k < n->n_input; k++)
		reads_chain |= *n->input[k] && find(c, n->input[k]) != NULL;
	if (!reads_chain) {
		/* A node of constants only: fine when the reader folded it (Transpose) or nothing
		 * reads its outputs. */
		for (size_t k = 0; k < n->n_output; k++)
			if (last_use(c, n->output[k]) >= 0 &&
			    !hetsched__onnx_find(c->g, n->output[k]))
				return refuse(
				    c, "its inputs are all constants (constant folding is not "
				       "supported), or an input is not the chain's data");
		return 0;
	}
	if (n->n_output < 1)
		return refuse(c, "no output");
	for (size_t k = 1; k < n->n_output; k++)
		if (strcmp(op, "Dropout") && strcmp(op, "BatchNormalization") &&
		    last_use(c, n->output[k]) >= 0)
			return refuse(c, "a second output is used");
	x = find(c, n->input[0]);
	if (!strcmp(op, "Gemm"))
		return gemm(c, n);
	if (!strcmp(op, "MatMul"))
		return matmul(c, n);
	if (!strcmp(op, "BatchNormalization"))
		return x ? batchnorm(c, n) : refuse(c, "X must be the chain's data");
	if (!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax"))
		return x ? softmax(c, n, op[0] == 'L') : refuse(c, "X must be the chain's data");
	if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape") || !strcmp(op, "Squeeze") ||
	    !strcmp(op, "Unsqueeze"))
		return x ? reshape(c, n) : refuse(c, "its data input must be the chain's data");
	if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) {
		const struct hetsched__onnx_const *t =
		    n->n_input > 2 && *n->input[2] ? hetsched__onnx_find(c->g, n->input[2]) : NULL;

		if (!x || (n->n_output > 1 && last_use(c, n->output[1]) >= 0) ||
		    (n->n_input > 2 && *n->input[2] && (!t || t->f[0] != 0)))
			return refuse(c, "only inference (no mask output, training_mode false) is "
			                 "supported");
		return new_value(c, n->output[0], x->reg, x->dims, x->ndim);
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
			return refuse(c, "its input must be the chain's data");
		switch (ops[k].ew) {
		case HETSCHED_EW_LEAKY_RELU:
			return unary(c, n, ops[k].ew, attr_f(n, "alpha", 0.01f), 0);
		case HETSCHED_EW_ELU:
			return unary(c, n, ops[k].ew, attr_f(n, "alpha", 1.0f), 0);
		case HETSCHED_EW_SELU:
			return unary(c, n, ops[k].ew,
			             attr_f(n, "alpha", 1.67326319217681884765625f),
			             attr_f(n, "gamma", 1.05070102214813232421875f));
		case HETSCHED_EW_HARD_SIGMOID:
			return unary(c, n, ops[k].ew, attr_f(n, "alpha", 0.2f),
			             attr_f(n, "beta", 0.5f));
		case HETSCHED_EW_GELU: {
			const Onnx__AttributeProto *a = attr(n, "approximate");
			int tanh_form =
			    a && a->has_s && a->s.len == 4 && !memcmp(a->s.data, "tanh", 4);

			return unary(c, n, tanh_form ? HETSCHED_EW_GELU_TANH : HETSCHED_EW_GELU, 0,
			             0);
		}
		default:
			return unary(c, n, ops[k].ew, 0, 0);
		}
	}
	return refuse(c, "not supported (supported: " SUPPORTED ")");
}

/* One attempt with c->rows fixed. */
static int compile(struct compiler *c, const size_t *in_dims, size_t in_ndim)
{
	const Onnx__GraphProto *graph = c->graph;
	struct value *out;

	c->cols = prod(in_dims, 0, in_ndim) / c->rows;
	c->node = 0;
	HETSCHED_CALL(new_value(c, c->g->input, 0, in_dims, in_ndim));
	c->vals[0].last = last_use(c, c->g->input);
	for (c->node = 0; c->node < graph->n_node; c->node++)
		HETSCHED_CALL(node(c, graph->node[c->node]));
	if (graph->n_output != 1)
		return hetsched__error(HETSCHED_EINVAL,
		                       "%s: the graph has %zu outputs; one is "
		                       "supported",
		                       c->g->path, graph->n_output);
	out = find(c, graph->output[0]->name);
	if (!out)
		return hetsched__error(HETSCHED_EINVAL,
		                       "%s: the output '%s' does not come from the "
		                       "input through the chain",
		                       c->g->path, graph->output[0]->name);
	c->node = graph->n_node ? graph->n_node - 1 : 0;
	HETSCHED_CALL(flush(c, out));
	c->m->out_ndim = out->ndim;
	memcpy(c->m->out_shape, out->dims, out->ndim * sizeof(size_t));
	return 0;
}

static void reset(struct compiler *c)
{
	struct hetsched__model *m = c->m;

	for (size_t s = 0; s < m->nsteps; s++) {
		free(m->steps[s].w);
		free(m->steps[s].b);
		free(m->steps[s].vecs);
	}
	memset(m->steps, 0, (2 * c->graph->n_node + 2) * sizeof(*m->steps));
	m->nsteps = m->nlayers = 0;
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
		if (o->input_ndim > MAXD)
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
	struct compiler c = {0};
	size_t dims[MAXD], ndim = 0, cand[MAXD + 1], ncand = 0;
	int rc, first_rc = 0;
	char first_msg[512] = "";

	HETSCHED_CALL(hetsched__onnx_read(path, options, &g));
	m->onnx = 1;
	c.g = &g;
	c.graph = g.proto->graph;
	c.m = m;
	HETSCHED_TRY(rc, input_shape(&g, options, dims, &ndim), out);
	if (g.input_elem_type && g.input_elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
		rc = hetsched__error(HETSCHED_EDTYPE,
		                     "%s: input '%s' has ONNX data type %d; "
		                     "hetsched runs float32 data",
		                     path, g.input, g.input_elem_type);
		goto out;
	}
	m->in_ndim = ndim;
	memcpy(m->in_shape, dims, ndim * sizeof(size_t));
	/* Gemm's transA on the input: the data run transposed from the start. */
	for (size_t i = 0; i < c.graph->n_node; i++) {
		const Onnx__NodeProto *n = c.graph->node[i];

		if (n->n_input && !strcmp(n->input[0], g.input)) {
			if (!strcmp(STR(n->op_type), "Gemm") && attr_i(n, "transA", 0) &&
			    ndim == 2) {
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
		cand[ncand++] = prod(dims, 0, k);
	cand[ncand++] = prod(dims, 0, ndim);
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
