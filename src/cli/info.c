/* info.c: `hetsched info`, the tutorial's torch.cuda.is_available() and more: what the node
 * has and what StarPU made of it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "simulate.h"
#include "tool.h"

const char cli_info_help[] =
    "usage: hetsched info [--json] [worker options]\n"
    "\n"
    "What this node offers, as hwloc and StarPU see it: topology, workers by kind, memory\n"
    "nodes, bus bandwidth and latency, the OpenBLAS core, and whether CUDA is available.\n"
    "\n"
    "  --json             one JSON object on stdout\n" CLI_WORKER_HELP CLI_SIMULATE_HELP;

static json_t *info_json(const struct hetsched_topology *topo)
{
	json_t *root = json_object(), *features = json_object(), *topology = json_object();
	json_t *workers = json_array(), *nodes = json_array(), *bus = json_array();
	int nworkers = hetsched_worker_count(), nnodes = hetsched_memory_node_count();

	json_object_set_new(root, "version", json_string(HETSCHED_VERSION));
	json_object_set_new(root, "starpu_version", json_string(hetsched_starpu_version()));
	json_object_set_new(root, "sched", json_string(hetsched_sched_name()));
	json_object_set_new(features, "cpu", json_true());
	json_object_set_new(features, "cuda", json_boolean(HETSCHED_HAVE_CUDA));
	json_object_set_new(features, "opencl", json_boolean(HETSCHED_HAVE_OPENCL));
	json_object_set_new(features, "mpi", json_boolean(HETSCHED_HAVE_MPI));
	json_object_set_new(root, "features", features);
	json_object_set_new(root, "cuda_available",
	                    json_boolean(hetsched_worker_count_kind(HETSCHED_KIND_CUDA) > 0));
	json_object_set_new(topology, "packages", json_integer(topo->packages));
	json_object_set_new(topology, "numa_nodes", json_integer(topo->numa_nodes));
	json_object_set_new(topology, "cores", json_integer(topo->cores));
	json_object_set_new(topology, "pus", json_integer(topo->pus));
	json_object_set_new(topology, "memory_bytes", json_integer((json_int_t)topo->memory_bytes));
	json_object_set_new(topology, "cpu_model", json_string(topo->cpu_model));
	json_object_set_new(root, "topology", topology);
	{
		/* A simulation build describes the simulated node; topology is then this host's. */
		int gpus = 0, cpus = 0;
		const char *node = cli_simulated_node(&gpus, &cpus);

		json_object_set_new(root, "simulated",
		                    node ? json_pack("{s:s, s:i, s:i, s:s}", "node", node, "gpus",
		                                     gpus, "cpus", cpus, "note",
		                                     "workers, memory_nodes and bus are SimGrid's "
		                                     "model of that node; topology is the host "
		                                     "simulating it")
		                         : json_false());
	}
	json_object_set_new(root, "blas_core", json_string(hetsched_blas_corename()));
	json_object_set_new(root, "cpu_isa", json_string(hetsched_cpu_isa()));
	json_object_set_new(root, "blas_core_corrected_from",
	                    getenv("HETSCHED_BLAS_FIXED")
	                        ? json_string(getenv("HETSCHED_BLAS_FIXED"))
	                        : json_null());
	for (int i = 0; i < nworkers; i++) {
		struct hetsched_worker_info w;

		hetsched_worker_get_info(i, &w);
		json_array_append_new(workers,
		                      json_pack("{s:i, s:s, s:s, s:i, s:i}", "id", w.id, "name",
		                                w.name, "kind", hetsched_kind_name(w.kind),
		                                "memory_node", w.memory_node, "devid", w.devid));
	}
	json_object_set_new(root, "workers", workers);
	for (int i = 0; i < nnodes; i++) {
		struct hetsched_memnode_info m;

		hetsched_memory_node_get_info(i, &m);
		json_array_append_new(
		    nodes,
		    json_pack("{s:i, s:s, s:s, s:I}", "id", m.id, "kind",
		              m.kind == HETSCHED_KIND_CPU ? "ram" : hetsched_kind_name(m.kind),
		              "name", m.name, "size_bytes", (json_int_t)m.size_bytes));
	}
	json_object_set_new(root, "memory_nodes", nodes);
	for (int s = 0; s < nnodes; s++) {
		for (int d = 0; d < nnodes; d++) {
			double bw, lat;

			if (s == d)
				continue;
			hetsched_bus_get(s, d, &bw, &lat);
			json_array_append_new(bus,
			                      json_pack("{s:i, s:i, s:f, s:f}", "src", s, "dst", d,
			                                "bandwidth_mbs", bw, "latency_us", lat));
		}
	}
	json_object_set_new(root, "bus", bus);
	return root;
}

static void format_bytes(char *buf, size_t size, double bytes)
{
	if (bytes < 0)
		snprintf(buf, size, "unknown");
	else if (bytes >= (1ull << 30))
		snprintf(buf, size, "%.1f GiB", bytes / (1ull << 30));
	else
		snprintf(buf, size, "%.0f MiB", bytes / (1ull << 20));
}

static void info_text(const struct hetsched_topology *topo)
{
	int nworkers = hetsched_worker_count(), nnodes = hetsched_memory_node_count();
	int ncuda = hetsched_worker_count_kind(HETSCHED_KIND_CUDA), sim_gpus = 0, sim_cpus = 0;
	const char *simulated = cli_simulated_node(&sim_gpus, &sim_cpus);
	char mem[32];

	printf("hetsched %s, StarPU %s, scheduling policy %s\n", HETSCHED_VERSION,
	       hetsched_starpu_version(), hetsched_sched_name());
	printf("backends compiled in: cpu yes, cuda %s, opencl %s, mpi %s\n",
	       HETSCHED_HAVE_CUDA ? "yes" : "no", HETSCHED_HAVE_OPENCL ? "yes" : "no",
	       HETSCHED_HAVE_MPI ? "yes" : "no");
	if (simulated) {
		/* The hardware below is SimGrid's model of the node, not this host's. */
		printf("SIMULATED node: %s, %d GPU%s and %d CPU workers as that node is built "
		       "(SimGrid, StarPU host %s); workers, memory and bus below are the simulated "
		       "ones; this host's hardware is not shown\n",
		       simulated, sim_gpus, sim_gpus == 1 ? "" : "s", sim_cpus,
		       getenv("STARPU_HOSTNAME") ? getenv("STARPU_HOSTNAME") : "?");
		goto workers;
	}
	format_bytes(mem, sizeof(mem), (double)topo->memory_bytes);
	printf("node: %d package%s, %d NUMA node%s, %d cores, %d PUs, %s%s%s\n", topo->packages,
	       topo->packages == 1 ? "" : "s", topo->numa_nodes, topo->numa_nodes == 1 ? "" : "s",
	       topo->cores, topo->pus, mem, topo->cpu_model[0] ? ", " : "", topo->cpu_model);
	printf("OpenBLAS core: %s (CPU: %s)", hetsched_blas_corename(), hetsched_cpu_isa());
	if (getenv("HETSCHED_BLAS_FIXED"))
		printf(" - set by hetsched; OpenBLAS had picked %s", getenv("HETSCHED_BLAS_FIXED"));
	else if (hetsched_blas_core_is_poorer())
		printf(" - older than the CPU allows: try OPENBLAS_CORETYPE=%s",
		       hetsched_blas_best_core());
	printf("\n");
workers:
	printf("\nworkers (%d: %d cpu, %d cuda, %d opencl):\n", nworkers,
	       hetsched_worker_count_kind(HETSCHED_KIND_CPU), ncuda,
	       hetsched_worker_count_kind(HETSCHED_KIND_OPENCL));
	for (int i = 0; i < nworkers; i++) {
		struct hetsched_worker_info w;

		hetsched_worker_get_info(i, &w);
		printf("  %3d  %-6s  memory node %d  %s\n", w.id, hetsched_kind_name(w.kind),
		       w.memory_node, w.name);
	}
	/* What each kind's linear kernels compute natively (--precision); every kind accumulates
	 * in FP32 and stores every --dtype. */
	printf("\nprecisions of linear layers (products; FP32 accumulation everywhere):\n");
	if (hetsched_worker_count_kind(HETSCHED_KIND_CPU) > 0)
		printf("  cpu     fp32 native; bf16, fp16: inputs rounded, then FP32 sgemm; tf32: "
		       "computed as fp32\n");
	if (ncuda > 0)
		printf("  cuda    fp32, tf32, bf16, fp16 native (cuBLAS, tensor cores)\n");
	if (hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) > 0)
		printf("  opencl  fp32 native; bf16, fp16: inputs rounded in the kernel; tf32: "
		       "computed as fp32\n");
	printf("\nmemory nodes (%d):\n", nnodes);
	for (int i = 0; i < nnodes; i++) {
		struct hetsched_memnode_info m;

		hetsched_memory_node_get_info(i, &m);
		format_bytes(mem, sizeof(mem), (double)m.size_bytes);
		printf("  %3d  %-6s  %-10s  %s\n", m.id,
		       m.kind == HETSCHED_KIND_CPU ? "ram" : hetsched_kind_name(m.kind), mem,
		       m.name);
	}
	if (nnodes > 1) {
		printf("\nbus (as StarPU measured it):\n");
		for (int s = 0; s < nnodes; s++)
			for (int d = 0; d < nnodes; d++) {
				double bw, lat;

				if (s == d)
					continue;
				hetsched_bus_get(s, d, &bw, &lat);
				printf("  %d -> %d  %10.1f MB/s  %8.2f us\n", s, d, bw, lat);
			}
	}
	if (ncuda > 0)
		printf("\nCUDA available: yes (%d device%s)\n", ncuda, ncuda == 1 ? "" : "s");
	else
		printf("\nCUDA available: no — running on CPU%s\n",
		       hetsched_worker_count_kind(HETSCHED_KIND_OPENCL) ? " (and OpenCL)" : "");
}

/* One line per rank: its host and workers. */
static void rank_line(int r, json_t *one)
{
	json_t *workers = json_object_get(one, "workers");

	printf("rank %d on %s: %d workers:", r, json_string_value(json_object_get(one, "host")),
	       (int)json_array_size(workers));
	for (size_t w = 0; w < json_array_size(workers); w++) {
		json_t *wk = json_array_get(workers, w);

		printf(" %s(%s)", json_string_value(json_object_get(wk, "name")),
		       json_string_value(json_object_get(wk, "kind")));
	}
	printf("\n");
}

/* Under MPI, rank 0 lists every rank's devices (a collective: every rank calls it). */
static int info_ranks(const struct hetsched_topology *topo, int json)
{
	int nranks = hetsched_nranks(), rc = EXIT_RUNTIME;
	char **all = calloc((size_t)nranks, sizeof(char *));
	json_t *root = info_json(topo), *ranks = json_array();
	char host[64] = "", *mine;

	gethostname(host, sizeof(host) - 1);
	json_object_set_new(root, "rank", json_integer(hetsched_rank()));
	json_object_set_new(root, "host", json_string(host));
	mine = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!all || !mine || hetsched__mpi_gather_text(mine, all, 1 << 18) < 0) {
		fprintf(stderr, "hetsched: info: cannot gather the ranks' devices: %s\n",
		        all && mine ? hetsched_last_error() : "out of memory");
		goto out;
	}
	rc = EXIT_OK;
	if (hetsched_rank() != 0)
		goto out;
	for (int r = 0; r < nranks; r++) {
		json_t *one = all[r] ? json_loads(all[r], 0, NULL) : NULL;

		if (!one)
			continue;
		if (!json)
			rank_line(r, one);
		json_array_append_new(ranks, one);
	}
	json_object_set_new(root, "ranks", ranks);
	ranks = NULL;
	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		printf("\nrank 0 in detail:\n");
		info_text(topo);
	}
out:
	for (int r = 0; all && r < nranks; r++)
		free(all[r]);
	free(all);
	free(mine);
	json_decref(ranks);
	json_decref(root);
	return rc;
}

static int info_option(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt != 'j')
		return CLI_NOT_MINE;
	*(int *)ctx = 1;
	return CLI_PARSED;
}

int cli_info(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_workers workers;
	struct hetsched_topology topo;
	int json = 0, rc;

	rc = cli_options_parse("info", argc, argv, options, info_option, &json, &workers);
	if (rc != CLI_PARSED)
		return cli_options_exit("info", rc);
	rc = cli_simulate_enter("info", &workers);
	if (rc != CLI_SIM_CONTINUE)
		return rc;
	if (hetsched_topology_get(&topo) < 0) {
		fprintf(stderr, "hetsched: %s\n", hetsched_last_error());
		return EXIT_RUNTIME;
	}
	rc = cli_start(&workers, json);
	if (rc != EXIT_OK)
		return rc;
	if (hetsched_nranks() > 1) {
		rc = info_ranks(&topo, json);
		hetsched_shutdown();
		return rc;
	}
	if (json) {
		json_t *root = info_json(&topo);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(root);
	} else {
		info_text(&topo);
	}
	hetsched_shutdown();
	return EXIT_OK;
}
