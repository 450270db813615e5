/* model.c: models as chains of steps (chain.h), from ONNX files or from state_dicts, and the
 * public model handle of hetsched.h.
 *
 * A state_dict does not record parameterless modules (ReLU, Tanh, Softmax...), so its
 * activations come from the caller (--activation), from the .safetensors metadata's
 * "activations", or from the layers' own indices: nn.Sequential numbers every module, so
 * adjacent indices (0, 1) mean no module between the layers. Anything else is refused rather
 * than guessed: a guess that is wrong gives a wrong answer that looks right. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io/model.h"
#include "tool.h"

static int note(struct hetsched__model *model, const char *text)
{
	size_t old = model->summary ? strlen(model->summary) : 0;
	char *s = realloc(model->summary, old + strlen(text) + 3);

	if (!s)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a model");
	model->summary = s;
	sprintf(s + old, "%s%s", old ? ", " : "", text);
	return 0;
}

void hetsched__model_free(struct hetsched__model *model)
{
	if (!model)
		return;
	for (size_t s = 0; s < model->nsteps; s++) {
		free(model->steps[s].w);
		free(model->steps[s].b);
		free(model->steps[s].vecs);
	}
	free(model->steps);
	free(model->summary);
	memset(model, 0, sizeof(*model));
}

/* Parse "a,b,c" into activations; *n is set to their number. */
static int parse_list(const char *source, const char *list, enum hetsched_activation *acts,
                      size_t max, size_t *n)
{
	char name[32];

	*n = 0;
	while (*list) {
		size_t len = strcspn(list, ",");

		if (*n == max)
			return hetsched__error(
			    HETSCHED_EINVAL,
			    "%s: %zu activations or more for %zu places (one per "
			    "gap between layers, then an optional final one)",
			    source, max + 1, max);
		if (len == 0 || len >= sizeof(name))
			return hetsched__error(HETSCHED_EINVAL, "%s: bad activation list '%s'",
			                       source, list);
		memcpy(name, list, len);
		name[len] = '\0';
		if (hetsched_activation_parse(name, &acts[*n]) < 0)
			return hetsched__error(HETSCHED_EINVAL, "%s: %s", source,
			                       hetsched_last_error());
		(*n)++;
		list += len;
		if (*list == ',' && !*++list)
			return hetsched__error(HETSCHED_EINVAL, "%s: activation list ends with ','",
			                       source);
	}
	return 0;
}

/* The activation after each layer (acts[l], l < nlayers) of a state_dict: from \p list (one per
 * gap, then an optional final one; one name alone for every gap), else the file's metadata,
 * else the indices when they leave no room for a module between layers (none after the last:
 * a state_dict cannot tell, and the README says so). */
static int resolve(const char *path, const char *list, const struct hetsched__state_dict *sd,
                   enum hetsched_activation *acts)
{
	size_t nl = sd->nlayers, n = 0;
	const char *given = list ? list : sd->activations;

	for (size_t l = 0; l < nl; l++)
		acts[l] = HETSCHED_ACT_NONE;
	if (given) {
		HETSCHED_CALL(parse_list(list ? "--activation" : path, given, acts, nl, &n));
		if (n == 1 && nl > 2)
			for (size_t l = 1; l + 1 < nl; l++)
				acts[l] = acts[0];
		else if (n + 1 < nl)
			return hetsched__error(
			    HETSCHED_EINVAL,
			    "%s: %zu activation%s for %zu layers: give one per gap "
			    "between layers (%zu), then an optional final one",
			    list ? "--activation" : path, n, n == 1 ? "" : "s", nl, nl - 1);
		return 0;
	}
	for (size_t l = 0; l + 1 < nl; l++) {
		const struct hetsched__layer_data *a = &sd->layers[l], *b = &sd->layers[l + 1];

		if (a->index >= 0 && b->index == a->index + 1)
			continue;
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "%s: '%s' and '%s' leave room for a module between them (an activation?) that "
		    "a "
		    "state_dict does not record: say which with --activation A1,A2,... (one per "
		    "gap, "
		    "'none' for none, then an optional final one), or in the file's metadata "
		    "(save_file(sd, path, metadata={\"activations\": \"relu,none\"})), or export "
		    "the model with torch.onnx.export and run the .onnx file",
		    path, a->name, b->name);
	}
	return 0;
}

/* A state_dict's layers and activations as steps: each layer a linear step with its
 * element-wise activation fused, followed by a softmax step where asked. */
static int from_state_dict(const char *path, const struct hetsched_model_options *o,
                           struct hetsched__model *m)
{
	struct hetsched__state_dict sd;
	enum hetsched_activation *acts = NULL;
	char text[96];
	int rc;

	HETSCHED_CALL(hetsched__state_dict_load(path, o ? o->layers : NULL, &sd));
	acts = calloc(sd.nlayers, sizeof(*acts));
	m->steps = calloc(2 * sd.nlayers, sizeof(*m->steps));
	if (!acts || !m->steps) {
		rc = hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	HETSCHED_TRY(rc, resolve(path, o ? o->activations : NULL, &sd, acts), out);
	for (size_t l = 0; l < sd.nlayers; l++) {
		struct hetsched__layer_data *L = &sd.layers[l];
		struct hetsched__step *s = &m->steps[m->nsteps++];

		s->kind = HETSCHED_STEP_LINEAR;
		s->in = L->in_features;
		s->out = L->out_features;
		s->w = L->weight;
		s->b = L->bias;
		s->bias_rows = 1;
		m->weight_dtypes |= 1u << L->dtype;
		L->weight = L->bias = NULL;
		hetsched__activation_prog(acts[l], &s->prog);
		m->nlayers++;
		snprintf(text, sizeof(text), "linear %zu->%zu%s%s", s->in, s->out,
		         acts[l] ? " " : "", acts[l] ? hetsched_activation_name(acts[l]) : "");
		HETSCHED_TRY(rc, note(m, text), out);
		if (acts[l] == HETSCHED_ACT_SOFTMAX || acts[l] == HETSCHED_ACT_LOG_SOFTMAX) {
			struct hetsched__step *r = &m->steps[m->nsteps++];

			r->kind = acts[l] == HETSCHED_ACT_SOFTMAX ? HETSCHED_STEP_SOFTMAX
			                                          : HETSCHED_STEP_LOG_SOFTMAX;
			r->in = r->out = s->out;
		}
	}
	rc = 0;
out:
	free(acts);
	hetsched__state_dict_free(&sd);
	return rc;
}

/* ONNX from its name, or from its first bytes: a ModelProto starts with ir_version (field 1:
 * 0x08). A .safetensors file starts with its header's length N, little-endian, whose low byte
 * may be 0x08 too (N is a multiple of 8): it is told by its header's '{' at byte 8, N bytes
 * that fit in the file. */
static int is_onnx(const char *path)
{
	size_t len = strlen(path), got;
	unsigned char b[9] = {0};
	uint64_t n = 0;
	long size;
	FILE *f;

	if (len >= 5 && !strcmp(path + len - 5, ".onnx"))
		return 1;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	got = fread(b, 1, sizeof(b), f);
	size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	fclose(f);
	for (int i = 7; i >= 0; i--)
		n = n << 8 | b[i];
	if (got == sizeof(b) && b[8] == '{' && size >= 8 && n <= (uint64_t)size - 8)
		return 0;
	return got > 0 && b[0] == 0x08;
}

int hetsched_model_load_options(hetsched_model_t *model, const char *path,
                                const struct hetsched_model_options *options)
{
	struct hetsched_model *m;
	int rc;

	if (!model || !path || !*path)
		return hetsched__error(HETSCHED_EINVAL, "model_load: NULL or empty argument");
	*model = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return hetsched__error(HETSCHED_ENOMEM, "%s: out of memory", path);
	rc = is_onnx(path) ? hetsched__onnx_load(path, options, &m->m)
	                   : from_state_dict(path, options, &m->m);
	if (rc < 0) {
		hetsched__model_free(&m->m);
		free(m);
		return rc;
	}
	*model = m;
	return 0;
}

int hetsched_model_load(hetsched_model_t *model, const char *path)
{
	return hetsched_model_load_options(model, path, NULL);
}

enum hetsched_dtype hetsched__model_weight_dtype(const struct hetsched__model *m)
{
	if (m->weight_dtypes == 1u << HETSCHED_DTYPE_BF16)
		return HETSCHED_DTYPE_BF16;
	if (m->weight_dtypes == 1u << HETSCHED_DTYPE_F16)
		return HETSCHED_DTYPE_F16;
	return HETSCHED_DTYPE_F32;
}

enum hetsched_dtype hetsched_model_dtype(const struct hetsched_model *model)
{
	return model ? hetsched__model_weight_dtype(&model->m) : HETSCHED_DTYPE_F32;
}

size_t hetsched_model_nlayers(const struct hetsched_model *model)
{
	return model ? model->m.nlayers : 0;
}

/* The step of linear layer l. */
static const struct hetsched__step *layer_step(const struct hetsched__model *m, size_t l)
{
	for (size_t s = 0; s < m->nsteps; s++)
		if (m->steps[s].kind == HETSCHED_STEP_LINEAR && l-- == 0)
			return &m->steps[s];
	return NULL;
}

int hetsched_model_layer(const struct hetsched_model *model, size_t l, size_t *in_features,
                         size_t *out_features, const float **weight, const float **bias)
{
	const struct hetsched__step *s;

	if (!model)
		return hetsched__error(HETSCHED_EINVAL, "model_layer: NULL model");
	if (l >= model->m.nlayers)
		return hetsched__error(HETSCHED_EINVAL,
		                       "layer must be < %zu (the model's layers), got %zu",
		                       model->m.nlayers, l);
	s = layer_step(&model->m, l);
	if (in_features)
		*in_features = s->in;
	if (out_features)
		*out_features = s->out;
	if (weight)
		*weight = s->w;
	if (bias)
		*bias = s->b;
	return 0;
}

int hetsched_model_shape(const struct hetsched_model *model, int output, size_t *ndim,
                         size_t shape[HETSCHED_MODEL_MAX_NDIM])
{
	const struct hetsched__model *m;

	if (!model || !ndim || !shape)
		return hetsched__error(HETSCHED_EINVAL, "model_shape: NULL argument");
	m = &model->m;
	if (!m->onnx) {
		/* Any rows: 0 stands for them. */
		*ndim = 2;
		shape[0] = 0;
		shape[1] = output ? m->steps[m->nsteps - 1].out : m->steps[0].in;
		return 0;
	}
	*ndim = output ? m->out_ndim : m->in_ndim;
	memcpy(shape, output ? m->out_shape : m->in_shape, *ndim * sizeof(size_t));
	return 0;
}

const struct hetsched__step *hetsched__model_steps(const struct hetsched_model *model,
                                                   size_t *nsteps)
{
	*nsteps = model->m.nsteps;
	return model->m.steps;
}

void hetsched__model_view(const struct hetsched_model *model, size_t *rows, size_t *in, size_t *out,
                          int *transposed)
{
	const struct hetsched__model *m = &model->m;
	size_t numel = 1;

	for (size_t d = 0; d < m->in_ndim; d++)
		numel *= m->in_shape[d];
	*rows = m->onnx ? m->rows : 0;
	*in = m->nsteps ? m->steps[0].in : (m->rows ? numel / m->rows : 0);
	*out = m->nsteps ? m->steps[m->nsteps - 1].out : *in;
	*transposed = m->transpose_input;
}

const char *hetsched_model_summary(const struct hetsched_model *model)
{
	return model && model->m.summary ? model->m.summary : "";
}

void hetsched_model_destroy(hetsched_model_t model)
{
	if (!model)
		return;
	hetsched__model_free(&model->m);
	free(model);
}

#ifndef HETSCHED_HAVE_ONNX
/* Built without protobuf-c or Debian's onnx.proto: say how to get them. */
int hetsched__onnx_load(const char *path, const struct hetsched_model_options *options,
                        struct hetsched__model *model)
{
	(void)options;
	(void)model;
	return hetsched__error(HETSCHED_EINVAL,
	                       "%s: this hetsched was built without ONNX support: install%s "
	                       "(apt-get), then run ./configure and make again",
	                       path, HETSCHED_ONNX_MISSING);
}
#endif
