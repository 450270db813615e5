/* onnx.c: reading an ONNX file (see onnx.h). The message is parsed by protobuf-c, which checks
 * every length against the bytes it has; what it leaves to us is the meaning: dimensions that
 * must multiply to the data's size, data types, and external data files, whose locations come
 * from the file and so must not reach outside the model's folder (onnx_external.c). Every size
 * is checked against the data before anything is allocated for it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "half.h"
#include "internal.h"
#include "io/file.h"
#include "io/onnx.h"

/* Bytes per element of the data types that can become floats; 0 for the others. */
static size_t elem_size(int type)
{
	switch (type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
		return 4;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
		return 8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
		return 2;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
		return 1;
	default:
		return 0;
	}
}

static int is_float_type(int type)
{
	return type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
	       type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
	       type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ||
	       type == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
}

/* Element k of little-endian data of \p type as a double (exact for every type but 64-bit
 * integers beyond 2^53, which no shape or weight has). */
static double element(const unsigned char *p, int type, size_t k)
{
	uint64_t u = 0;
	size_t n = elem_size(type);
	float f;
	double d;

	for (size_t b = 0; b < n; b++)
		u |= (uint64_t)p[k * n + b] << (8 * b);
	switch (type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
		uint32_t v = (uint32_t)u;

		memcpy(&f, &v, sizeof(f));
		return f;
	}
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		memcpy(&d, &u, sizeof(d));
		return d;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: /* exact: a float keeps every value */
		return hetsched__f32_from_f16((uint16_t)u);
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
		return hetsched__f32_from_bf16((uint16_t)u);
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
		return (int8_t)u;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
		return (int16_t)u;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
		return (int32_t)u;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		return (double)(int64_t)u;
	default:
		return (double)u;
	}
}

/* A double as an int64, clamped (a cast of a value out of range is undefined). */
static int64_t to_int64(double v)
{
	if (!(v == v))
		return 0;
	if (v >= 9.2e18)
		return INT64_MAX;
	if (v <= -9.2e18)
		return INT64_MIN;
	return (int64_t)v;
}

/* Values of a typed field (float_data and the like) as doubles, when their count is right. */
#define TYPED(field, count)                                                                        \
	do {                                                                                       \
		if (t->n_##field != numel)                                                         \
			goto bad_count;                                                            \
		for (size_t k = 0; k < numel; k++)                                                 \
			v[k] = (double)t->field[k];                                                \
	} while (0)

/* A tensor of the file as a known value. */
static int tensor_const(const struct hetsched__onnx *g, const Onnx__TensorProto *t,
                        struct hetsched__onnx_const *c)
{
	size_t numel = 1, esize = elem_size(t->data_type), bytes;
	unsigned char *ext = NULL;
	const unsigned char *raw = NULL;
	double *v = NULL;
	int rc = 0;

	c->name = t->name ? t->name : "";
	c->elem_type = t->data_type;
	if (t->n_dims > HETSCHED__ONNX_MAX_NDIM)
		return hetsched__error(HETSCHED_ESHAPE,
		                       "%s: tensor '%s' has %zu dimensions (at most "
		                       "%d)",
		                       g->path, c->name, t->n_dims, HETSCHED__ONNX_MAX_NDIM);
	for (size_t d = 0; d < t->n_dims; d++) {
		if (t->dims[d] < 0 || __builtin_mul_overflow(numel, (size_t)t->dims[d], &numel))
			return hetsched__error(HETSCHED_ESHAPE,
			                       "%s: tensor '%s': bad dimension %lld", g->path,
			                       c->name, (long long)t->dims[d]);
		c->dims[d] = (size_t)t->dims[d];
	}
	c->ndim = t->n_dims;
	c->numel = numel;
	if (esize == 0)
		return hetsched__error(HETSCHED_EDTYPE,
		                       "%s: tensor '%s' has data type %d, which "
		                       "cannot be read as numbers here",
		                       g->path, c->name, t->data_type);
	if (__builtin_mul_overflow(numel, esize, &bytes))
		return hetsched__error(HETSCHED_ESHAPE, "%s: tensor '%s' is too large", g->path,
		                       c->name);
	/* The data must be there before anything is allocated for them. */
	if (t->has_data_location &&
	    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		HETSCHED_CALL(hetsched__onnx_external(g, t, bytes, &ext));
		raw = ext;
	} else if (t->has_raw_data) {
		if (t->raw_data.len != bytes)
			return hetsched__error(
			    HETSCHED_EFORMAT,
			    "%s: tensor '%s': %zu bytes of data for %zu elements of "
			    "%zu bytes",
			    g->path, c->name, t->raw_data.len, numel, esize);
		raw = t->raw_data.data;
	}
	/* Without raw bytes, the typed field must hold numel values: checked before allocating,
	 * so that dimensions alone never size an allocation. */
	if (!raw) {
		size_t have;

		switch (t->data_type) {
		case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
			have = t->n_float_data;
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
			have = t->n_double_data;
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
			have = t->n_int64_data;
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
		case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
			have = t->n_uint64_data;
			break;
		default:
			have = t->n_int32_data;
		}
		if (have != numel)
			goto bad_count;
	}
	v = malloc((numel ? numel : 1) * sizeof(double));
	c->f = malloc((numel ? numel : 1) * sizeof(float));
	if (!is_float_type(t->data_type))
		c->i = malloc((numel ? numel : 1) * sizeof(int64_t));
	if (!v || !c->f || (!is_float_type(t->data_type) && !c->i)) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory for tensor '%s'", g->path,
		                     c->name);
		goto out;
	}
	if (raw) {
		for (size_t k = 0; k < numel; k++)
			v[k] = element(raw, t->data_type, k);
	} else {
		switch (t->data_type) {
		case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
			TYPED(float_data, numel);
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
			TYPED(double_data, numel);
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
			TYPED(int64_data, numel);
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
		case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
			TYPED(uint64_data, numel);
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
		case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
			if (t->n_int32_data != numel)
				goto bad_count;
			for (size_t k = 0; k < numel; k++) {
				unsigned char two[2] = {(unsigned char)t->int32_data[k],
				                        (unsigned char)(t->int32_data[k] >> 8)};

				v[k] = element(two, t->data_type, 0);
			}
			break;
		default:
			TYPED(int32_data, numel);
		}
	}
	for (size_t k = 0; k < numel; k++) {
		c->f[k] = (float)v[k];
		if (c->i)
			c->i[k] = to_int64(v[k]);
	}
	goto out;
bad_count:
	rc = hetsched__error(HETSCHED_EFORMAT,
	                     "%s: tensor '%s': the number of values does not match "
	                     "its %zu elements",
	                     g->path, c->name, numel);
out:
	free(v);
	free(ext);
	return rc;
}

/* A Constant node's value (opset 12 on: also value_float(s) and value_int(s)). */
static int constant_node(const struct hetsched__onnx *g, const Onnx__NodeProto *n,
                         struct hetsched__onnx_const *c)
{
	const Onnx__AttributeProto *a = n->n_attribute == 1 ? n->attribute[0] : NULL;
	Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
	int64_t dim;

	if (!a || !a->name || n->n_output != 1)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: Constant node '%s' has no single value", g->path,
		                       n->name ? n->name : "");
	if (!strcmp(a->name, "value") && a->t) {
		HETSCHED_CALL(tensor_const(g, a->t, c));
	} else if (!strcmp(a->name, "value_float") || !strcmp(a->name, "value_floats")) {
		t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
		t.n_float_data = a->name[11] ? a->n_floats : 1;
		t.float_data = a->name[11] ? a->floats : (float *)&a->f;
		dim = (int64_t)t.n_float_data;
		t.n_dims = a->name[11] ? 1 : 0;
		t.dims = &dim;
		HETSCHED_CALL(tensor_const(g, &t, c));
	} else if (!strcmp(a->name, "value_int") || !strcmp(a->name, "value_ints")) {
		t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
		t.n_int64_data = a->name[9] ? a->n_ints : 1;
		t.int64_data = a->name[9] ? a->ints : (int64_t *)&a->i;
		dim = (int64_t)t.n_int64_data;
		t.n_dims = a->name[9] ? 1 : 0;
		t.dims = &dim;
		HETSCHED_CALL(tensor_const(g, &t, c));
	} else {
		return hetsched__error(HETSCHED_EINVAL,
		                       "%s: Constant node '%s': attribute '%s' is not supported",
		                       g->path, n->name ? n->name : "", a->name);
	}
	c->name = n->output[0];
	return 0;
}

/* Transpose of a constant (a weight stored transposed, as older PyTorch exports wrote
 * nn.Linear without bias): folded here, so that the graph sees one more constant. */
static int transpose_node(const struct hetsched__onnx *g, const Onnx__NodeProto *n,
                          const struct hetsched__onnx_const *in, struct hetsched__onnx_const *c)
{
	const Onnx__AttributeProto *perm = NULL;
	size_t nd = in->ndim, p[HETSCHED__ONNX_MAX_NDIM], stride[HETSCHED__ONNX_MAX_NDIM];

	for (size_t k = 0; k < n->n_attribute; k++)
		if (n->attribute[k]->name && !strcmp(n->attribute[k]->name, "perm"))
			perm = n->attribute[k];
	if (perm && perm->n_ints != nd)
		return hetsched__error(HETSCHED_EINVAL, "%s: Transpose node '%s': bad perm",
		                       g->path, n->name ? n->name : "");
	for (size_t d = 0; d < nd; d++) {
		int seen = 0;

		p[d] = perm ? (size_t)perm->ints[d] : nd - 1 - d;
		/* A permutation: every axis once (perm = [0, 0] would read past the tensor). */
		for (size_t e = 0; e < d; e++)
			seen |= p[e] == p[d];
		if (p[d] >= nd || seen)
			return hetsched__error(HETSCHED_EINVAL, "%s: Transpose node '%s': bad perm",
			                       g->path, n->name ? n->name : "");
	}
	for (size_t d = nd, s = 1; d-- > 0;) {
		stride[d] = s;
		s *= in->dims[d];
	}
	c->name = n->output[0];
	c->elem_type = in->elem_type;
	c->ndim = nd;
	c->numel = in->numel;
	for (size_t d = 0; d < nd; d++)
		c->dims[d] = in->dims[p[d]];
	c->f = malloc((in->numel ? in->numel : 1) * sizeof(float));
	if (!c->f)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", g->path);
	for (size_t k = 0; k < in->numel; k++) {
		size_t rest = k, src = 0;

		for (size_t d = nd; d-- > 0;) {
			src += (rest % c->dims[d]) * stride[p[d]];
			rest /= c->dims[d];
		}
		c->f[k] = in->f[src];
	}
	return 0;
}

/* A graph input given as a .npy file (--input NAME=FILE). */
static int given_input(const struct hetsched__onnx *g, const char *name, const char *path,
                       struct hetsched__onnx_const *c)
{
	size_t shape[HETSCHED_NPY_MAX_NDIM];
	enum hetsched_dtype dtype;

	HETSCHED_CALL(hetsched_npy_load_dtype(path, &c->f, &c->ndim, shape, &dtype));
	c->name = name;
	c->elem_type = dtype == HETSCHED_DTYPE_F16 ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16
	                                           : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	c->numel = 1;
	for (size_t d = 0; d < c->ndim; d++) {
		c->dims[d] = shape[d];
		c->numel *= shape[d];
	}
	/* Integral values may serve as shapes or axes (Reshape's second input). */
	c->i = malloc(c->numel * sizeof(int64_t));
	if (!c->i)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
	for (size_t k = 0; k < c->numel; k++)
		c->i[k] = to_int64(c->f[k]);
	(void)g;
	return 0;
}

static int read_model(struct hetsched__onnx *g, const unsigned char *bytes, size_t len,
                      const struct hetsched_model_options *o)
{
	const Onnx__GraphProto *graph;
	size_t cap;

	g->proto = onnx__model_proto__unpack(NULL, len, bytes);
	if (!g->proto || !g->proto->graph)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: not an ONNX model (the protobuf "
		                       "message does not parse as a ModelProto)",
		                       g->path);
	graph = g->proto->graph;
	/* Names the compiler compares: a message may leave any of them out. */
	for (size_t k = 0; k < graph->n_node; k++) {
		const Onnx__NodeProto *n = graph->node[k];
		int bad = !n || !n->op_type;

		for (size_t i = 0; !bad && i < n->n_input; i++)
			bad = !n->input[i];
		for (size_t i = 0; !bad && i < n->n_output; i++)
			bad = !n->output[i];
		for (size_t i = 0; !bad && i < n->n_attribute; i++)
			bad = !n->attribute[i] || !n->attribute[i]->name;
		if (bad)
			return hetsched__error(HETSCHED_EFORMAT,
			                       "%s: node %zu has no operator, or an "
			                       "input, output or attribute without a "
			                       "name",
			                       g->path, k);
	}
	for (size_t k = 0; k < graph->n_output; k++)
		if (!graph->output[k] || !graph->output[k]->name)
			return hetsched__error(HETSCHED_EFORMAT, "%s: graph output %zu has no name",
			                       g->path, k);
	g->opset = 1;
	for (size_t k = 0; k < g->proto->n_opset_import; k++) {
		const Onnx__OperatorSetIdProto *op = g->proto->opset_import[k];

		if ((!op->domain || !*op->domain || !strcmp(op->domain, "ai.onnx")) &&
		    op->has_version)
			g->opset = op->version;
	}
	cap = graph->n_initializer + graph->n_node + (o ? o->ninputs : 0);
	g->consts = calloc(cap + 1, sizeof(*g->consts));
	if (!g->consts)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", g->path);
	for (size_t k = 0; k < graph->n_initializer; k++)
		HETSCHED_CALL(tensor_const(g, graph->initializer[k], &g->consts[g->nconsts++]));
	for (size_t k = 0; k < graph->n_node; k++) {
		const Onnx__NodeProto *n = graph->node[k];
		const struct hetsched__onnx_const *in;

		if (n->op_type && !strcmp(n->op_type, "Constant"))
			HETSCHED_CALL(constant_node(g, n, &g->consts[g->nconsts++]));
		else if (n->op_type && !strcmp(n->op_type, "Transpose") && n->n_input == 1 &&
		         n->n_output == 1 && (in = hetsched__onnx_find(g, n->input[0])))
			HETSCHED_CALL(transpose_node(g, n, in, &g->consts[g->nconsts++]));
	}
	for (size_t k = 0; o && k < o->ninputs; k++) {
		int found = 0;

		for (size_t j = 0; j < graph->n_input; j++)
			found |= graph->input[j]->name &&
			         !strcmp(graph->input[j]->name, o->input_names[k]);
		if (!found)
			return hetsched__error(HETSCHED_EINVAL,
			                       "%s: the graph has no input named '%s'", g->path,
			                       o->input_names[k]);
		HETSCHED_CALL(
		    given_input(g, o->input_names[k], o->input_paths[k], &g->consts[g->nconsts++]));
	}
	/* The model's input: the first graph input without a value (older files list the
	 * initializers among the inputs). */
	for (size_t j = 0; j < graph->n_input; j++) {
		const Onnx__ValueInfoProto *in = graph->input[j];
		const Onnx__TypeProto *type = in->type;

		if (!in->name || hetsched__onnx_find(g, in->name))
			continue;
		if (g->input)
			return hetsched__error(HETSCHED_EINVAL,
			                       "%s: graph input '%s' has no value: give it with "
			                       "--input %s=FILE.npy",
			                       g->path, in->name, in->name);
		g->input = in->name;
		if (!type || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
		    !type->tensor_type)
			return hetsched__error(HETSCHED_EINVAL, "%s: input '%s' is not a tensor",
			                       g->path, in->name);
		g->input_elem_type = type->tensor_type->elem_type;
		if (type->tensor_type->shape) {
			const Onnx__TensorShapeProto *sh = type->tensor_type->shape;

			if (sh->n_dim > HETSCHED__ONNX_MAX_NDIM)
				return hetsched__error(HETSCHED_ESHAPE,
				                       "%s: input '%s' has %zu dimensions", g->path,
				                       in->name, sh->n_dim);
			g->input_ndim = sh->n_dim;
			for (size_t d = 0; d < sh->n_dim; d++)
				g->input_dims[d] =
				    sh->dim[d]->value_case ==
				                ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
				            sh->dim[d]->dim_value > 0
				        ? sh->dim[d]->dim_value
				        : -1;
		}
	}
	if (!g->input)
		return hetsched__error(HETSCHED_EINVAL, "%s: the graph has no input to read",
		                       g->path);
	return 0;
}

int hetsched__onnx_read_mem(const void *buf, size_t len, const char *name,
                            const struct hetsched_model_options *options, struct hetsched__onnx *g)
{
	int rc;

	memset(g, 0, sizeof(*g));
	/* Messages name the "file"; with no file there is no external data to read. */
	g->path = name ? name : "(memory)";
	g->in_memory = 1;
	rc = read_model(g, buf, len, options);
	if (rc < 0)
		hetsched__onnx_free(g);
	return rc;
}

int hetsched__onnx_read(const char *path, const struct hetsched_model_options *options,
                        struct hetsched__onnx *g)
{
	unsigned char *bytes;
	size_t len;
	int rc;

	memset(g, 0, sizeof(*g));
	HETSCHED_CALL(hetsched__read_file(path, &bytes, &len));
	g->path = path;
	rc = read_model(g, bytes, len, options);
	free(bytes);
	if (rc < 0)
		hetsched__onnx_free(g);
	return rc;
}

const struct hetsched__onnx_const *hetsched__onnx_find(const struct hetsched__onnx *g,
                                                       const char *name)
{
	for (size_t k = 0; k < g->nconsts; k++)
		if (!strcmp(g->consts[k].name, name))
			return &g->consts[k];
	return NULL;
}

void hetsched__onnx_free(struct hetsched__onnx *g)
{
	for (size_t k = 0; k < g->nconsts; k++) {
		free(g->consts[k].f);
		free(g->consts[k].i);
	}
	free(g->consts);
	if (g->proto)
		onnx__model_proto__free_unpacked(g->proto, NULL);
	memset(g, 0, sizeof(*g));
}
