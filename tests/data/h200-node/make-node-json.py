#!/usr/bin/env python3
# make-node-json.py: write hetsched-node/node.json, the description of the H200 node in the
# format of `hetsched calibrate --export`, from what that node left (info.json and the Chrome
# traces of its policy study, traces.tar.gz). Run once, from this folder; its output is
# committed. The per-task overhead of the CUDA worker is measured with the rule of
# calibrate --export: the median gap between two consecutive tasks of one worker, over the
# workers of that kind, in passes under dmda (here: the dmda and dmdas traces, 1288 gaps).
# The CPU workers ran no task under dm* on that node: their overhead is not measured (null).
import io, json, statistics, sys, tarfile

FOOTPRINT_SCHEME = "hetsched-fp1: linear crc32c(data, first, last, act), rand crc32c(data, dist)"

info = json.load(open("info.json"))
gaps = {"cpu": [], "cuda": []}
with tarfile.open("traces.tar.gz") as t:
    for m in t.getmembers():
        name = m.name.rsplit("/", 1)[-1]
        if not (name.startswith("trace-dmda-") or name.startswith("trace-dmdas-")):
            continue
        events = json.load(io.TextIOWrapper(t.extractfile(m)))["traceEvents"]
        lanes = {e["tid"]: e["args"]["name"] for e in events
                 if e.get("ph") == "M" and e["name"] == "thread_name"}
        for tid, lane in lanes.items():
            tasks = sorted((e for e in events if e.get("ph") == "X" and e["tid"] == tid),
                           key=lambda e: e["ts"])
            kind = "cuda" if lane.startswith("CUDA") else "cpu"
            gaps[kind] += [b["ts"] - (a["ts"] + a["dur"]) for a, b in zip(tasks, tasks[1:])]

ram = next(m for m in info["memory_nodes"] if m["kind"] == "ram")
gpu = next(m for m in info["memory_nodes"] if m["kind"] == "cuda")
bus = {(b["src"], b["dst"]): b for b in info["bus"]}
worker = next(w for w in info["workers"] if w["kind"] == "cuda")
node = {
    "format": "hetsched-node 1",
    "made": "2026-12-04T18:01:00Z",
    "hetsched_version": info["version"],
    "starpu_version": info["starpu_version"],
    "footprint_scheme": FOOTPRINT_SCHEME,
    "host": "vm",
    "cpu_model": info["topology"]["cpu_model"],
    "cores": info["topology"]["cores"],
    "cpu_workers": sum(w["kind"] == "cpu" for w in info["workers"]),
    "gpus": [{"name": gpu["name"], "memory_bytes": gpu["size_bytes"], "worker": worker["name"]}],
    "bus": {
        "h2d_mbs": bus[(ram["id"], gpu["id"])]["bandwidth_mbs"],
        "d2h_mbs": bus[(gpu["id"], ram["id"])]["bandwidth_mbs"],
        "h2d_latency_us": bus[(ram["id"], gpu["id"])]["latency_us"],
        "d2h_latency_us": bus[(gpu["id"], ram["id"])]["latency_us"],
    },
    "gpu_link": {"kind": "nvlink4-nvswitch", "mbs": 450000.0, "latency_us": 2.0,
                 "note": "assumed from the GPU's name: change it here if the node is built otherwise"},
    "overhead_us": {k: (round(statistics.median(v), 2) if v else None) for k, v in gaps.items()},
    "overhead_method": "median gap between two consecutive tasks of one worker, over the workers "
                       "of that kind, in the passes under dmda and dmdas of the node's study (traces.tar.gz)",
    "overhead_samples": {k: len(v) for k, v in gaps.items()},
}
json.dump(node, open("hetsched-node/node.json", "w"), indent=2)
print("cuda overhead %s us from %d gaps" % (node["overhead_us"]["cuda"], len(gaps["cuda"])),
      file=sys.stderr)
