/* blas.c: which OpenBLAS kernels run, and which the CPU could run. Debian's OpenBLAS 0.3.21 does
 * not recognise recent Xeons and falls back to "Prescott" (SSE3) kernels, several times slower
 * than the AVX-512 ones; the tool re-executes itself with OPENBLAS_CORETYPE set (see cli/main.c).
 */
#include "config.h"

#include <string.h>

#include <cblas.h>

#include "internal.h"

const char *hetsched_blas_corename(void)
{
#ifdef HAVE_OPENBLAS_GET_CORENAME
	const char *name = openblas_get_corename();

	return name ? name : "unknown";
#else
	return "unknown";
#endif
}

/* Vector level of a CPU: 4 AVX-512, 3 AVX2+FMA, 2 AVX, 1 SSE3, 0 unknown. */
static int cpu_level(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
		return 4;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return 3;
	if (__builtin_cpu_supports("avx"))
		return 2;
	if (__builtin_cpu_supports("sse3"))
		return 1;
#endif
	return 0;
}

/* Vector level of an OpenBLAS core name (x86 cores only; others are not compared). */
static int core_level(const char *core)
{
	static const char *const avx512[] = {"skylakex", "cooperlake", "sapphirerapids", NULL};
	static const char *const avx2[] = {"haswell", "zen", "skylake", "broadwell", NULL};
	static const char *const avx[] = {"sandybridge", "bulldozer", "piledriver",
	                                  "steamroller", "excavator", NULL};
	static const char *const sse[] = {"prescott", "core2",  "penryn", "dunnington",
	                                  "nehalem",  "atom",   "katmai", "barcelona",
	                                  "opteron",  "bobcat", "nano",   NULL};
	const char *const *levels[] = {sse, avx, avx2, avx512};

	for (int level = 0; level < 4; level++)
		for (int i = 0; levels[level][i]; i++)
			if (!strcasecmp(core, levels[level][i]))
				return level + 1;
	return -1;
}

const char *hetsched_cpu_isa(void)
{
	static const char *const names[] = {"unknown", "sse3", "avx", "avx2", "avx512"};

	return names[cpu_level()];
}

const char *hetsched_blas_best_core(void)
{
	switch (cpu_level()) {
	case 4:
		return "SkylakeX";
	case 3:
		return "Haswell";
	case 2:
		return "Sandybridge";
	default:
		return NULL;
	}
}

int hetsched_blas_core_is_poorer(void)
{
	const char *best = hetsched_blas_best_core();
	int current = core_level(hetsched_blas_corename());

	return best && current > 0 && current < core_level(best);
}
