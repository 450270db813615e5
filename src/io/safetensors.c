/* safetensors.c: reading .safetensors files, checked throughout because they are fuzzed, and
 * writing one tensor as a .safetensors file (hetsched_safetensors_save).
 *
 * The format: an unsigned 64-bit little-endian N, N bytes of a UTF-8 JSON object (possibly
 * padded with spaces) mapping each tensor's name to {"dtype", "shape", "data_offsets": [begin,
 * end)}, offsets relative to the first byte after the header, with an optional "__metadata__"
 * object of strings; then the data, little-endian and C order. The header is parsed by jansson,
 * and every number it gives is checked against the bytes really present before it is used. */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "internal.h"
#include "io/file.h"
#include "io/safetensors.h"

/* The reference implementation's limit: larger headers are refused before being parsed. */
#define ST_MAX_HEADER (100u * 1000 * 1000)

/* Element sizes in bits of the dtypes the format defines. Other names may appear in files of
 * newer versions: their tensors are bounds-checked but not size-checked, and never converted. */
static const struct {
	const char *name;
	unsigned bits;
} st_dtypes[] = {
    {"BOOL", 8},    {"U8", 8},   {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8},
    {"F8_E8M0", 8}, {"I16", 16}, {"U16", 16}, {"F16", 16},    {"BF16", 16},
    {"I32", 32},    {"U32", 32}, {"F32", 32}, {"F64", 64},    {"I64", 64},
    {"U64", 64},    {"C64", 64}, {"F4", 4},   {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

static unsigned dtype_bits(const char *dtype)
{
	size_t i;

	for (i = 0; i < sizeof(st_dtypes) / sizeof(st_dtypes[0]); i++)
		if (strcmp(dtype, st_dtypes[i].name) == 0)
			return st_dtypes[i].bits;
	return 0;
}

size_t hetsched__st_tensor_numel(const struct hetsched__st_tensor *tensor)
{
	size_t n = 1, i;

	for (i = 0; i < tensor->ndim; i++)
		n *= tensor->shape[i];
	return n;
}

/* "[3, 4]", cut short (never overflowing) when it does not fit. */
static void format_shape(char *buf, size_t cap, const size_t *shape, size_t ndim)
{
	size_t used, i;

	used = (size_t)snprintf(buf, cap, "[");
	for (i = 0; i < ndim && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, i ? ", %zu" : "%zu", shape[i]);
	if (used < cap)
		snprintf(buf + used, cap - used, "]");
}

static int has_control_char(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* A non-negative JSON integer that fits a size_t. */
static int get_size(const json_t *value, size_t *out)
{
	json_int_t v;

	if (!json_is_integer(value))
		return -1;
	v = json_integer_value(value);
	if (v < 0 || (unsigned long long)v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Check one header entry and fill \p t; the name is set last, so that a failure leaves
 * nothing to free. */
static int parse_tensor(const struct hetsched__safetensors *st, const char *key, size_t key_len,
                        json_t *entry, struct hetsched__st_tensor *t)
{
	const char *name = st->name, *dtype_str;
	json_t *dtype, *shape, *offsets, *dim;
	size_t dtype_len, i, numel = 1, bits, need, have;
	char shape_str[160];

	if (has_control_char(key, key_len))
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: a tensor name contains a control character", name);
	if (!json_is_object(entry))
		return hetsched__error(HETSCHED_EFORMAT, "%s: tensor '%s': entry is not an object",
		                       name, key);

	dtype = json_object_get(entry, "dtype");
	if (!json_is_string(dtype))
		return hetsched__error(HETSCHED_EFORMAT, "%s: tensor '%s': no \"dtype\" string",
		                       name, key);
	dtype_str = json_string_value(dtype);
	dtype_len = json_string_length(dtype);
	if (dtype_len == 0 || dtype_len >= sizeof(t->dtype) ||
	    strspn(dtype_str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != dtype_len)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': \"dtype\" is not a dtype name", name, key);
	memcpy(t->dtype, dtype_str, dtype_len + 1);

	shape = json_object_get(entry, "shape");
	if (!json_is_array(shape))
		return hetsched__error(HETSCHED_EFORMAT, "%s: tensor '%s': no \"shape\" array",
		                       name, key);
	if (json_array_size(shape) > HETSCHED__ST_MAX_NDIM)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': %zu dimensions (at most %d supported)",
		                       name, key, json_array_size(shape), HETSCHED__ST_MAX_NDIM);
	t->ndim = json_array_size(shape);
	for (i = 0; i < t->ndim; i++) {
		dim = json_array_get(shape, i);
		if (get_size(dim, &t->shape[i]) != 0)
			return hetsched__error(HETSCHED_EFORMAT,
			                       "%s: tensor '%s': \"shape\" holds something other "
			                       "than non-negative integers",
			                       name, key);
		if (__builtin_mul_overflow(numel, t->shape[i], &numel))
			return hetsched__error(HETSCHED_EFORMAT, "%s: tensor '%s': shape too large",
			                       name, key);
	}

	offsets = json_object_get(entry, "data_offsets");
	if (!json_is_array(offsets) || json_array_size(offsets) != 2 ||
	    get_size(json_array_get(offsets, 0), &t->begin) != 0 ||
	    get_size(json_array_get(offsets, 1), &t->end) != 0)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': \"data_offsets\" is not a pair of "
		                       "non-negative integers",
		                       name, key);
	if (t->begin > t->end || t->end > st->data_size)
		return hetsched__error(
		    HETSCHED_EFORMAT,
		    "%s: tensor '%s': data_offsets [%zu, %zu] outside the %zu bytes "
		    "of data%s",
		    name, key, t->begin, t->end, st->data_size,
		    t->begin <= t->end ? " (truncated file?)" : "");

	/* Sub-byte dtypes (F4, F6_*) are packed: the range holds whole bytes. */
	bits = dtype_bits(t->dtype);
	have = t->end - t->begin;
	if (bits) {
		if (__builtin_mul_overflow(numel, bits, &need))
			need = SIZE_MAX;
		else
			need = need / 8 + (need % 8 != 0);
		if (need != have) {
			format_shape(shape_str, sizeof(shape_str), t->shape, t->ndim);
			return hetsched__error(
			    HETSCHED_EFORMAT,
			    "%s: tensor '%s': data_offsets hold %zu bytes but %s "
			    "%s needs %zu",
			    name, key, have, t->dtype, shape_str, need);
		}
	}
	t->name = strndup(key, key_len);
	if (!t->name)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", name);
	return 0;
}

/* The metadata must map strings to strings; "activations" is kept (model.c reads it). */
static int check_metadata(struct hetsched__safetensors *st, json_t *meta)
{
	json_t *act;
	void *it;

	if (!json_is_object(meta))
		return hetsched__error(HETSCHED_EFORMAT, "%s: \"__metadata__\" is not an object",
		                       st->name);
	for (it = json_object_iter(meta); it; it = json_object_iter_next(meta, it))
		if (!json_is_string(json_object_iter_value(it)))
			return hetsched__error(HETSCHED_EFORMAT,
			                       "%s: \"__metadata__\" must map strings to strings",
			                       st->name);
	act = json_object_get(meta, "activations");
	if (act && !(st->activations = strdup(json_string_value(act))))
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", st->name);
	return 0;
}

/* What a file that is not .safetensors is, from its first bytes, when it is a PyTorch file:
 * torch.save writes a zip archive (PyTorch 1.6 on) or a bare pickle (before). */
static int not_safetensors(const struct hetsched__safetensors *st)
{
	const unsigned char *b = st->bytes;
	int zip = st->size >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4;
	int pickle = st->size >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5;

	if (!zip && !pickle)
		return 0;
	return hetsched__error(
	    HETSCHED_EFORMAT,
	    "%s: a torch.save file (%s), not .safetensors: convert it with python3 -c \"import "
	    "torch, safetensors.torch as s; s.save_file(torch.load('%s'), 'model.safetensors')\" "
	    "(a state_dict), or export the model with torch.onnx.export",
	    st->name, zip ? "zip archive" : "pickle", st->name);
}

/* Parse st->bytes (st->size bytes) into st's header fields. */
static int parse(struct hetsched__safetensors *st)
{
	const unsigned char *b = st->bytes;
	const char *key;
	size_t i;
	json_error_t jerr;
	json_t *root, *value;
	uint64_t hlen = 0;
	void *it;
	int rc = 0;

	if (st->size < 8)
		return hetsched__error(
		    HETSCHED_EFORMAT,
		    "%s: truncated: %zu bytes, shorter than the 8-byte header length", st->name,
		    st->size);
	HETSCHED_CALL(not_safetensors(st));
	for (i = 0; i < 8; i++)
		hlen |= (uint64_t)b[i] << (8 * i);
	if (hlen > ST_MAX_HEADER)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: header length %llu is over the 100 MB limit (not a "
		                       ".safetensors file?)",
		                       st->name, (unsigned long long)hlen);
	if (hlen > st->size - 8)
		return hetsched__error(
		    HETSCHED_EFORMAT, "%s: truncated: header length %llu but only %zu bytes follow",
		    st->name, (unsigned long long)hlen, st->size - 8);
	st->data = b + 8 + hlen;
	st->data_size = st->size - 8 - (size_t)hlen;

	/* Duplicate names would make "the tensor called x" ambiguous: the format forbids them. */
	root = json_loadb((const char *)b + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson quotes the offending text: keep the message on one line. */
		for (i = 0; jerr.text[i]; i++)
			if ((unsigned char)jerr.text[i] < 0x20)
				jerr.text[i] = '?';
		return hetsched__error(
		    HETSCHED_EFORMAT, "%s: header is not valid JSON: %s (at byte %d of the header)",
		    st->name, jerr.text, jerr.position);
	}
	if (!json_is_object(root)) {
		rc = hetsched__error(HETSCHED_EFORMAT, "%s: header is not a JSON object", st->name);
		goto out;
	}
	/* The header's own bytes bound this allocation: each entry takes several of them. */
	st->tensors = calloc(json_object_size(root) + 1, sizeof(*st->tensors));
	if (!st->tensors) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", st->name);
		goto out;
	}
	/* jansson refuses NUL bytes in keys, so strlen() is a key's length; it also keeps the
	 * header's order (since 2.8), which messages then follow. */
	for (it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
		key = json_object_iter_key(it);
		value = json_object_iter_value(it);
		if (strcmp(key, "__metadata__") == 0) {
			HETSCHED_TRY(rc, check_metadata(st, value), out);
			continue;
		}
		HETSCHED_TRY(
		    rc, parse_tensor(st, key, strlen(key), value, &st->tensors[st->ntensors]), out);
		st->ntensors++;
	}
out:
	json_decref(root);
	return rc;
}

/* Takes ownership of \p bytes, whatever happens. */
static int open_bytes(unsigned char *bytes, size_t len, const char *name,
                      struct hetsched__safetensors *st)
{
	int rc;

	memset(st, 0, sizeof(*st));
	st->bytes = bytes;
	st->size = len;
	st->name = strdup(name);
	if (!st->name) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", name);
		goto fail;
	}
	HETSCHED_TRY(rc, parse(st), fail);
	return 0;

fail:
	hetsched__safetensors_close(st);
	return rc;
}

int hetsched__safetensors_open(const char *path, struct hetsched__safetensors *st)
{
	unsigned char *bytes;
	size_t len;

	if (!path || !st)
		return hetsched__error(HETSCHED_EINVAL, "safetensors_open: NULL argument");
	memset(st, 0, sizeof(*st));
	HETSCHED_CALL(hetsched__read_file(path, &bytes, &len));
	return open_bytes(bytes, len, path, st);
}

int hetsched__safetensors_open_mem(const void *buf, size_t len, const char *name_for_messages,
                                   struct hetsched__safetensors *st)
{
	const char *name = name_for_messages ? name_for_messages : "(memory)";
	unsigned char *bytes;

	if ((!buf && len) || !st)
		return hetsched__error(HETSCHED_EINVAL, "%s: NULL argument", name);
	memset(st, 0, sizeof(*st));
	bytes = malloc(len ? len : 1);
	if (!bytes)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory for %zu bytes", name,
		                       len);
	if (len)
		memcpy(bytes, buf, len);
	return open_bytes(bytes, len, name, st);
}

const struct hetsched__st_tensor *hetsched__safetensors_find(const struct hetsched__safetensors *st,
                                                             const char *name)
{
	size_t i;

	for (i = 0; i < st->ntensors; i++)
		if (strcmp(st->tensors[i].name, name) == 0)
			return &st->tensors[i];
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Conversion to float32: element by element from little-endian bytes, so that neither the
 * host's byte order nor the (unaligned) offsets matter. */

static uint16_t get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float from_bits(uint32_t u)
{
	return hetsched__f32_from_bits(u);
}

int hetsched__safetensors_to_float(const struct hetsched__safetensors *st,
                                   const struct hetsched__st_tensor *tensor, float **out)
{
	const unsigned char *src;
	size_t numel, size, i;
	float *dst;

	if (!st || !tensor || !out)
		return hetsched__error(HETSCHED_EINVAL, "safetensors_to_float: NULL argument");
	*out = NULL;
	if (strcmp(tensor->dtype, "F32") == 0)
		size = 4;
	else if (strcmp(tensor->dtype, "F64") == 0)
		size = 8;
	else if (strcmp(tensor->dtype, "F16") == 0 || strcmp(tensor->dtype, "BF16") == 0)
		size = 2;
	else
		return hetsched__error(
		    HETSCHED_EDTYPE,
		    "%s: tensor '%s' has dtype %s, not supported (F32, F64, F16 or "
		    "BF16 only)",
		    st->name, tensor->name, tensor->dtype);
	/* open() checked this already; a tensor described by hand is checked here. */
	numel = hetsched__st_tensor_numel(tensor);
	if (tensor->begin > tensor->end || tensor->end > st->data_size ||
	    numel > (tensor->end - tensor->begin) / size ||
	    numel * size != tensor->end - tensor->begin)
		return hetsched__error(HETSCHED_EFORMAT,
		                       "%s: tensor '%s': byte range does not match its shape",
		                       st->name, tensor->name);
	dst = malloc((numel ? numel : 1) * sizeof(float));
	if (!dst)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory for tensor '%s'",
		                       st->name, tensor->name);
	src = st->data + tensor->begin;
	switch (size) {
	case 4:
		for (i = 0; i < numel; i++)
			dst[i] = from_bits(get_u32(src + 4 * i));
		break;
	case 8:
		for (i = 0; i < numel; i++) {
			uint64_t u =
			    (uint64_t)get_u32(src + 8 * i + 4) << 32 | get_u32(src + 8 * i);
			double d;

			memcpy(&d, &u, sizeof(d));
			dst[i] = (float)d;
		}
		break;
	default:
		/* Both widen exactly (codelets/half.h): stored again in the same 16 bits, each
		 * value keeps its bits. */
		if (tensor->dtype[0] == 'B') /* bfloat16: the top half of a float32 */
			for (i = 0; i < numel; i++)
				dst[i] = hetsched__f32_from_bf16(get_u16(src + 2 * i));
		else
			for (i = 0; i < numel; i++)
				dst[i] = hetsched__f32_from_f16(get_u16(src + 2 * i));
	}
	*out = dst;
	return 0;
}

void hetsched__safetensors_close(struct hetsched__safetensors *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->ntensors; i++)
		free(st->tensors[i].name);
	free(st->tensors);
	free(st->bytes);
	free(st->name);
	free(st->activations);
	memset(st, 0, sizeof(*st));
}

/* ------------------------------------------------------------------ writing */

int hetsched__safetensors_write(const char *path, const char *name, const void *data,
                                enum hetsched_dtype data_dtype, size_t rows, size_t cols, size_t ld,
                                enum hetsched_dtype file_dtype)
{
	static const char *const names[HETSCHED_NDTYPES] = {"F32", "BF16", "F16"};
	json_t *root, *tensor;
	char *json = NULL, *header = NULL;
	size_t json_len, padded;
	uint64_t bytes;
	int rc;

	if (!path || !*path || !name || !*name || !data)
		return hetsched__error(HETSCHED_EINVAL, "safetensors_save: NULL or empty argument");
	HETSCHED_CALL(hetsched__check_float_rows(path, rows, cols, ld));
	if (!strcmp(name, "__metadata__"))
		return hetsched__error(HETSCHED_EINVAL,
		                       "cannot write %s: '__metadata__' is not a "
		                       "tensor name",
		                       path);
	if ((unsigned)data_dtype >= HETSCHED_NDTYPES || (unsigned)file_dtype >= HETSCHED_NDTYPES)
		return hetsched__error(HETSCHED_EINVAL, "cannot write %s: unknown dtype %d", path,
		                       (unsigned)data_dtype >= HETSCHED_NDTYPES ? (int)data_dtype
		                                                                : (int)file_dtype);
	bytes = (uint64_t)rows * cols * (file_dtype == HETSCHED_DTYPE_F32 ? 4 : 2);
	/* {"__metadata__": {"format": "pt"}, NAME: {"dtype": "F32", "shape": [rows, cols],
	 * "data_offsets": [0, bytes]}}, as safetensors.torch.save_file writes it. */
	root = json_object();
	tensor = json_pack("{s:s, s:[I,I], s:[I,I]}", "dtype", names[file_dtype], "shape",
	                   (json_int_t)rows, (json_int_t)cols, "data_offsets", (json_int_t)0,
	                   (json_int_t)bytes);
	if (!root || !tensor ||
	    json_object_set_new(root, "__metadata__", json_pack("{s:s}", "format", "pt")) != 0 ||
	    json_object_set_new(root, name, tensor) != 0 ||
	    !(json = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII))) {
		if (!json_object_get(root, name))
			json_decref(tensor);
		json_decref(root);
		return hetsched__error(HETSCHED_ENOMEM, "cannot write %s: out of memory", path);
	}
	json_decref(root);
	/* The reference implementation pads the header with spaces to a multiple of 8 bytes, so
	 * that the data are aligned. */
	json_len = strlen(json);
	padded = (json_len + 7) / 8 * 8;
	header = malloc(8 + padded);
	if (!header) {
		free(json);
		return hetsched__error(HETSCHED_ENOMEM, "cannot write %s: out of memory", path);
	}
	for (int b = 0; b < 8; b++)
		header[b] = (char)((uint64_t)padded >> (8 * b));
	memcpy(header + 8, json, json_len);
	memset(header + 8 + json_len, ' ', padded - json_len);
	free(json);
	rc = hetsched__write_array(path, header, 8 + padded, data, data_dtype, rows, cols, ld,
	                           file_dtype);
	free(header);
	return rc;
}

int hetsched_safetensors_save_dtype(const char *path, const char *name, const float *data,
                                    size_t rows, size_t cols, size_t ld, enum hetsched_dtype dtype)
{
	return hetsched__safetensors_write(path, name, data, HETSCHED_DTYPE_F32, rows, cols, ld,
	                                   dtype);
}

int hetsched_safetensors_save(const char *path, const char *name, const float *data, size_t rows,
                              size_t cols, size_t ld)
{
	return hetsched_safetensors_save_dtype(path, name, data, rows, cols, ld,
	                                       HETSCHED_DTYPE_F32);
}
