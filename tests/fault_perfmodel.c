/* fault_perfmodel.c: the independent side of fault_shared_home.sh. Loads each performance model
 * named on the command line from $STARPU_HOME the way StarPU itself does
 * (starpu_perfmodel_load_symbol, without starting StarPU) and checks the history of the CPU
 * workers: at least one entry, and every entry with samples and a finite, positive mean time.
 * Prints one TAP-comment line per model; exits 0 when all are sound, 1 otherwise. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <starpu.h>

int main(int argc, char **argv)
{
	int failed = 0;

	starpu_perfmodel_initialize();
	for (int i = 1; i < argc; i++) {
		struct starpu_perfmodel model;
		struct starpu_perfmodel_per_arch *arch;
		struct starpu_perfmodel_history_list *l;
		unsigned entries = 0, samples = 0, bad = 0;

		memset(&model, 0, sizeof(model));
		if (starpu_perfmodel_load_symbol(argv[i], &model) != 0) {
			printf("# %s: StarPU cannot load it\n", argv[i]);
			failed = 1;
			continue;
		}
		/* The arch of a single CPU core: "cpu0_impl0 (Comb0)" in the file. */
		arch =
		    starpu_perfmodel_get_model_per_devices(&model, 0, STARPU_CPU_WORKER, 0, 1, -1);
		for (l = arch ? arch->list : NULL; l; l = l->next) {
			const struct starpu_perfmodel_history_entry *e = l->entry;

			entries++;
			samples += e->nsample;
			if (e->nsample == 0 || !isfinite(e->mean) || !(e->mean > 0))
				bad++;
		}
		printf("# %s: %u CPU history entries, %u samples, %u unsound\n", argv[i], entries,
		       samples, bad);
		if (entries == 0 || bad)
			failed = 1;
		starpu_perfmodel_unload_model(&model);
	}
	starpu_perfmodel_free_sampling();
	return failed;
}
