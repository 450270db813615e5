/* net.c: a loaded model (src/io/model.h) placed on the runtime: each linear step a linear layer
 * with its epilogue fused, the other steps submitted in place on the tensor they follow, and
 * the forward pass through them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <starpu.h>

#include "codelets.h"
#include "internal.h"
#include "io/model.h"
#include "tool.h"

struct net_step {
	enum hetsched__step_kind kind;
	hetsched_linear_t layer;      /* linear steps */
	struct hetsched_ew_prog prog; /* epilogue steps */
	hetsched_tensor_t vecs;       /* epilogue steps' per-column constants, or NULL */
};

struct hetsched_net {
	size_t nsteps, nlayers, tile, in, rows_fixed;
	struct net_step *steps;
	hetsched_linear_t *layers;  /* the linear steps' layers, in order */
	hetsched_tensor_t *between; /* outputs of the last pass that were not returned */
	size_t nbetween;
};

/* A linear step as a layer: weights, bias (per element when the step has one), epilogue. */
static int create_layer(const struct hetsched__step *s, enum hetsched_activation rowwise,
                        size_t tile, hetsched_linear_t *layer)
{
	int rc;

	HETSCHED_CALL(hetsched_linear_create(layer, s->in, s->out, rowwise, tile, tile));
	HETSCHED_TRY(rc, hetsched_linear_load(*layer, s->w, s->bias_rows > 1 ? NULL : s->b), fail);
	if (s->bias_rows > 1)
		HETSCHED_TRY(rc, hetsched__linear_set_bias_rows(*layer, s->b, s->bias_rows, tile),
		             fail);
	HETSCHED_TRY(rc, hetsched__linear_set_epilogue(*layer, &s->prog, s->vecs), fail);
	return 0;
fail:
	hetsched_linear_destroy(*layer);
	*layer = NULL;
	return rc;
}

int hetsched_net_create(hetsched_net_t *net, const struct hetsched_model *model, size_t tile)
{
	const struct hetsched__model *m;
	struct hetsched_net *n;
	int rc = 0;

	if (!net || !model)
		return hetsched__error(HETSCHED_EINVAL, "net_create: NULL argument");
	*net = NULL;
	if (tile == 0)
		return hetsched__error(HETSCHED_EINVAL, "tile must be > 0, got 0");
	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "hetsched_init must come first");
	m = &model->m;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->steps = calloc(m->nsteps + 1, sizeof(*n->steps))) ||
	    !(n->layers = calloc(m->nlayers + 1, sizeof(*n->layers))) ||
	    !(n->between = calloc(m->nsteps + 1, sizeof(*n->between)))) {
		hetsched_net_destroy(n);
		return hetsched__error(HETSCHED_ENOMEM, "out of memory for a model");
	}
	n->tile = tile;
	{
		size_t rows, out;
		int transposed;

		hetsched__model_view(model, &rows, &n->in, &out, &transposed);
		n->rows_fixed = rows;
	}
	for (size_t i = 0; i < m->nsteps && rc == 0; i++) {
		const struct hetsched__step *s = &m->steps[i];
		struct net_step *ns = &n->steps[n->nsteps++];

		ns->kind = s->kind;
		if (s->kind == HETSCHED_STEP_LINEAR) {
			rc = create_layer(s, HETSCHED_ACT_NONE, tile, &ns->layer);
			n->layers[n->nlayers++] = ns->layer;
		} else if (s->kind == HETSCHED_STEP_EPILOGUE) {
			ns->prog = s->prog;
			if (s->prog.nvec)
				rc = hetsched__tensor_from_host_as(&ns->vecs, s->vecs, s->prog.nvec,
				                                   s->out, s->out, s->prog.nvec,
				                                   tile, HETSCHED_DTYPE_F32);
		}
	}
	if (rc == 0)
		rc = hetsched_wait_all();
	if (rc < 0) {
		hetsched_net_destroy(n);
		return rc;
	}
	*net = n;
	return 0;
}

static void release_between(struct hetsched_net *n)
{
	for (size_t i = 0; i < n->nbetween; i++)
		hetsched_tensor_destroy(n->between[i]);
	n->nbetween = 0;
}

/* A copy of x, tile by tile, for steps that work in place: x is the caller's. */
static int copy_tensor(hetsched_tensor_t x, hetsched_tensor_t *copy)
{
	hetsched_tensor_t c;

	if (hetsched__mpi_active())
		return hetsched__error(HETSCHED_EINVAL, "a model that does not start with a linear "
		                                        "layer runs on one rank only");
	HETSCHED_CALL(hetsched__tensor_create_home(&c, x->rows, x->cols, x->tile_rows, x->tile_cols,
	                                           x->dtype));
	HETSCHED_CALL(hetsched__tensor_tiles(x));
	for (size_t i = 0; i < x->ntile_rows; i++)
		for (size_t j = 0; j < x->ntile_cols; j++)
			if (starpu_data_cpy(hetsched__tensor_tile(c, i, j),
			                    hetsched__tensor_tile(x, i, j), 1, NULL, NULL) != 0) {
				hetsched_tensor_destroy(c);
				return hetsched__error(HETSCHED_ESTARPU, "cannot copy the input");
			}
	*copy = c;
	return 0;
}

int hetsched_net_forward(hetsched_net_t n, hetsched_tensor_t x, hetsched_tensor_t *y)
{
	hetsched_tensor_t cur = x, next;
	int rc = 0;

	if (!n || !x || !y)
		return hetsched__error(HETSCHED_EINVAL, "net, input or output pointer is NULL");
	*y = NULL;
	if (x->cols != n->in || (n->rows_fixed && x->rows != n->rows_fixed))
		return hetsched__error(
		    HETSCHED_ESHAPE, "input is %zu x %zu but the model takes %zu columns%s",
		    x->rows, x->cols, n->in, n->rows_fixed ? " and a fixed number of rows" : "");
	release_between(n);
	if (n->nsteps == 0 || n->steps[0].kind != HETSCHED_STEP_LINEAR) {
		HETSCHED_CALL(copy_tensor(x, &cur));
	}
	for (size_t i = 0; i < n->nsteps && rc == 0; i++) {
		const struct net_step *s = &n->steps[i];

		switch (s->kind) {
		case HETSCHED_STEP_LINEAR:
			rc = hetsched_linear_forward(s->layer, cur, &next);
			if (rc == 0) {
				if (cur != x)
					n->between[n->nbetween++] = cur;
				cur = next;
			}
			break;
		case HETSCHED_STEP_EPILOGUE:
			rc = hetsched__epilogue_submit(cur, &s->prog, s->vecs);
			break;
		default:
			rc = hetsched__softmax_submit(cur, s->kind == HETSCHED_STEP_LOG_SOFTMAX);
		}
	}
	if (rc < 0) {
		if (cur != x)
			n->between[n->nbetween++] = cur;
		return rc;
	}
	*y = cur;
	return 0;
}

size_t hetsched_net_nlayers(const struct hetsched_net *n)
{
	return n ? n->nlayers : 0;
}

hetsched_linear_t hetsched_net_layer(hetsched_net_t n, size_t l)
{
	return n && l < n->nlayers ? n->layers[l] : NULL;
}

void hetsched_net_destroy(hetsched_net_t n)
{
	if (!n)
		return;
	if (n->between)
		release_between(n);
	for (size_t i = 0; n->steps && i < n->nsteps; i++) {
		hetsched_linear_destroy(n->steps[i].layer);
		hetsched_tensor_destroy(n->steps[i].vecs);
	}
	free(n->steps);
	free(n->layers);
	free(n->between);
	free(n);
}

int hetsched_model_create_layers(const struct hetsched_model *model,
                                 enum hetsched_activation between, size_t tile_rows,
                                 size_t tile_cols, hetsched_linear_t *layers)
{
	const struct hetsched__model *m;
	size_t l = 0;
	int rc = 0;

	if (!model || !layers)
		return hetsched__error(HETSCHED_EINVAL, "model_create_layers: NULL argument");
	m = &model->m;
	for (size_t i = 0; i < m->nlayers; i++)
		layers[i] = NULL;
	if (between != HETSCHED_ACT_NONE)
		return hetsched__error(HETSCHED_EINVAL, "the model carries its activations: "
		                                        "'between' must be HETSCHED_ACT_NONE");
	if (tile_rows == 0 || tile_cols == 0)
		return hetsched__error(HETSCHED_EINVAL, "tile must be > 0, got %zux%zu", tile_rows,
		                       tile_cols);
	/* Layer l + 1 reads layer l's output, whose tiles are tile_rows (layer l's tile_out) wide,
	 * with its own tile_in: both must be the same. */
	if (m->nlayers > 1 && tile_rows != tile_cols)
		return hetsched__error(HETSCHED_EINVAL,
		                       "a model of %zu layers needs square tiles, got %zux%zu",
		                       m->nlayers, tile_rows, tile_cols);
	for (size_t i = 0; i < m->nsteps && rc == 0; i++) {
		const struct hetsched__step *s = &m->steps[i];
		enum hetsched_activation rowwise = HETSCHED_ACT_NONE;

		if (s->kind != HETSCHED_STEP_LINEAR || s->bias_rows > 1) {
			rc = hetsched__error(HETSCHED_EINVAL,
			                     "this model is more than linear layers "
			                     "and activations: run it with "
			                     "hetsched_net_create()");
			break;
		}
		if (i + 1 < m->nsteps && m->steps[i + 1].kind != HETSCHED_STEP_LINEAR) {
			if (m->steps[i + 1].kind == HETSCHED_STEP_EPILOGUE) {
				rc = hetsched__error(
				    HETSCHED_EINVAL,
				    "this model is more than linear layers and "
				    "activations: run it with hetsched_net_create()");
				break;
			}
			rowwise = m->steps[i + 1].kind == HETSCHED_STEP_SOFTMAX
			              ? HETSCHED_ACT_SOFTMAX
			              : HETSCHED_ACT_LOG_SOFTMAX;
			i++;
		}
		rc = hetsched_linear_create(&layers[l], s->in, s->out, rowwise, tile_rows,
		                            tile_cols);
		if (rc == 0)
			rc = hetsched_linear_load(layers[l], s->w, s->b);
		if (rc == 0)
			rc = hetsched__linear_set_epilogue(layers[l], &s->prog, s->vecs);
		l++;
	}
	if (rc < 0)
		for (l = 0; l < m->nlayers; l++) {
			hetsched_linear_destroy(layers[l]);
			layers[l] = NULL;
		}
	return rc;
}
