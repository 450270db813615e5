/* activation.c: the activations of hetsched.h by name, and as the element-wise programs of
 * codelets/epilogue.h that the kernels run (softmax and log-softmax are row-wise: a step of
 * their own). Parameters are PyTorch's defaults. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "codelets.h"
#include "internal.h"

static const char *const names[HETSCHED_NACTIVATIONS] = {
    "none",        "relu", "leaky_relu", "elu",  "selu",    "tanh",       "sigmoid",
    "hardsigmoid", "gelu", "gelu_tanh",  "silu", "softmax", "log_softmax"};

const char *hetsched_activation_name(enum hetsched_activation activation)
{
	return (unsigned)activation < HETSCHED_NACTIVATIONS ? names[activation] : "unknown";
}

/* a and b equal once lowercased and without underscores ("LeakyReLU" is "leaky_relu"). */
static int same_name(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

int hetsched_activation_parse(const char *name, enum hetsched_activation *activation)
{
	if (!name || !activation)
		return hetsched__error(HETSCHED_EINVAL, "activation_parse: NULL argument");
	for (int a = 0; a < HETSCHED_NACTIVATIONS; a++)
		if (same_name(name, names[a])) {
			*activation = (enum hetsched_activation)a;
			return 0;
		}
	if (same_name(name, "identity")) {
		*activation = HETSCHED_ACT_NONE;
		return 0;
	}
	return hetsched__error(HETSCHED_EINVAL,
	                       "unknown activation '%s' (known: none, relu, leaky_relu, elu, selu, "
	                       "tanh, sigmoid, hardsigmoid, gelu, gelu_tanh, silu, softmax, "
	                       "log_softmax)",
	                       name);
}

static void unary(struct hetsched_ew_prog *prog, uint32_t op, float p0, float p1)
{
	prog->code[prog->n] = HETSCHED_EW_CODE(op, 0, 0, 0, 0, 0);
	prog->p0[prog->n] = p0;
	prog->p1[prog->n] = p1;
	prog->n++;
}

int hetsched__activation_prog(enum hetsched_activation activation, struct hetsched_ew_prog *prog)
{
	memset(prog, 0, sizeof(*prog));
	switch (activation) {
	case HETSCHED_ACT_NONE:
	case HETSCHED_ACT_SOFTMAX:
	case HETSCHED_ACT_LOG_SOFTMAX:
		return 0;
	case HETSCHED_ACT_RELU:
		unary(prog, HETSCHED_EW_RELU, 0, 0);
		return 0;
	case HETSCHED_ACT_LEAKY_RELU:
		unary(prog, HETSCHED_EW_LEAKY_RELU, 0.01f, 0);
		return 0;
	case HETSCHED_ACT_ELU:
		unary(prog, HETSCHED_EW_ELU, 1.0f, 0);
		return 0;
	case HETSCHED_ACT_SELU:
		unary(prog, HETSCHED_EW_SELU, 1.6732632423543772f, 1.0507009873554805f);
		return 0;
	case HETSCHED_ACT_TANH:
		unary(prog, HETSCHED_EW_TANH, 0, 0);
		return 0;
	case HETSCHED_ACT_SIGMOID:
		unary(prog, HETSCHED_EW_SIGMOID, 0, 0);
		return 0;
	case HETSCHED_ACT_HARD_SIGMOID:
		unary(prog, HETSCHED_EW_HARD_SIGMOID, 1.0f / 6.0f, 0.5f);
		return 0;
	case HETSCHED_ACT_GELU:
		unary(prog, HETSCHED_EW_GELU, 0, 0);
		return 0;
	case HETSCHED_ACT_GELU_TANH:
		unary(prog, HETSCHED_EW_GELU_TANH, 0, 0);
		return 0;
	case HETSCHED_ACT_SILU:
		/* r1 = sigmoid(r0); r0 = r0 * r1 */
		prog->code[0] = HETSCHED_EW_CODE(HETSCHED_EW_SIGMOID, 1, 0, 0, 0, 0);
		prog->code[1] = HETSCHED_EW_CODE(HETSCHED_EW_MUL, 0, 0, HETSCHED_EW_B_REG, 1, 0);
		prog->n = 2;
		return 0;
	default:
		return hetsched__error(HETSCHED_EINVAL, "unknown activation %d", (int)activation);
	}
}
