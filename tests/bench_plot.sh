# bench_plot.sh: `hetsched bench --plot DIR --trace-dir T` leaves valid PNG charts of the
# documented sizes (gflops.png, share.png, one Gantt chart per traced configuration), one Chrome
# trace per configuration, and an index.html that is self-contained (no network, no external
# CSS or JS; every src/href a local file that exists) and names, for each size, the policy with
# the best median GFLOP/s of the CSV. `--plot FILE.png` writes that one GFLOP/s chart alone,
# `--plot FILE.svg` the same as SVG.
. "$HS_TOP_SRCDIR/tests/tap.sh"
command -v gnuplot >/dev/null 2>&1 || skip_all "no gnuplot"
plan 9
d=$HS_TMPDIR

"$HETSCHED" bench --sched eager,dmda --sizes 64,128 --tiles 32,64 --repeat 2 --csv "$d/out.csv" \
	--plot "$d/plots" --trace-dir "$d/traces" --quiet >"$d/stdout" 2>"$d/stderr"
ok $? "bench --plot --trace-dir exits 0 $(cat "$d/stderr")"

python3 - "$d/plots" "$d/out.csv" <<'PY'
import csv, glob, os, struct, sys
plots, rows = sys.argv[1], list(csv.DictReader(open(sys.argv[2])))
nworkers = int(rows[0]["ncpu"]) + int(rows[0]["ncuda"]) + int(rows[0]["nopencl"])
configs = sorted({(r["sched"], r["batch"], r["tile"]) for r in rows})
scheds = sorted({r["sched"] for r in rows}); sizes = sorted({r["batch"] for r in rows})
bars = len(scheds) * len(sizes) + len(sizes)
# The documented sizes: gflops.png 1000 x 620 (1600 wide above 16 policies); share.png
# 26 px per bar + 260, within [960, 4000], x 620; Gantt charts 1200 x max(320, 170 + 46 per worker).
want = {"gflops.png": (1000, 620), "share.png": (min(4000, max(960, 26 * bars + 260)), 620)}
for s, n, t in configs:
    want["gantt-%s-n%s-t%s.png" % (s, n, t)] = (1200, max(320, 170 + 46 * nworkers))
fails = []
for name, (w, h) in sorted(want.items()):
    path = os.path.join(plots, name)
    if not os.path.isfile(path):
        fails.append("missing " + name); continue
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        fails.append("%s: not a PNG" % name); continue
    got = struct.unpack(">II", data[16:24])
    if got != (w, h): fails.append("%s: %dx%d, want %dx%d" % ((name,) + got + (w, h)))
    if len(data) < 4000: fails.append("%s: only %d bytes" % (name, len(data)))
extra = set(os.listdir(plots)) - set(want) - {"index.html"}
if extra: fails.append("unexpected files %r" % sorted(extra))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "gflops.png, share.png and one Gantt chart per configuration: PNG, sizes as documented"

python3 - "$d/traces" "$d/out.csv" <<'PY'
import csv, json, os, sys
rows = list(csv.DictReader(open(sys.argv[2])))
fails = []
for s, n, t in sorted({(r["sched"], r["batch"], r["tile"]) for r in rows}):
    path = os.path.join(sys.argv[1], "trace-%s-n%s-t%s.json" % (s, n, t))
    try:
        events = json.load(open(path))["traceEvents"]
    except Exception as e:
        fails.append("%s: %s" % (path, e)); continue
    last = [r for r in rows if (r["sched"], r["batch"], r["tile"]) == (s, n, t)][-1]
    tasks = sum(int(last["tasks_" + k]) for k in ("cpu", "cuda", "opencl"))
    slices = [e for e in events if e.get("ph") == "X"]
    if len(slices) != tasks: fails.append("%s: %d slices, %d tasks in the CSV" % (path, len(slices), tasks))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "one Chrome trace per configuration, its slices = the last pass's tasks"

python3 - "$d/plots" <<'PY'
import html.parser, os, sys
plots = sys.argv[1]
text = open(os.path.join(plots, "index.html")).read()
refs, tags = [], []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "data", "action", "srcset", "poster"): refs.append(v or "")
P().feed(text)
fails = []
for bad in ("http:", "https:", "//", "@import", "url("):
    if bad in text: fails.append("index.html contains %r" % bad)
if "script" in tags or "link" in tags or "iframe" in tags: fails.append("tags %r" % sorted(set(tags)))
for r in refs:
    if ":" in r or r.startswith("/") or ".." in r or not os.path.isfile(os.path.join(plots, r)):
        fails.append("reference %r is not a local file of the folder" % r)
for png in [f for f in os.listdir(plots) if f.endswith(".png")]:
    if png not in refs: fails.append("%s is not shown" % png)
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "index.html: self-contained, every reference a local file that exists, every chart shown"

# The best policy per shape in index.html is the one with the best median GFLOP/s in the CSV,
# shown with its spread (min-max of its passes); when the next best policy's spread overlaps
# it, the row says "tie: best, next" instead.
python3 - "$d/plots/index.html" "$d/out.csv" <<'PY'
import csv, re, statistics, sys
text, rows = open(sys.argv[1]).read(), list(csv.DictReader(open(sys.argv[2])))
runs = {}
for r in rows: runs.setdefault((r["batch"], r["sched"], r["tile"]), []).append(float(r["gflops"]))
fails = []
for n in sorted({r["batch"] for r in rows}, key=int):
    conf = sorted(((statistics.median(v), s, t, min(v), max(v)) for (b, s, t), v in runs.items() if b == n), reverse=True)
    best = conf[0]
    others = [c for c in conf if c[1] != best[1]]
    second = others[0] if others else None
    tie = second is not None and second[4] >= best[3]
    want = "tie: %s, %s" % (best[1], second[1]) if tie else best[1]
    row = re.search(r'<tr><td>%s</td><td class="l">([^<]*)</td><td>(\d+)</td><td>[0-9.]+</td><td>([0-9.]+)&ndash;([0-9.]+)</td>' % n, text)
    if not row or (row.group(1), row.group(2)) != (want, best[2]) or \
            abs(float(row.group(3)) - best[3]) > 0.006 or abs(float(row.group(4)) - best[4]) > 0.006:
        fails.append("N=%s: index.html says %r, the CSV %r (tie %s)" % (n, row and row.groups(), best, tie))
    else:
        print("# N=%s: %s, spread %s-%s" % (n, row.group(1), row.group(3), row.group(4)))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "best policy per shape: the CSV's best median, its spread, and a tie when the next best's spread overlaps"

# Timed under dmda with its models left uncalibrated (one tile per pass, one warm-up pass at
# most, a model folder of its own): the report says so before naming a best policy.
mkdir -p "$d/fresh-home"
STARPU_HOME=$d/fresh-home "$HETSCHED" bench --sched eager,dmda --sizes 64 --tiles 64 --repeat 2 --warmup 1 --max-warmup 1 \
	--csv "$d/uncal.csv" --plot "$d/uncal" >/dev/null 2>"$d/uncal.err"
rc=$?
[ $rc = 0 ] && grep -q '<p class="warn">Warning: StarPU.s performance models were not calibrated for 1 of the 1 configurations timed under a policy that uses them' "$d/uncal/index.html"
ok $? "uncalibrated dmda: exit $rc, index.html carries the calibration warning ($(grep -o 'class="warn">[^<]*' "$d/uncal/index.html" | head -c 120))"

# --plot FILE.png: the GFLOP/s chart alone, under that name; a missing folder is refused.
mkdir -p "$d/one"
"$HETSCHED" bench --sched eager --sizes 64 --tiles 32 --repeat 2 --csv "$d/one.csv" \
	--plot "$d/one/study.png" >"$d/stdout" 2>"$d/stderr"
rc=$?
python3 - "$d/one" <<'PY'
import os, struct, sys
files = os.listdir(sys.argv[1])
data = open(os.path.join(sys.argv[1], "study.png"), "rb").read() if "study.png" in files else b""
ok = files == ["study.png"] and data[:8] == b"\x89PNG\r\n\x1a\n" and \
    struct.unpack(">II", data[16:24]) == (1000, 620)
print("# files %r, %d bytes" % (files, len(data)))
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] && [ $rc -eq 0 ] && grep -q "^plot: $d/one/study.png" "$d/stdout"
ok $? "--plot FILE.png: exit $rc, that PNG (1000 x 620) alone, named in the summary"
# --plot FILE.svg: an SVG document (gnuplot's svg terminal), 1000 x 620, not a folder.
mkdir -p "$d/svg"
"$HETSCHED" bench --sched eager --sizes 64 --tiles 32 --repeat 2 --csv "$d/svg.csv" \
	--plot "$d/svg/out.svg" >"$d/stdout" 2>"$d/stderr"
rc=$?
python3 - "$d/svg" <<'PY'
import os, sys, xml.etree.ElementTree as ET
files = os.listdir(sys.argv[1])
path = os.path.join(sys.argv[1], "out.svg")
root = ET.parse(path).getroot() if os.path.isfile(path) else None
ok = files == ["out.svg"] and root is not None and root.tag == "{http://www.w3.org/2000/svg}svg" \
    and root.get("width", "").startswith("1000") and root.get("height", "").startswith("620")
print("# files %r, root %r" % (files, None if root is None else (root.tag, root.get("width"), root.get("height"))))
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] && [ $rc -eq 0 ] && grep -q "^plot: $d/svg/out.svg" "$d/stdout"
ok $? "--plot FILE.svg: exit $rc, an SVG document (1000 x 620) of that name, not a folder"
"$HETSCHED" bench --sched eager --sizes 64 --tiles 32 --repeat 2 --plot "$d/none/study.png" \
	>"$d/stdout" 2>"$d/stderr"
rc=$?
[ $rc -eq 2 ] && [ "$(grep -c . "$d/stderr")" -eq 1 ] && grep -q 'none' "$d/stderr" && [ ! -e "$d/none" ]
ok $? "--plot in a missing folder: exit $rc, one line: $(cat "$d/stderr")"
finish
