/* simulate.c: a real node described for simulation, and a simulated node built from it.
 *
 * A node's description is a folder (the tool packs it as NODE.tar.gz):
 *   node.json                      versions, footprint scheme, devices, bus, per-task overheads
 *   codelets/45/hetsched_*.HOST    StarPU's history models of the node (format 45)
 *   bus/HOST.*                     StarPU's bus files of the node (bandwidth, latency, platform)
 * hetsched__node_export() writes it on the real node; hetsched__node_simulate_home() turns it
 * into a STARPU_HOME for a SimGrid StarPU: the models, with the measured per-task overhead of
 * each kind of worker added to every entry (StarPU measures the kernel alone, while a worker
 * also pays for launching and completing each task: on the H200 node, 13 us between two
 * kernels of 53 us), and bus files and a SimGrid platform generated for N GPUs and C cores.
 *
 * In a simulation build, StarPU's own main() loads the platform of $STARPU_HOME before the
 * program's main() runs, and aborts when there is none. The constructor at the end gives such
 * a process a one-core platform to start on ("boot"), so that a program can parse its options
 * and then run itself again on the node it was asked to simulate (the tool does that). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <starpu.h>

#include "internal.h"
#include "tool.h"

#define NODE_FORMAT "hetsched-node 1"
/* StarPU's history models of this build key tasks by these footprints (codelets/linear.c,
 * codelets/rand.c). Change the id whenever either footprint function changes: models keyed by
 * another scheme match no task, and a simulation would schedule from nothing. */
#define FOOTPRINT_SCHEME                                                                           \
	"hetsched-fp1: linear crc32c(data, first, last, act), rand crc32c(data, dist)"
#define MODEL_FORMAT "45"

const char *hetsched__footprint_scheme(void)
{
	return FOOTPRINT_SCHEME;
}

/* ------------------------------------------------------------------ files */

static int make_dirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;
	int rc = 0;

	if (!in)
		return hetsched__error(HETSCHED_EIO, "cannot read %s: %s", from, strerror(errno));
	out = fopen(to, "wb");
	if (!out) {
		fclose(in);
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", to, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in) || fclose(out) != 0)
		rc = -1;
	fclose(in);
	return rc ? hetsched__error(HETSCHED_EIO, "cannot copy %s to %s", from, to) : 0;
}

/* ------------------------------------------------------------------ export */

static const char *const model_symbols[] = {"hetsched_linear", "hetsched_rand"};
static const char *const bus_files[] = {"bandwidth", "latency",      "affinity",
                                        "config",    "platform.xml", "platform.v4.xml"};

/* SXM boards of these GPUs are built with NVLink through NVSwitch: 900 GB/s per GPU in both
 * directions together (NVIDIA's data sheets), taken as 450 GB/s each way. Other GPUs: peers
 * through the host. */
static void gpu_link_of(const char *gpu, const char **kind, double *mbs, double *latency_us)
{
	static const char *const nvlink4[] = {"H100", "H200", "H800", "GH200"};

	for (size_t i = 0; i < sizeof(nvlink4) / sizeof(*nvlink4); i++)
		if (strstr(gpu, nvlink4[i])) {
			*kind = "nvlink4-nvswitch";
			*mbs = 450000;
			*latency_us = 2;
			return;
		}
	*kind = "pcie-through-host";
	*mbs = 0;
	*latency_us = 0;
}

int hetsched__node_describe(const double overhead_us[HETSCHED_NKINDS], char **json_text)
{
	struct hetsched_topology topo;
	json_t *root, *gpus, *bus, *ov;
	char host[256], when[32];
	time_t now = time(NULL);
	double h2d = 0, d2h = 0, lh2d = 0, ld2h = 0;
	const char *link_kind = "pcie-through-host";
	double link_mbs = 0, link_lat = 0;
	int ram = -1, gpu = -1;

	if (!hetsched__initialized())
		return hetsched__error(HETSCHED_ESTATE, "describing the node needs StarPU started");
	*json_text = NULL;
	if (!hetsched__home_host(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	hetsched_topology_get(&topo);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	gpus = json_array();
	for (int m = 0; m < hetsched_memory_node_count(); m++) {
		struct hetsched_memnode_info info;

		hetsched_memory_node_get_info(m, &info);
		if (info.kind == HETSCHED_KIND_CPU && ram < 0)
			ram = m;
		if (info.kind == HETSCHED_KIND_CUDA) {
			if (gpu < 0)
				gpu = m;
			json_array_append_new(gpus, json_pack("{s:s, s:I}", "name", info.name,
			                                      "memory_bytes",
			                                      (json_int_t)info.size_bytes));
		}
	}
	if (ram >= 0 && gpu >= 0) {
		hetsched_bus_get(ram, gpu, &h2d, &lh2d);
		hetsched_bus_get(gpu, ram, &d2h, &ld2h);
	}
	for (int w = 0; w < hetsched_worker_count(); w++) {
		struct hetsched_worker_info info;

		hetsched_worker_get_info(w, &info);
		if (info.kind == HETSCHED_KIND_CUDA) {
			gpu_link_of(info.name, &link_kind, &link_mbs, &link_lat);
			json_object_set_new(json_array_get(gpus, 0), "worker",
			                    json_string(info.name));
			break;
		}
	}
	bus = json_pack("{s:f, s:f, s:f, s:f}", "h2d_mbs", h2d, "d2h_mbs", d2h, "h2d_latency_us",
	                lh2d, "d2h_latency_us", ld2h);
	ov = json_object();
	for (int k = 0; k < HETSCHED_NKINDS; k++)
		if (hetsched_worker_count_kind((enum hetsched_kind)k) > 0)
			json_object_set_new(ov, hetsched_kind_name((enum hetsched_kind)k),
			                    isnan(overhead_us[k]) ? json_null()
			                                          : json_real(overhead_us[k]));
	root = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:{s:s, s:f, s:f, s:s}, s:o, "
	    "s:s}",
	    "format", NODE_FORMAT, "made", when, "hetsched_version", HETSCHED_VERSION,
	    "starpu_version", hetsched_starpu_version(), "footprint_scheme", FOOTPRINT_SCHEME,
	    "host", host, "cpu_model", topo.cpu_model, "cores", topo.cores, "cpu_workers",
	    hetsched_worker_count_kind(HETSCHED_KIND_CPU), "gpus", gpus, "bus", bus, "gpu_link",
	    "kind", link_kind, "mbs", link_mbs, "latency_us", link_lat, "note",
	    "assumed from the GPU's name: change it here if the node is built otherwise",
	    "overhead_us", ov, "overhead_method",
	    "median gap between two consecutive tasks of one worker, over the workers of that "
	    "kind, in the calibration passes");
	if (!root)
		return hetsched__error(HETSCHED_ENOMEM, "out of memory describing the node");
	*json_text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return *json_text ? 0 : hetsched__error(HETSCHED_ENOMEM, "out of memory");
}

int hetsched__node_export(const char *dir, const char *json_text)
{
	char sampling[4096], host[256], from[8192], to[8192];
	FILE *f;

	if (hetsched__initialized())
		return hetsched__error(
		    HETSCHED_ESTATE,
		    "export after hetsched_shutdown: StarPU writes its models then");
	if (!hetsched__home_models_dir(sampling, sizeof(sampling)))
		snprintf(sampling, sizeof(sampling), ".");
	if (!hetsched__home_host(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	snprintf(to, sizeof(to), "%s/codelets/" MODEL_FORMAT, dir);
	if (make_dirs(to) < 0 || (snprintf(to, sizeof(to), "%s/bus", dir), make_dirs(to) < 0))
		return hetsched__error(HETSCHED_EIO, "cannot create %s: %s", to, strerror(errno));
	for (size_t i = 0; i < sizeof(model_symbols) / sizeof(*model_symbols); i++) {
		snprintf(from, sizeof(from), "%s/codelets/" MODEL_FORMAT "/%s.%s", sampling,
		         model_symbols[i], host);
		snprintf(to, sizeof(to), "%s/codelets/" MODEL_FORMAT "/%s.%s", dir,
		         model_symbols[i], host);
		HETSCHED_CALL(copy_file(from, to));
	}
	for (size_t i = 0; i < sizeof(bus_files) / sizeof(*bus_files); i++) {
		snprintf(from, sizeof(from), "%s/bus/%s.%s", sampling, host, bus_files[i]);
		snprintf(to, sizeof(to), "%s/bus/%s.%s", dir, host, bus_files[i]);
		if (access(from, R_OK) == 0)
			HETSCHED_CALL(copy_file(from, to));
	}
	snprintf(to, sizeof(to), "%s/node.json", dir);
	f = fopen(to, "w");
	if (!f || fputs(json_text, f) < 0 || fputc('\n', f) < 0 || fclose(f) != 0)
		return hetsched__error(HETSCHED_EIO, "cannot write %s", to);
	return 0;
}

/* ------------------------------------------------------------------ the simulated node */

/* A history model of the node with \p add_us[kind] added to every entry of that kind's
 * architectures: its mean, its sum and its sum of squares, as if each sample had taken that
 * much longer. The file's layout is StarPU's (format 45): a "# device type" comment precedes
 * the type of each combination's device; a "# hash" comment heads each table of entries. */
static int write_model(const char *from, const char *to, const double add_us[HETSCHED_NKINDS])
{
	FILE *in = fopen(from, "r"), *out;
	char line[1024];
	int want_type = 0, in_table = 0;
	double add = 0;

	if (!in)
		return hetsched__error(HETSCHED_EIO, "cannot read %s: %s", from, strerror(errno));
	out = fopen(to, "w");
	if (!out) {
		fclose(in);
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", to, strerror(errno));
	}
	while (fgets(line, sizeof(line), in)) {
		unsigned hash, n;
		unsigned long size;
		double flops, mean, dev, sum, sum2;

		if (want_type && line[0] != '#') {
			int type = atoi(line); /* CPU 0, CUDA 1, OpenCL 2 */

			add = type == 0   ? add_us[HETSCHED_KIND_CPU]
			      : type == 1 ? add_us[HETSCHED_KIND_CUDA]
			      : type == 2 ? add_us[HETSCHED_KIND_OPENCL]
			                  : 0;
			add = isnan(add) ? 0 : add;
			want_type = 0;
		}
		if (!strncmp(line, "# device type", 13))
			want_type = 1;
		if (!strncmp(line, "# hash", 6)) {
			in_table = 1;
			fputs(line, out);
			continue;
		}
		if (in_table && sscanf(line, "%x %lu %le %le %le %le %le %u", &hash, &size, &flops,
		                       &mean, &dev, &sum, &sum2, &n) == 8) {
			/* (x + a)^2 = x^2 + 2ax + a^2 over the n samples. */
			sum2 += 2 * add * sum + n * add * add;
			sum += n * add;
			mean += add;
			fprintf(out, "%08x\t%-15lu\t%-15e\t%-15e\t%-15e\t%-15e\t%-15e\t%u\n", hash,
			        size, flops, mean, dev, sum, sum2, n);
			continue;
		}
		in_table = 0;
		fputs(line, out);
	}
	fclose(in);
	return fclose(out) == 0 ? 0 : hetsched__error(HETSCHED_EIO, "cannot write %s", to);
}

/* The node's figures, read from node.json. */
struct node {
	char host[256], gpu[128];
	double h2d, d2h, lh2d, ld2h; /* MB/s, us */
	double link_mbs, link_lat;   /* GPU to GPU; 0: through the host */
	int64_t gpu_bytes;
	int ngpus, cpu_workers;
	char link_kind[64];
	double overhead_us[HETSCHED_NKINDS];
};

static int read_node(const char *dir, struct node *n)
{
	char path[4096];
	json_error_t err;
	json_t *root, *v;
	const char *scheme = NULL, *host = NULL;

	memset(n, 0, sizeof(*n));
	snprintf(path, sizeof(path), "%s/node.json", dir);
	root = json_load_file(path, 0, &err);
	if (!root)
		return hetsched__error(HETSCHED_EINVAL, "%s: not a node description (%s)", path,
		                       err.text);
	v = json_object_get(root, "format");
	if (!json_is_string(v) || strcmp(json_string_value(v), NODE_FORMAT)) {
		json_decref(root);
		return hetsched__error(HETSCHED_EINVAL, "%s: format is not \"" NODE_FORMAT "\"",
		                       path);
	}
	scheme = json_string_value(json_object_get(root, "footprint_scheme"));
	if (!scheme || strcmp(scheme, FOOTPRINT_SCHEME)) {
		hetsched__error(
		    HETSCHED_EINVAL,
		    "its models key tasks by footprint scheme \"%s\", this hetsched by \"%s\": "
		    "no task would match them; export the node again with this hetsched "
		    "(hetsched calibrate --export on that node)",
		    scheme ? scheme : "(none)", FOOTPRINT_SCHEME);
		json_decref(root);
		return HETSCHED_EINVAL;
	}
	host = json_string_value(json_object_get(root, "host"));
	snprintf(n->host, sizeof(n->host), "%s", host ? host : "");
	v = json_object_get(root, "bus");
	n->h2d = json_number_value(json_object_get(v, "h2d_mbs"));
	n->d2h = json_number_value(json_object_get(v, "d2h_mbs"));
	n->lh2d = json_number_value(json_object_get(v, "h2d_latency_us"));
	n->ld2h = json_number_value(json_object_get(v, "d2h_latency_us"));
	v = json_object_get(root, "gpu_link");
	n->link_mbs = json_number_value(json_object_get(v, "mbs"));
	n->link_lat = json_number_value(json_object_get(v, "latency_us"));
	snprintf(n->link_kind, sizeof(n->link_kind), "%s",
	         json_string_value(json_object_get(v, "kind"))
	             ? json_string_value(json_object_get(v, "kind"))
	             : "");
	n->ngpus = (int)json_array_size(json_object_get(root, "gpus"));
	n->cpu_workers = (int)json_integer_value(json_object_get(root, "cpu_workers"));
	v = json_array_get(json_object_get(root, "gpus"), 0);
	n->gpu_bytes = json_integer_value(json_object_get(v, "memory_bytes"));
	snprintf(n->gpu, sizeof(n->gpu), "%s",
	         json_string_value(json_object_get(v, "name"))
	             ? json_string_value(json_object_get(v, "name"))
	             : "");
	v = json_object_get(root, "overhead_us");
	for (int k = 0; k < HETSCHED_NKINDS; k++) {
		json_t *o = json_object_get(v, hetsched_kind_name((enum hetsched_kind)k));

		n->overhead_us[k] = json_is_number(o) ? json_number_value(o) : NAN;
	}
	json_decref(root);
	if (!*n->host || strchr(n->host, '/'))
		return hetsched__error(HETSCHED_EINVAL, "%s: no valid \"host\"", path);
	return 0;
}

/* A small text file, written (or appended to) whole. */
static int put_text(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return hetsched__error(HETSCHED_EIO, "cannot write %s", path);
	return 0;
}

static int append_text(const char *path, const char *text)
{
	return put_text(path, "a", text);
}

static int write_text(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int write_text(const char *path, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return put_text(path, "w", text);
}

/* StarPU's bus matrix (bandwidth in MB/s, or latency in us) between RAM (node 0) and N GPUs
 * (nodes 1..N): STARPU_MAXNODES rows of STARPU_MAXNODES values, nan where there is no bus. */
static int write_matrix(const char *path, const struct node *n, int ngpus, int latency)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", path, strerror(errno));
	fprintf(f, "# to 0");
	for (int d = 1; d < STARPU_MAXNODES; d++)
		fprintf(f, "\t\tto %d", d);
	fprintf(f, "\t\t\n");
	for (int s = 0; s < STARPU_MAXNODES; s++) {
		for (int d = 0; d < STARPU_MAXNODES; d++) {
			double v = NAN;
			double link = n->link_mbs > 0 ? (latency ? n->link_lat : n->link_mbs)
			                              : (latency ? n->ld2h + n->lh2d
			                                         : 1 / (1 / n->d2h + 1 / n->h2d));

			if (s <= ngpus && d <= ngpus) {
				if (s == d)
					v = 0;
				else if (s == 0)
					v = latency ? n->lh2d : n->h2d;
				else if (d == 0)
					v = latency ? n->ld2h : n->d2h;
				else
					v = link;
			}
			fprintf(f, "%e%s", v, d + 1 < STARPU_MAXNODES ? "\t" : "\n");
		}
	}
	return fclose(f) == 0 ? 0 : hetsched__error(HETSCHED_EIO, "cannot write %s", path);
}

/* The SimGrid platform of the node with N GPUs and C + N cores (each CUDA worker takes a core
 * of its own on the real node, as it did there: 15 CPU workers + 1 CUDA worker on 16 cores).
 * Each GPU has its own host link at the bandwidth and latency measured on the node; the host
 * side ("Host") is shared by all, at N times the measured bandwidth: host memory is assumed not
 * to be what limits N PCIe links. GPUs reach each other through per-GPU NVLink ports of
 * link_mbs each way (through the host when the node has no such link). Hosts' speeds are
 * StarPU's (tasks take their models' times; MAIN and RAM only hold actors). */
static int write_platform(const char *path, const struct node *n, int ngpus, int ncpus,
                          int network_config)
{
	FILE *f = fopen(path, "w");
	double host_bw = (n->h2d > n->d2h ? n->h2d : n->d2h) * 1e6 * ngpus;

	if (!(host_bw > 0))
		host_bw = 1e9; /* no GPU: the link carries nothing */

	if (!f)
		return hetsched__error(HETSCHED_EIO, "cannot write %s: %s", path, strerror(errno));
	fprintf(f,
	        "<?xml version='1.0'?>\n"
	        "<!DOCTYPE platform SYSTEM 'https://simgrid.org/simgrid.dtd'>\n"
	        "<!-- Generated by hetsched %s: %d GPUs of node %s (%s), %d cores. -->\n"
	        "<platform version=\"4.1\">\n",
	        HETSCHED_VERSION, ngpus, n->host, n->gpu, ncpus + ngpus);
	/* StarPU's own settings: links carry their nominal bandwidth and latency, both directions
	 * apart (SimGrid's defaults model TCP over Ethernet). */
	if (network_config)
		fprintf(f, " <config id=\"General\">\n"
		           "  <prop id=\"network/TCP-gamma\" value=\"-1\"></prop>\n"
		           "  <prop id=\"network/latency-factor\" value=\"1\"></prop>\n"
		           "  <prop id=\"network/bandwidth-factor\" value=\"1\"></prop>\n"
		           "  <prop id=\"network/crosstraffic\" value=\"0\"></prop>\n"
		           "  <prop id=\"network/weight-S\" value=\"0.0\"></prop>\n"
		           " </config>\n");
	fprintf(f, " <zone id=\"AS0\" routing=\"Full\">\n"
	           "  <host id=\"MAIN\" speed=\"1f\"/>\n");
	for (int c = 0; c < ncpus + ngpus; c++)
		fprintf(f, "  <host id=\"CPU%d\" speed=\"2000000000f\"/>\n", c);
	for (int g = 0; g < ngpus; g++)
		fprintf(f,
		        "  <host id=\"CUDA%d\" speed=\"2000000000f\">\n"
		        "   <prop id=\"memsize\" value=\"%lld\"/>\n"
		        "   <prop id=\"memcpy_peer\" value=\"%d\"/>\n"
		        "  </host>\n",
		        g, (long long)n->gpu_bytes, n->link_mbs > 0);
	fprintf(f, "  <host id=\"RAM\" speed=\"1f\"/>\n");
	fprintf(f, "  <link id=\"Host\" bandwidth=\"%fBps\" latency=\"0s\"/>\n", host_bw);
	for (int g = 0; g < ngpus; g++) {
		fprintf(f, "  <link id=\"RAM-CUDA%d\" bandwidth=\"%fBps\" latency=\"%fs\"/>\n", g,
		        n->h2d * 1e6, n->lh2d * 1e-6);
		fprintf(f, "  <link id=\"CUDA%d-RAM\" bandwidth=\"%fBps\" latency=\"%fs\"/>\n", g,
		        n->d2h * 1e6, n->ld2h * 1e-6);
		if (n->link_mbs > 0) {
			fprintf(f,
			        "  <link id=\"CUDA%d-out\" bandwidth=\"%fBps\" latency=\"%fs\"/>\n",
			        g, n->link_mbs * 1e6, n->link_lat * 1e-6);
			fprintf(f,
			        "  <link id=\"CUDA%d-in\" bandwidth=\"%fBps\" latency=\"0s\"/>\n",
			        g, n->link_mbs * 1e6);
		}
	}
	for (int g = 0; g < ngpus; g++) {
		fprintf(f,
		        "  <route src=\"CUDA%d\" dst=\"RAM\" symmetrical=\"NO\"><link_ctn "
		        "id=\"CUDA%d-RAM\"/><link_ctn id=\"Host\"/></route>\n",
		        g, g);
		fprintf(f,
		        "  <route src=\"RAM\" dst=\"CUDA%d\" symmetrical=\"NO\"><link_ctn "
		        "id=\"RAM-CUDA%d\"/><link_ctn id=\"Host\"/></route>\n",
		        g, g);
		for (int h = 0; h < ngpus && n->link_mbs > 0; h++)
			if (h != g)
				fprintf(f,
				        "  <route src=\"CUDA%d\" dst=\"CUDA%d\" "
				        "symmetrical=\"NO\"><link_ctn "
				        "id=\"CUDA%d-out\"/><link_ctn id=\"CUDA%d-in\"/></route>\n",
				        g, h, g, h);
	}
	fprintf(f, " </zone>\n</platform>\n");
	return fclose(f) == 0 ? 0 : hetsched__error(HETSCHED_EIO, "cannot write %s", path);
}

int hetsched__node_simulate_home(const char *node_dir, int ngpus, int ncpus, const char *home,
                                 char *host, size_t host_size)
{
	struct node n;
	char dir[4096], from[8192], to[8192];

	if (ngpus < 0 || ngpus > STARPU_MAXCUDADEVS)
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "--gpus must be 0 to %d (STARPU_MAXCUDADEVS of this StarPU), got %d",
		    STARPU_MAXCUDADEVS, ngpus);
	if (ncpus < 0 || ncpus + ngpus > STARPU_MAXCPUS)
		return hetsched__error(
		    HETSCHED_EINVAL,
		    "--cpus must be 0 to %d (STARPU_MAXCPUS less the GPUs' cores), "
		    "got %d",
		    STARPU_MAXCPUS - ngpus, ncpus);
	HETSCHED_CALL(read_node(node_dir, &n));
	if (ngpus > 0 && (!(n.h2d > 0) || !(n.d2h > 0) || n.gpu_bytes <= 0))
		return hetsched__error(
		    HETSCHED_EINVAL, "the node has no GPU whose bus was measured (node.json: gpus, "
		                     "bus): it can be simulated with --gpus 0 only");
	snprintf(host, host_size, "%s", n.host);
	snprintf(dir, sizeof(dir), "%s/.starpu/sampling/codelets/" MODEL_FORMAT, home);
	if (make_dirs(dir) < 0 ||
	    (snprintf(dir, sizeof(dir), "%s/.starpu/sampling/bus", home), make_dirs(dir) < 0))
		return hetsched__error(HETSCHED_EIO, "cannot create %s: %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(model_symbols) / sizeof(*model_symbols); i++) {
		snprintf(from, sizeof(from), "%s/codelets/" MODEL_FORMAT "/%s.%s", node_dir,
		         model_symbols[i], n.host);
		snprintf(to, sizeof(to), "%s/.starpu/sampling/codelets/" MODEL_FORMAT "/%s.%s",
		         home, model_symbols[i], n.host);
		HETSCHED_CALL(write_model(from, to, n.overhead_us));
	}
	snprintf(to, sizeof(to), "%s/%s.bandwidth", dir, n.host);
	HETSCHED_CALL(write_matrix(to, &n, ngpus, 0));
	snprintf(to, sizeof(to), "%s/%s.latency", dir, n.host);
	HETSCHED_CALL(write_matrix(to, &n, ngpus, 1));
	/* StarPU's simulation does not read these two, but hetsched's start checks that every bus
	 * file of the host is there (home.c). */
	snprintf(to, sizeof(to), "%s/%s.config", dir, n.host);
	HETSCHED_CALL(write_text(to,
	                         "# Current configuration\n%d # Number of CPUs\n1 # Number of NUMA "
	                         "nodes\n%d # Number of CUDA devices\n0 # Number of OpenCL "
	                         "devices\n0 # Number of MIC devices\n0 # Number of MPI devices\n",
	                         ncpus + ngpus, ngpus));
	snprintf(to, sizeof(to), "%s/%s.affinity", dir, n.host);
	HETSCHED_CALL(write_text(to, "# GPU\tNUMA0\t\n"));
	for (int g = 0; g < ngpus; g++) {
		char line[32];

		snprintf(line, sizeof(line), "%d\t0\t\n", g);
		HETSCHED_CALL(append_text(to, line));
	}
	snprintf(to, sizeof(to), "%s/%s.platform.v4.xml", dir, n.host);
	HETSCHED_CALL(write_platform(to, &n, ngpus, ncpus, 1));
	snprintf(from, sizeof(from), "%s", to);
	snprintf(to, sizeof(to), "%s/%s.platform.xml", dir, n.host);
	HETSCHED_CALL(copy_file(from, to));
	return 0;
}

int hetsched__node_read(const char *node_dir, struct hetsched__node_summary *s)
{
	struct node n;

	HETSCHED_CALL(read_node(node_dir, &n));
	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", n.host);
	snprintf(s->gpu, sizeof(s->gpu), "%s", n.gpu);
	s->ngpus = n.ngpus;
	s->cpu_workers = n.cpu_workers;
	s->h2d_mbs = n.h2d;
	s->d2h_mbs = n.d2h;
	s->gpu_link_mbs = n.link_mbs;
	snprintf(s->gpu_link, sizeof(s->gpu_link), "%s", n.link_kind);
	memcpy(s->overhead_us, n.overhead_us, sizeof(n.overhead_us));
	return 0;
}

/* ------------------------------------------------------------------ boot (simulation builds) */

#ifdef HETSCHED_HAVE_SIMGRID_BUILD
/* Before StarPU's main(): when $STARPU_HOME holds no platform for this host, or the command
 * line asks for --simulate (the platform comes later), point StarPU at a one-core platform in a
 * folder of our own (HETSCHED_SIM_BOOT=1 tells the program), so that the process starts instead
 * of aborting in SimGrid. A program run on a simulated node (HETSCHED_SIMULATED_HOME, set by
 * the tool before it runs itself again) is left alone. glibc passes main()'s arguments to
 * constructors. */
__attribute__((constructor)) static void simulation_boot(int argc, char **argv)
{
	char sampling[4096], host[256], path[8192], dir[4096];
	struct node n;
	int simulate = 0;

	if (getenv("HETSCHED_SIMULATED_HOME"))
		return;
	for (int i = 1; i < argc && argv; i++)
		simulate |= argv[i] && !strncmp(argv[i], "--simulate", 10);
	if (!hetsched__home_models_dir(sampling, sizeof(sampling)))
		snprintf(sampling, sizeof(sampling), ".");
	if (!hetsched__home_host(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	snprintf(path, sizeof(path), "%s/bus/%s.platform.v4.xml", sampling, host);
	if (!simulate && access(path, R_OK) == 0)
		return;
	snprintf(dir, sizeof(dir), "%s/hetsched-sim-boot-%ld/.starpu/sampling/bus",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getuid());
	memset(&n, 0, sizeof(n));
	snprintf(n.host, sizeof(n.host), "hetsched-boot");
	snprintf(path, sizeof(path), "%s/hetsched-boot.platform.v4.xml", dir);
	if (access(path, R_OK) != 0) {
		char tmp[8300];

		/* Written whole under a name of its own, then renamed: processes may boot at once.
		 */
		snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
		if (make_dirs(dir) < 0 || write_platform(tmp, &n, 0, 1, 0) < 0 ||
		    rename(tmp, path) != 0)
			return;
	}
	snprintf(dir, sizeof(dir), "%s/hetsched-sim-boot-%ld",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getuid());
	setenv("STARPU_HOME", dir, 1);
	unsetenv("STARPU_PERF_MODEL_DIR");
	setenv("STARPU_HOSTNAME", "hetsched-boot", 1);
	setenv("HETSCHED_SIM_BOOT", "1", 1);
}
#endif
