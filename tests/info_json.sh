# info_json.sh: `hetsched info --json` is one JSON object with the documented fields, and its
# worker and memory-node counts are those StarPU reports when asked directly (starpu_count).
# Run as info_json.ocl it must also see one CPU worker, one OpenCL worker, two memory nodes, and
# the OpenCL worker is PoCL's basic device unless POCL_DEVICES says otherwise.
. "$HS_TOP_SRCDIR/tests/tap.sh"
[ -n "$PYTHON3" ] || PYTHON3=$(command -v python3)
if [ "$HS_WORKERS" = opencl ]; then plan 6; else plan 4; fi
json=$HS_TMPDIR/info.json
"$HETSCHED" info --json >"$json" 2>"$HS_TMPDIR/err"
ok $? "info --json exits 0"
expected=$("$HS_TOP_BUILDDIR/tests/starpu_count")
diag "StarPU reports: $expected"
python3 - "$json" "$expected" "$HS_WORKERS" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
counts = sys.argv[2].split()
want = {counts[i]: int(counts[i + 1]) for i in range(0, len(counts), 2)}
fails = []
for key in ("version", "starpu_version", "features", "cuda_available", "topology", "workers",
            "memory_nodes", "bus"):
    if key not in doc:
        fails.append("missing " + key)
for key in ("cuda", "opencl", "mpi"):
    if not isinstance(doc.get("features", {}).get(key), bool):
        fails.append("features.%s is not a boolean" % key)
for key in ("packages", "numa_nodes", "cores", "pus", "memory_bytes"):
    if not isinstance(doc.get("topology", {}).get(key), int) or doc["topology"][key] <= 0:
        fails.append("topology.%s is not a positive integer" % key)
kinds = [w["kind"] for w in doc.get("workers", [])]
for w in doc.get("workers", []):
    for key in ("id", "name", "kind", "memory_node"):
        if key not in w:
            fails.append("worker without " + key)
for kind in ("cpu", "cuda", "opencl"):
    if kinds.count(kind) != want[kind]:
        fails.append("%d %s workers, StarPU says %d" % (kinds.count(kind), kind, want[kind]))
if len(doc.get("memory_nodes", [])) != want["memory_nodes"]:
    fails.append("%d memory nodes, StarPU says %d" % (len(doc["memory_nodes"]), want["memory_nodes"]))
for m in doc.get("memory_nodes", []):
    if m.get("kind") not in ("ram", "cuda", "opencl"):
        fails.append("memory node kind %r" % m.get("kind"))
if doc.get("cuda_available") != (want["cuda"] > 0):
    fails.append("cuda_available is %r with %d CUDA workers" % (doc.get("cuda_available"), want["cuda"]))
if sys.argv[3] == "opencl":
    if kinds.count("cpu") != 1 or kinds.count("opencl") != 1 or len(doc["memory_nodes"]) != 2:
        fails.append("OpenCL worker set: want 1 cpu + 1 opencl worker and 2 memory nodes, got %s and %d nodes"
                     % (kinds, len(doc["memory_nodes"])))
    if not any(b["src"] == 0 and b["dst"] == 1 and b["bandwidth_mbs"] > 0 for b in doc["bus"]):
        fails.append("no measured bus from RAM to the OpenCL node: %r" % doc["bus"])
for f in fails:
    print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "fields present and worker counts match StarPU ($HS_WORKERS workers)"
"$HETSCHED" info >"$HS_TMPDIR/info.txt" 2>&1
ok $? "info (text) exits 0"
grep -q '^CUDA available: ' "$HS_TMPDIR/info.txt"
ok $? "info says whether CUDA is available"
if [ "$HS_WORKERS" = opencl ]; then
	# The worker's name is StarPU's, from the OpenCL device name (PoCL: "basic-..." or
	# "pthread-...").
	name=$(python3 -c 'import json, sys; print([w["name"] for w in json.load(open(sys.argv[1]))["workers"] if w["kind"] == "opencl"][0])' "$json")
	case $name in *"(basic-"*) true ;; *) false ;; esac
	ok $? "POCL_DEVICES unset: the OpenCL worker is PoCL's basic device ($name)"
	POCL_DEVICES=pthread "$HETSCHED" info --json >"$HS_TMPDIR/pthread.json" 2>>"$HS_TMPDIR/err"
	name=$(python3 -c 'import json, sys; print([w["name"] for w in json.load(open(sys.argv[1]))["workers"] if w["kind"] == "opencl"][0])' "$HS_TMPDIR/pthread.json")
	case $name in *"(pthread-"*) true ;; *) false ;; esac
	ok $? "POCL_DEVICES=pthread is kept ($name)"
fi
finish
