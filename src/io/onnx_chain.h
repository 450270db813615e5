/* onnx_chain.h: the graph compiler's state, shared by onnx_chain.c (the chain of values, the
 * pending element-wise program, the driver) and onnx_nodes.c (one function per kind of node).
 * Every int function returns 0 (or a register number) or a negative HETSCHED_E* code with the
 * message set. */
#ifndef HETSCHED_IO_ONNX_CHAIN_H
#define HETSCHED_IO_ONNX_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "io/model.h"
#include "io/onnx.h"

/* The list refusals quote. */
#define HETSCHED__ONNX_SUPPORTED                                                                   \
	"Gemm, MatMul, BatchNormalization, Relu, LeakyRelu, Elu, Selu, Tanh, Sigmoid, "            \
	"HardSigmoid, "                                                                            \
	"Gelu, Softmax, LogSoftmax, Add, Sub, Mul, Div, Pow, Sqrt, Erf, Exp, Flatten, Identity, "  \
	"Dropout, Reshape, Squeeze, Unsqueeze, Constant, Transpose (of constants)"

/* A value of the chain: the data, in register reg of the pending program. */
struct hetsched__oc_value {
	const char *name;
	int reg;
	int last; /* index of the last node that reads it; INT32_MAX for the graph's output */
	size_t ndim, dims[HETSCHED__ONNX_MAX_NDIM];
};

struct hetsched__oc {
	const struct hetsched__onnx *g;
	const Onnx__GraphProto *graph;
	struct hetsched__model *m;
	size_t rows, cols; /* the view of the pending program: rows x cols */
	size_t node;       /* index of the node being compiled */
	struct hetsched__oc_value *vals;
	size_t nvals;
	struct hetsched_ew_prog prog; /* the pending element-wise program */
	float *vecs;                  /* its constants, HETSCHED_EW_MAX_VECS x cols */
};

/* Optional strings the file left out are NULL in protobuf-c's messages. */
#define HETSCHED__OC_STR(s) ((s) ? (s) : "")

/* Product of d[from, to), SIZE_MAX when it overflows. */
size_t hetsched__oc_prod(const size_t *d, size_t from, size_t to);
/* HETSCHED_EINVAL with "<file>: node '<name>' (<op>): <why>". */
int hetsched__oc_refuse(const struct hetsched__oc *c, const char *why);
/* Node attributes, with defaults for the absent ones. */
const Onnx__AttributeProto *hetsched__oc_attr(const Onnx__NodeProto *n, const char *name);
float hetsched__oc_attr_f(const Onnx__NodeProto *n, const char *name, float dflt);
int64_t hetsched__oc_attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt);
/* Index of the last node after the current one that reads \p name (INT32_MAX for the graph's
 * output, -1 for none). */
int hetsched__oc_last_use(const struct hetsched__oc *c, const char *name);
/* The chain's value called \p name, or NULL. */
struct hetsched__oc_value *hetsched__oc_find(const struct hetsched__oc *c, const char *name);
/* 1 when the rows are a prefix product of the shape (the smallest such prefix in *j). */
int hetsched__oc_split(const struct hetsched__oc *c, const size_t *dims, size_t ndim, size_t *j);
/* Record a new value of the chain in register \p reg; refused when its shape does not keep the
 * rows. */
int hetsched__oc_new_value(struct hetsched__oc *c, const char *name, int reg, const size_t *dims,
                           size_t ndim);
/* A register that no live value holds, or a refusal. */
int hetsched__oc_free_reg(struct hetsched__oc *c);
/* Append an instruction to the pending program. */
int hetsched__oc_emit(struct hetsched__oc *c, uint32_t code, float p0, float p1);
/* End the pending program with \p head as its result (fused into the linear step before it when
 * there is one). */
int hetsched__oc_flush(struct hetsched__oc *c, struct hetsched__oc_value *head);
/* Before a linear or row-wise node on \p v: refuse a branching graph, end the pending program. */
int hetsched__oc_take_head(struct hetsched__oc *c, struct hetsched__oc_value *v);
/* A constant operand broadcast against \p v: a scalar, or one value per column of the view. */
int hetsched__oc_constant_operand(struct hetsched__oc *c, const struct hetsched__oc_value *v,
                                  const struct hetsched__onnx_const *k, int *is_scalar,
                                  float *scalar, float *vec, size_t *out_dims, size_t *out_ndim);
/* Room for one more per-column constant in the pending program. */
int hetsched__oc_vec_slot(struct hetsched__oc *c);

/* Compile node \p n (onnx_nodes.c; onnx_load.c drives the compilation). */
int hetsched__oc_node(struct hetsched__oc *c, const Onnx__NodeProto *n);

#endif
