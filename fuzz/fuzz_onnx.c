/* fuzz_onnx.c: libFuzzer harness of the ONNX reader and of its graph compiler, through the
 * public hetsched_model_load() on a memfd holding the bytes (external data then resolves
 * against /proc/self/fd/, and is refused or read within its checked bounds). For any bytes the
 * load either fails with one line naming the file and leaves no model, or gives a chain whose
 * steps fit together: each reads what the one before writes, every weight, bias and constant
 * is readable, and every program stays within the epilogue's limits. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include "fuzz_common.h"
#include "io/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_model(const struct hetsched__model *m)
{
	for (size_t s = 0; s < m->nsteps; s++) {
		const struct hetsched__step *st = &m->steps[s];

		FUZZ_REQUIRE(st->in > 0 && st->out > 0, "step %zu: %zu -> %zu", s, st->in, st->out);
		FUZZ_REQUIRE(s == 0 || st->in == m->steps[s - 1].out, "step %zu does not chain", s);
		FUZZ_REQUIRE(st->prog.n <= HETSCHED_EW_MAX_INSNS &&
		                 st->prog.nvec <= HETSCHED_EW_MAX_VECS,
		             "step %zu: program of %u, %u constants", s, st->prog.n, st->prog.nvec);
		for (uint32_t i = 0; i < st->prog.n; i++)
			FUZZ_REQUIRE(HETSCHED_EW_DST(st->prog.code[i]) < HETSCHED_EW_NREGS &&
			                 HETSCHED_EW_A(st->prog.code[i]) < HETSCHED_EW_NREGS,
			             "step %zu: register out of range", s);
		if (st->kind == HETSCHED_STEP_LINEAR) {
			FUZZ_REQUIRE(st->w != NULL, "step %zu: no weight", s);
			fuzz_touch(st->w, st->in * st->out);
			if (st->b)
				fuzz_touch(st->b, st->bias_rows * st->out);
		} else {
			FUZZ_REQUIRE(st->in == st->out, "step %zu changes the width", s);
		}
		if (st->prog.nvec)
			fuzz_touch(st->vecs, st->prog.nvec * st->out);
	}
	FUZZ_REQUIRE(m->nlayers <= m->nsteps, "%zu layers in %zu steps", m->nlayers, m->nsteps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hetsched_model_t model = NULL;
	const char *path = fuzz_as_file(data, size);
	int rc = hetsched_model_load(&model, path);

	if (rc == 0) {
		check_model(&model->m);
		hetsched_model_destroy(model);
	} else {
		FUZZ_REQUIRE(model == NULL, "failed load left a model");
		fuzz_check_error(rc, path);
	}
	return 0;
}
