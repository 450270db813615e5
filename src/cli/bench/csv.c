/* csv.c: the CSV, one row per timed pass; its columns are documented in the help text and
 * README.md and must not change. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bench.h"

static const char csv_header[] =
    "timestamp,host,hetsched_version,starpu_version,sched,ncpu,ncuda,nopencl,batch,in,out,"
    "layers,tile,repeat,elapsed_s,gflops,tasks_cpu,tasks_cuda,tasks_opencl,busy_cpu,busy_cuda,"
    "busy_opencl,bytes_moved,check_ok,scenario,h2d_bytes,d2h_bytes,simulated,dtype,precision";

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int bench_csv_print(FILE *f, void *ctx)
{
	const struct bench *b = ctx;

	const char *starpu = hetsched_starpu_version();

	fprintf(f, "%s\n", csv_header);
	for (size_t i = 0; i < b->nrows; i++) {
		const struct bench_row *r = &b->rows[i];
		char when[32];

		bench_iso_time(r->when, when, sizeof(when));
		fprintf(f, "%s,", when);
		csv_field(f, b->host);
		fprintf(f, ",%s,%s,", HETSCHED_VERSION, starpu);
		csv_field(f, b->o.scheds[r->sched]);
		fprintf(
		    f,
		    ",%d,%d,%d,%zu,%zu,%zu,%zu,%zu,%zu,%.9f,%.6g,%zu,%zu,%zu,%.4f,%.4f,%.4f,%lld,",
		    b->nkind[HETSCHED_KIND_CPU], b->nkind[HETSCHED_KIND_CUDA],
		    b->nkind[HETSCHED_KIND_OPENCL], r->size, r->size, r->size, b->o.layers, r->tile,
		    r->repeat, r->elapsed_s, r->gflops, r->tasks[HETSCHED_KIND_CPU],
		    r->tasks[HETSCHED_KIND_CUDA], r->tasks[HETSCHED_KIND_OPENCL],
		    r->busy[HETSCHED_KIND_CPU], r->busy[HETSCHED_KIND_CUDA],
		    r->busy[HETSCHED_KIND_OPENCL], r->bytes_moved);
		/* A simulated pass computed nothing: its check is not made, not passed. */
		if (r->check_ok >= 0)
			fprintf(f, "%d", r->check_ok);
		fprintf(f, ",%s,%lld,%lld,%d,%s,%s\n", b->o.scenario, r->h2d_bytes, r->d2h_bytes,
		        hetsched_is_simulation(), hetsched_dtype_name(b->o.workers.dtype),
		        hetsched_precision_name(b->o.workers.precision));
	}
	return ferror(f) ? -1 : 0;
}
