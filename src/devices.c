/* devices.c: what the node has, as StarPU sees it: workers, memory nodes, bus; and its topology. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>
#include <starpu.h>

#include "internal.h"

const char *hetsched_kind_name(enum hetsched_kind kind)
{
	switch (kind) {
	case HETSCHED_KIND_CPU:
		return "cpu";
	case HETSCHED_KIND_CUDA:
		return "cuda";
	case HETSCHED_KIND_OPENCL:
		return "opencl";
	default:
		return "unknown";
	}
}

static enum hetsched_kind kind_of_worker(enum starpu_worker_archtype type)
{
	switch (type) {
	case STARPU_CUDA_WORKER:
		return HETSCHED_KIND_CUDA;
	case STARPU_OPENCL_WORKER:
		return HETSCHED_KIND_OPENCL;
	default:
		return HETSCHED_KIND_CPU;
	}
}

int hetsched_worker_count(void)
{
	return hetsched__initialized() ? (int)starpu_worker_get_count() : 0;
}

int hetsched_worker_count_kind(enum hetsched_kind kind)
{
	if (!hetsched__initialized())
		return 0;
	switch (kind) {
	case HETSCHED_KIND_CPU:
		return starpu_worker_get_count_by_type(STARPU_CPU_WORKER);
	case HETSCHED_KIND_CUDA:
		return starpu_worker_get_count_by_type(STARPU_CUDA_WORKER);
	case HETSCHED_KIND_OPENCL:
		return starpu_worker_get_count_by_type(STARPU_OPENCL_WORKER);
	default:
		return 0;
	}
}

int hetsched_worker_get_info(int id, struct hetsched_worker_info *info)
{
	if (id < 0 || id >= hetsched_worker_count())
		return hetsched__error(HETSCHED_EINVAL, "worker %d does not exist (%d workers)", id,
		                       hetsched_worker_count());
	memset(info, 0, sizeof(*info));
	info->id = id;
	starpu_worker_get_name(id, info->name, sizeof(info->name));
	info->kind = kind_of_worker(starpu_worker_get_type(id));
	info->memory_node = (int)starpu_worker_get_memory_node(id);
	info->devid = starpu_worker_get_devid(id);
	return 0;
}

int hetsched_memory_node_count(void)
{
	return hetsched__initialized() ? (int)starpu_memory_nodes_get_count() : 0;
}

int hetsched_memory_node_get_info(int id, struct hetsched_memnode_info *info)
{
	if (id < 0 || id >= hetsched_memory_node_count())
		return hetsched__error(HETSCHED_EINVAL, "memory node %d does not exist (%d nodes)",
		                       id, hetsched_memory_node_count());
	memset(info, 0, sizeof(*info));
	info->id = id;
	switch (starpu_node_get_kind((unsigned)id)) {
	case STARPU_CUDA_RAM:
		info->kind = HETSCHED_KIND_CUDA;
		break;
	case STARPU_OPENCL_RAM:
		info->kind = HETSCHED_KIND_OPENCL;
		break;
	default:
		info->kind = HETSCHED_KIND_CPU;
		break;
	}
	starpu_memory_node_get_name((unsigned)id, info->name, sizeof(info->name));
	info->size_bytes = (int64_t)starpu_memory_get_total((unsigned)id);
	return 0;
}

int hetsched_bus_get(int src, int dst, double *bandwidth_mbs, double *latency_us)
{
	int n = hetsched_memory_node_count();

	if (src < 0 || src >= n || dst < 0 || dst >= n)
		return hetsched__error(HETSCHED_EINVAL, "no bus between memory nodes %d and %d",
		                       src, dst);
	*bandwidth_mbs = src == dst ? 0.0 : starpu_transfer_bandwidth((unsigned)src, (unsigned)dst);
	*latency_us = src == dst ? 0.0 : starpu_transfer_latency((unsigned)src, (unsigned)dst);
	return 0;
}

int hetsched_topology_get(struct hetsched_topology *topo)
{
	hwloc_topology_t topology;
	hwloc_obj_t package;
	const char *model;

	memset(topo, 0, sizeof(*topo));
	if (hwloc_topology_init(&topology) != 0)
		return hetsched__error(HETSCHED_ENODEV, "hwloc_topology_init failed");
	if (hwloc_topology_load(topology) != 0) {
		hwloc_topology_destroy(topology);
		return hetsched__error(HETSCHED_ENODEV, "hwloc_topology_load failed");
	}
	topo->packages = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE);
	topo->numa_nodes = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
	topo->cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
	topo->pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
	topo->memory_bytes = hwloc_get_root_obj(topology)->total_memory;
	/* Some virtual machines attach memory outside every NUMA node, where hwloc misses it. */
	if (sysconf(_SC_PHYS_PAGES) > 0 && sysconf(_SC_PAGESIZE) > 0) {
		uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);

		topo->memory_bytes = phys > topo->memory_bytes ? phys : topo->memory_bytes;
	}
	package = hwloc_get_obj_by_type(topology, HWLOC_OBJ_PACKAGE, 0);
	model = package ? hwloc_obj_get_info_by_name(package, "CPUModel") : NULL;
	snprintf(topo->cpu_model, sizeof(topo->cpu_model), "%s", model ? model : "");
	hwloc_topology_destroy(topology);
	return 0;
}
