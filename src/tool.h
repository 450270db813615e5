/* tool.h: the small private API that the hetsched tool (src/cli) may use beyond hetsched.h:
 * hetsched__ functions of the internal convenience library. Plain C, no StarPU types.
 * One section per owner. */
#ifndef HETSCHED_TOOL_H
#define HETSCHED_TOOL_H

#include <stddef.h>

#include "check.h"
#include "hetsched.h"

/* lead: TRANSITIONAL (io_compat.c) until the io branch's public API lands. */
typedef struct hetsched_model *hetsched_model_t;
int hetsched_model_load(hetsched_model_t *model, const char *path);
size_t hetsched_model_nlayers(const struct hetsched_model *m);
int hetsched_model_layer(const struct hetsched_model *m, size_t l, size_t *in_features,
                         size_t *out_features, const float **weight, const float **bias);
int hetsched_model_create_layers(const struct hetsched_model *m, enum hetsched_activation between,
                                 size_t tile_rows, size_t tile_cols, hetsched_linear_t *layers);
void hetsched_model_destroy(hetsched_model_t m);
int hetsched_npy_load(const char *path, float **data, size_t *rows, size_t *cols);
int hetsched_npy_save(const char *path, const float *data, size_t rows, size_t cols, size_t ld);
int hetsched__check_writable(const char *path);
int hetsched__mpi_gather_text(const char *mine, char **all, size_t max);
int hetsched__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* perfmodel */

/* Keep StarPU's model samples however much their times vary: set STARPU_HISTORY_MAX_ERROR to
 * 100000 unless the user set it. Call before hetsched_init(). Used by bench and calibrate, whose
 * studies would otherwise lose the calibration they began with. */
void hetsched__perfmodel_keep_samples(void);

#endif
