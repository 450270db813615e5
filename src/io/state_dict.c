/* state_dict.c: an MLP's layers from a PyTorch state_dict, saved as one .safetensors file or as
 * a folder of .npy files.
 *
 * nn.Sequential(nn.Linear, nn.ReLU, nn.Linear, ...) names its tensors "<i>.weight" and
 * "<i>.bias", where i is the module's position: activations take positions too (0, 2, 4...),
 * and the names sort as strings ("10" before "2"), so layers are ordered by the number. A
 * custom module names them after its attributes ("fc1.weight", "head.weight"): their order is
 * in its forward(), which the file does not keep, so the caller gives it (--layers). Both
 * sources become one list of parameters that the same rules check and load. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "io/model.h"
#include "io/npy.h"
#include "io/safetensors.h"

/* One weight or bias found in the source. */
struct param {
	char *display; /* how messages name it: the tensor's name, or the .npy file's name */
	char *file;    /* the .npy file to load; NULL for a tensor of the .safetensors file */
	const struct hetsched__st_tensor *tensor;
	size_t prefix_len;   /* display[0, prefix_len) is the prefix, e.g. "model." */
	size_t module_len;   /* display[0, module_len) is the module, e.g. "model.0" or "fc1" */
	int indexed;         /* 1 for "<digits>.weight"; 0 for a named module or a lone nn.Linear */
	unsigned long index; /* the position: the number, or the place in --layers */
	int is_bias;
};

struct params {
	struct param *v;
	size_t n, cap;
};

enum key_kind {
	KEY_UNRELATED,   /* not named like a module's parameter */
	KEY_OTHER_PARAM, /* "<i>.running_mean" and the like: a module we cannot run */
	KEY_LAYER        /* "<i>.weight" or "<i>.bias" */
};

/* Classify a name (without ".npy"): "[prefix.]<module>.weight|bias" (indexed when the module's
 * last part is a number), "weight"/"bias" (a lone nn.Linear), or another module's parameter. */
static enum key_kind classify(const char *key, size_t len, struct param *p)
{
	const char *dot = NULL, *seg, *param;
	size_t seglen, i;

	for (i = len; i > 0; i--)
		if (key[i - 1] == '.') {
			dot = key + i - 1;
			break;
		}
	p->is_bias = len >= 4 && strncmp(key + len - 4, "bias", 4) == 0;
	if (!dot) {
		p->indexed = 0;
		p->prefix_len = p->module_len = 0;
		p->index = 0;
		return (len == 6 && strncmp(key, "weight", 6) == 0) ||
		               (len == 4 && strncmp(key, "bias", 4) == 0)
		           ? KEY_LAYER
		           : KEY_UNRELATED;
	}
	param = dot + 1;
	p->module_len = (size_t)(dot - key);
	for (seg = dot; seg > key && seg[-1] != '.'; seg--)
		;
	seglen = (size_t)(dot - seg);
	p->indexed = seglen > 0 && seglen <= 9; /* no overflow; no model has 10^9 modules */
	for (i = 0; i < seglen && p->indexed; i++)
		p->indexed = seg[i] >= '0' && seg[i] <= '9';
	p->prefix_len = (size_t)(seg - key);
	p->index = p->indexed ? strtoul(seg, NULL, 10) : 0;
	if ((size_t)(key + len - param) == 6 && strncmp(param, "weight", 6) == 0)
		return KEY_LAYER;
	if ((size_t)(key + len - param) == 4 && strncmp(param, "bias", 4) == 0)
		return KEY_LAYER;
	return KEY_OTHER_PARAM;
}

/* What kind of module a parameter that nn.Linear does not have belongs to, for messages. */
static const char *module_kind(const char *name, size_t ndim)
{
	static const struct {
		const char *part, *kind;
	} parts[] = {
	    {"running_mean", "a BatchNorm"},
	    {"running_var", "a BatchNorm"},
	    {"num_batches_tracked", "a BatchNorm"},
	    {"in_proj", "a MultiheadAttention"},
	    {"weight_ih", "an RNN, LSTM or GRU"},
	    {"weight_hh", "an RNN, LSTM or GRU"},
	    {"embed", "an Embedding"},
	    {"norm", "a normalisation (LayerNorm, BatchNorm)"},
	    {"conv", "a convolution (Conv1d, Conv2d, Conv3d)"},
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(name, parts[i].part))
			return parts[i].kind;
	if (ndim == 1)
		return "a normalisation (LayerNorm, BatchNorm)";
	if (ndim >= 3)
		return "a convolution (Conv1d, Conv2d, Conv3d)";
	return "another";
}

static int refuse_module(const char *source, const char *name, size_t ndim)
{
	return hetsched__error(HETSCHED_EFORMAT,
	                       "%s: '%s' is %s module's parameter, not nn.Linear's: only nn.Linear "
	                       "layers and activations are supported (see 'Bring your model' in "
	                       "the README)",
	                       source, name, module_kind(name, ndim));
}

static int params_push(struct params *ps, const struct param *p, const char *source)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;
		struct param *v = realloc(ps->v, cap * sizeof(*v));

		if (!v)
			return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", source);
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n++] = *p;
	return 0;
}

static void params_free(struct params *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].display);
		free(ps->v[i].file);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* In a .safetensors file every tensor must be a layer's weight or bias: skipping one (a
 * BatchNorm's statistics, say) would silently run a different model. */
static int gather_safetensors(const struct hetsched__safetensors *st, struct params *ps)
{
	size_t i;

	for (i = 0; i < st->ntensors; i++) {
		const struct hetsched__st_tensor *t = &st->tensors[i];
		struct param p = {0};

		switch (classify(t->name, strlen(t->name), &p)) {
		case KEY_UNRELATED:
			return hetsched__error(HETSCHED_EFORMAT,
			                       "%s: tensor '%s' is not a layer's weight or bias "
			                       "(expected names like '0.weight', '0.bias')",
			                       st->name, t->name);
		case KEY_OTHER_PARAM:
			return refuse_module(st->name, t->name, t->ndim);
		case KEY_LAYER:
			break;
		}
		/* Shapes are known from the header: name the module before converting. An
		 * Embedding's table is 2-D like a weight: its name tells. */
		if (!p.is_bias && (t->ndim != 2 || strstr(t->name, "embed")))
			return refuse_module(st->name, t->name, t->ndim);
		p.tensor = t;
		p.display = strdup(t->name);
		if (!p.display)
			return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", st->name);
		if (params_push(ps, &p, st->name) != 0) {
			free(p.display);
			return HETSCHED_ENOMEM;
		}
	}
	return 0;
}

/* In a folder, other files (the input, notes) are fine; a parameter of another kind of module
 * is not, as above. */
static int gather_folder(const char *folder, struct params *ps)
{
	size_t flen = strlen(folder);
	const char *sep = flen && folder[flen - 1] == '/' ? "" : "/";
	struct dirent *entry;
	DIR *dir;
	int rc = 0;

	dir = opendir(folder);
	if (!dir)
		return hetsched__error(HETSCHED_EIO, "cannot read folder %s: %s", folder,
		                       strerror(errno));
	for (;;) {
		struct param p = {0};
		size_t len;

		errno = 0;
		entry = readdir(dir);
		if (!entry) {
			if (errno)
				rc = hetsched__error(HETSCHED_EIO, "cannot read folder %s: %s",
				                     folder, strerror(errno));
			break;
		}
		len = strlen(entry->d_name);
		if (entry->d_name[0] == '.' || len <= 4 ||
		    strcmp(entry->d_name + len - 4, ".npy") != 0)
			continue;
		switch (classify(entry->d_name, len - 4, &p)) {
		case KEY_UNRELATED:
			continue;
		case KEY_OTHER_PARAM:
			/* Other files may sit in the folder ("x.input.npy"): only a numbered
			 * module's parameter is surely part of the model. */
			if (!p.indexed)
				continue;
			rc = refuse_module(folder, entry->d_name, 2);
			goto out;
		case KEY_LAYER:
			break;
		}
		p.display = strdup(entry->d_name);
		p.file = malloc(flen + strlen(sep) + len + 1);
		if (!p.display || !p.file) {
			free(p.display);
			free(p.file);
			rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", folder);
			goto out;
		}
		strcpy(p.file, folder);
		strcat(p.file, sep);
		strcat(p.file, entry->d_name);
		if ((rc = params_push(ps, &p, folder)) != 0) {
			free(p.display);
			free(p.file);
			goto out;
		}
	}
out:
	closedir(dir);
	return rc;
}

static int compare_params(const void *a, const void *b)
{
	const struct param *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->is_bias - y->is_bias;
}

/* A parameter's values as float32, with its shape as stored (ndim 1 or 2 for .npy files, whose
 * loader refuses the rest by itself) and its dtype in the file (16-bit values widen exactly). */
static int load_param(const struct hetsched__safetensors *st, const struct param *p, float **data,
                      size_t *ndim, size_t dims[2], enum hetsched_dtype *dtype)
{
	if (p->file) {
		size_t rows, cols;

		HETSCHED_CALL(
		    hetsched__npy_load_ndim_dtype(p->file, data, &rows, &cols, ndim, dtype));
		dims[0] = *ndim == 1 ? cols : rows;
		dims[1] = cols;
		return 0;
	}
	*dtype = !strcmp(p->tensor->dtype, "BF16")  ? HETSCHED_DTYPE_BF16
	         : !strcmp(p->tensor->dtype, "F16") ? HETSCHED_DTYPE_F16
	                                            : HETSCHED_DTYPE_F32;
	*ndim = p->tensor->ndim;
	dims[0] = *ndim > 0 ? p->tensor->shape[0] : 0;
	dims[1] = *ndim > 1 ? p->tensor->shape[1] : 0;
	return hetsched__safetensors_to_float(st, p->tensor, data);
}

/* Check one layer's weight and bias and take their values. */
static int load_layer(const char *source, const struct hetsched__safetensors *st,
                      const struct param *w, const struct param *b,
                      struct hetsched__layer_data *layer)
{
	size_t ndim, dims[2];
	enum hetsched_dtype bias_dtype;

	/* Shapes known from the header are checked before anything is converted. */
	if (!w->file && w->tensor->ndim != 2)
		return hetsched__error(HETSCHED_ESHAPE,
		                       "%s: '%s' is %zu-D; a layer's weight must be 2-D "
		                       "(out_features x in_features)",
		                       source, w->display, w->tensor->ndim);
	HETSCHED_CALL(load_param(st, w, &layer->weight, &ndim, dims, &layer->dtype));
	if (ndim != 2)
		return refuse_module(source, w->display, ndim);
	if (dims[0] == 0 || dims[1] == 0)
		return hetsched__error(HETSCHED_ESHAPE, "%s: '%s' is empty (%zux%zu)", source,
		                       w->display, dims[0], dims[1]);
	layer->out_features = dims[0];
	layer->in_features = dims[1];
	if (!b)
		return 0;
	if (!b->file && (b->tensor->ndim != 1 || b->tensor->shape[0] != layer->out_features))
		return hetsched__error(
		    HETSCHED_ESHAPE,
		    "%s: '%s' is %zu-D of %zu elements, but '%s' has %zu outputs "
		    "(a bias is 1-D of length out_features)",
		    source, b->display, b->tensor->ndim, hetsched__st_tensor_numel(b->tensor),
		    w->display, layer->out_features);
	HETSCHED_CALL(load_param(st, b, &layer->bias, &ndim, dims, &bias_dtype));
	if (ndim != 1 || dims[0] != layer->out_features)
		return hetsched__error(
		    HETSCHED_ESHAPE,
		    "%s: '%s' is %zu-D of %zu elements, but '%s' has %zu outputs "
		    "(a bias is 1-D of length out_features)",
		    source, b->display, ndim, ndim == 1 ? dims[0] : dims[0] * dims[1], w->display,
		    layer->out_features);
	return 0;
}

/* Place of each parameter in --layers ("fc1,fc2,head"); every layer of the file must be there
 * and every name of the list in the file. */
static int order_by_names(const char *source, const char *names, struct params *ps)
{
	size_t i, pos = 0;
	const char *p = names;

	for (i = 0; i < ps->n; i++)
		ps->v[i].index = (unsigned long)-1;
	while (*p) {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (i = 0; i < ps->n; i++)
			if (ps->v[i].module_len == len && !strncmp(ps->v[i].display, p, len)) {
				ps->v[i].index = pos;
				found = 1;
			}
		if (!found)
			return hetsched__error(HETSCHED_EINVAL,
			                       "%s: --layers names '%.*s', but the file has no "
			                       "'%.*s.weight'",
			                       source, (int)len, p, (int)len, p);
		pos++;
		p += len;
		if (*p == ',')
			p++;
	}
	for (i = 0; i < ps->n; i++)
		if (ps->v[i].index == (unsigned long)-1)
			return hetsched__error(
			    HETSCHED_EINVAL,
			    "%s: '%s' is not in --layers: name every layer, in the "
			    "order forward() runs them",
			    source, ps->v[i].display);
	return 0;
}

/* From the gathered parameters to checked layers. */
static int build(const char *source, const char *no_layers_hint, const char *layer_names,
                 const struct hetsched__safetensors *st, struct params *ps,
                 struct hetsched__state_dict *sd)
{
	const struct param *v, *first;
	size_t i, l, nlayers = 0;

	if (ps->n == 0)
		return hetsched__error(HETSCHED_EFORMAT, "%s: no layers (%s)", source,
		                       no_layers_hint);
	first = &ps->v[0];
	if (layer_names) {
		HETSCHED_CALL(order_by_names(source, layer_names, ps));
	} else {
		/* One prefix for all, or the names may come from two models (an encoder and a
		 * decoder) whose layers cannot be told apart. */
		for (i = 1; i < ps->n; i++) {
			v = &ps->v[i];
			if (!first->indexed && !v->indexed && v->module_len == first->module_len &&
			    !strncmp(v->display, first->display, first->module_len))
				continue; /* the weight and bias of one named module */
			if (!first->indexed || !v->indexed)
				return hetsched__error(
				    HETSCHED_EINVAL,
				    "%s: '%s' and '%s' are named modules, whose order the file "
				    "does "
				    "not keep: give it with --layers (e.g. --layers %.*s,%.*s)",
				    source, first->display, v->display, (int)first->module_len,
				    first->display, (int)v->module_len, v->display);
			if (v->prefix_len != first->prefix_len ||
			    strncmp(v->display, first->display, first->prefix_len) != 0)
				return hetsched__error(
				    HETSCHED_EFORMAT,
				    "%s: cannot tell which tensors form the model: "
				    "'%s' and '%s' have different prefixes",
				    source, first->display, v->display);
		}
	}
	qsort(ps->v, ps->n, sizeof(*ps->v), compare_params);
	v = ps->v;
	for (i = 0; i < ps->n; i++) {
		if (i > 0 && v[i].index == v[i - 1].index && v[i].is_bias == v[i - 1].is_bias)
			return hetsched__error(
			    HETSCHED_EFORMAT, "%s: '%s' and '%s' name the same %s", source,
			    v[i - 1].display, v[i].display, v[i].is_bias ? "bias" : "weight");
		if (v[i].is_bias && (i == 0 || v[i - 1].index != v[i].index))
			return hetsched__error(HETSCHED_EFORMAT, "%s: '%s' has no matching weight",
			                       source, v[i].display);
		if (!v[i].is_bias)
			nlayers++;
	}
	/* sd->nlayers counts allocated layers only, so that freeing is always safe. */
	sd->layers = calloc(nlayers, sizeof(*sd->layers));
	if (!sd->layers)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", source);
	sd->nlayers = nlayers;
	/* Sorted, each weight is followed by its bias when there is one. */
	for (i = 0, l = 0; i < ps->n; l++) {
		const struct param *w = &v[i],
		                   *b = i + 1 < ps->n && v[i + 1].is_bias ? &v[i + 1] : NULL;
		struct hetsched__layer_data *layer = &sd->layers[l];

		layer->name = strdup(w->display);
		if (!layer->name)
			return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", source);
		layer->index = w->indexed && !layer_names ? (long)w->index : -1;
		HETSCHED_CALL(load_layer(source, st, w, b, layer));
		if (l > 0 && layer->in_features != sd->layers[l - 1].out_features)
			return hetsched__error(
			    HETSCHED_ESHAPE,
			    "%s: layers do not chain: '%s' gives %zu outputs but "
			    "'%s' takes %zu inputs",
			    source, sd->layers[l - 1].name, sd->layers[l - 1].out_features,
			    layer->name, layer->in_features);
		i += b ? 2 : 1;
	}
	return 0;
}

int hetsched__state_dict_load(const char *path, const char *layer_names,
                              struct hetsched__state_dict *sd)
{
	struct hetsched__safetensors st = {0};
	struct params ps = {0};
	struct stat sb;
	size_t len;
	int rc;

	memset(sd, 0, sizeof(*sd));
	if (stat(path, &sb) != 0) {
		int err = errno;

		return hetsched__error(err == ENOENT || err == ENOTDIR ? HETSCHED_ENOENT
		                                                       : HETSCHED_EIO,
		                       "cannot open %s: %s", path, strerror(err));
	}
	if (S_ISDIR(sb.st_mode)) {
		HETSCHED_TRY(rc, gather_folder(path, &ps), fail);
		HETSCHED_TRY(
		    rc,
		    build(path, "no files named like '0.weight.npy'", layer_names, NULL, &ps, sd),
		    fail);
	} else {
		/* A lone .npy would otherwise be reported as a corrupt .safetensors file. */
		len = strlen(path);
		if (len >= 4 && strcmp(path + len - 4, ".npy") == 0)
			return hetsched__error(
			    HETSCHED_EFORMAT,
			    "%s: a model is an .onnx or .safetensors file or a "
			    "folder of '<i>.weight.npy' files, not one .npy file",
			    path);
		HETSCHED_CALL(hetsched__safetensors_open(path, &st));
		HETSCHED_TRY(rc, gather_safetensors(&st, &ps), fail);
		HETSCHED_TRY(
		    rc, build(path, "no tensor named like '0.weight'", layer_names, &st, &ps, sd),
		    fail);
		if (st.activations && !(sd->activations = strdup(st.activations))) {
			rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
			goto fail;
		}
	}
	params_free(&ps);
	hetsched__safetensors_close(&st);
	return 0;

fail:
	hetsched__state_dict_free(sd);
	params_free(&ps);
	hetsched__safetensors_close(&st);
	return rc;
}

void hetsched__state_dict_free(struct hetsched__state_dict *sd)
{
	if (!sd)
		return;
	for (size_t l = 0; l < sd->nlayers; l++) {
		free(sd->layers[l].weight);
		free(sd->layers[l].bias);
		free(sd->layers[l].name);
	}
	free(sd->layers);
	free(sd->activations);
	memset(sd, 0, sizeof(*sd));
}
