# export_bundle.sh: `hetsched calibrate --export NODE.tar.gz` writes the node's bundle: node.json
# (format, versions, footprint scheme, workers, per-task overhead of each kind that ran tasks),
# the models of this host and StarPU's bus files, under hetsched-node/; an export path that
# cannot be written is refused before StarPU starts (exit 2). In a simulation build calibrate
# refuses (exit 2): a simulation takes its models from a bundle.
. "$HS_TOP_SRCDIR/tests/tap.sh"
d=$HS_TMPDIR
if grep -q 'define HETSCHED_HAVE_SIMGRID 1' "$HS_TOP_BUILDDIR/include/hetsched_features.h"; then
	plan 1
	"$HETSCHED" calibrate --export "$d/n.tar.gz" >"$d/out" 2>"$d/err"
	st=$?
	[ $st -eq 2 ] && grep -q 'measures a real node' "$d/err"
	ok $? "calibrate refuses in a simulation build (exit $st)"
	finish
fi
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
plan 4
"$HETSCHED" calibrate --sizes 256 --tile 128 --quiet --export "$d/node.tar.gz" >"$d/out" 2>"$d/err"
ok $? "calibrate --export exits 0 $(tail -n 1 "$d/err")"
tar -tzf "$d/node.tar.gz" >"$d/list" 2>/dev/null
host=$(sed -n 's|^hetsched-node/codelets/45/hetsched_linear\.||p' "$d/list")
grep -qx 'hetsched-node/node.json' "$d/list" && [ -n "$host" ] &&
	grep -qx "hetsched-node/codelets/45/hetsched_rand.$host" "$d/list" &&
	grep -qx "hetsched-node/bus/$host.bandwidth" "$d/list" &&
	grep -qx "hetsched-node/bus/$host.platform.v4.xml" "$d/list"
ok $? "the bundle holds node.json, both models and the bus files of host '$host'"
tar -xzf "$d/node.tar.gz" -C "$d" hetsched-node/node.json
python3 - "$d/hetsched-node/node.json" "$("$HETSCHED" --version)" <<'PY'
import json, re, sys
n = json.load(open(sys.argv[1]))
hs, sp = re.match(r"hetsched (\S+) \(StarPU (\S+)\)", sys.argv[2]).groups()
ok = (n["format"] == "hetsched-node 1" and n["hetsched_version"] == hs and n["starpu_version"] == sp
      and n["footprint_scheme"].startswith("hetsched-fp1:") and n["cpu_workers"] >= 1
      and isinstance(n["overhead_us"]["cpu"], float) and 0 <= n["overhead_us"]["cpu"] < 1e5)
print("# cpu overhead %s us, %d cpu workers" % (n["overhead_us"].get("cpu"), n["cpu_workers"]))
sys.exit(0 if ok else 1)
PY
ok $? "node.json: format, versions, footprint scheme, workers and the CPU's per-task overhead"
"$HETSCHED" calibrate --sizes 256 --export "$d/no/such/folder/n.tar.gz" >"$d/out" 2>"$d/err"
st=$?
[ $st -eq 2 ] && [ ! -e "$d/no" ]
ok $? "an export path that cannot be written is refused (exit $st: $(head -n 1 "$d/err"))"
finish
