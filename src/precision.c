/* precision.c: the dtypes and precisions of hetsched.h by name. */
#include "config.h"

#include <strings.h>

#include "internal.h"

static const char *const dtype_names[HETSCHED_NDTYPES] = {"f32", "bf16", "f16"};
static const char *const precision_names[HETSCHED_NPRECISIONS] = {"fp32", "tf32", "bf16", "fp16"};

/* Other names each is known by: numpy's and PyTorch's dtypes, PyTorch's matmul precisions. */
static const struct alias {
	const char *name;
	int value;
} dtype_aliases[] = {{"float32", HETSCHED_DTYPE_F32},   {"fp32", HETSCHED_DTYPE_F32},
                     {"bfloat16", HETSCHED_DTYPE_BF16}, {"float16", HETSCHED_DTYPE_F16},
                     {"fp16", HETSCHED_DTYPE_F16},      {"half", HETSCHED_DTYPE_F16}},
  precision_aliases[] = {{"highest", HETSCHED_PRECISION_FP32},
                         {"high", HETSCHED_PRECISION_TF32},
                         {"medium", HETSCHED_PRECISION_BF16}};

static int lookup(const char *name, const char *const *names, int n, const struct alias *aliases,
                  size_t naliases)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(name, names[i]))
			return i;
	for (size_t i = 0; i < naliases; i++)
		if (!strcasecmp(name, aliases[i].name))
			return aliases[i].value;
	return -1;
}

const char *hetsched_dtype_name(enum hetsched_dtype dtype)
{
	return (unsigned)dtype < HETSCHED_NDTYPES ? dtype_names[dtype] : "unknown";
}

size_t hetsched_dtype_size(enum hetsched_dtype dtype)
{
	return dtype == HETSCHED_DTYPE_F32 ? 4 : (unsigned)dtype < HETSCHED_NDTYPES ? 2 : 0;
}

int hetsched_dtype_parse(const char *name, enum hetsched_dtype *dtype)
{
	int v;

	if (!name || !dtype)
		return hetsched__error(HETSCHED_EINVAL, "dtype_parse: NULL argument");
	v = lookup(name, dtype_names, HETSCHED_NDTYPES, dtype_aliases,
	           sizeof(dtype_aliases) / sizeof(dtype_aliases[0]));
	if (v < 0)
		return hetsched__error(HETSCHED_EINVAL,
		                       "unknown dtype '%s' (known: f32, bf16, f16; also float32, "
		                       "bfloat16, float16, half)",
		                       name);
	*dtype = (enum hetsched_dtype)v;
	return 0;
}

const char *hetsched_precision_name(enum hetsched_precision precision)
{
	return (unsigned)precision < HETSCHED_NPRECISIONS ? precision_names[precision] : "unknown";
}

int hetsched_precision_parse(const char *name, enum hetsched_precision *precision)
{
	int v;

	if (!name || !precision)
		return hetsched__error(HETSCHED_EINVAL, "precision_parse: NULL argument");
	v = lookup(name, precision_names, HETSCHED_NPRECISIONS, precision_aliases,
	           sizeof(precision_aliases) / sizeof(precision_aliases[0]));
	if (v < 0)
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "unknown precision '%s' (known: fp32, tf32, bf16, fp16; also "
		    "PyTorch's highest, high, medium)",
		    name);
	*precision = (enum hetsched_precision)v;
	return 0;
}
