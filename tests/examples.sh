# examples.sh: the numbered examples build and run, and say what they should: 01's y equals
# x W^T + b recomputed here from the values it printed (and x is in [0, 1), W and b within
# +-1/sqrt(3)), and its device line names the kinds of worker that ran its tasks; 02 names a
# worker for each of its 16 output tiles and 64 tasks in all; 03 prints three rows of 10 outputs
# with their class. policy_study.sh --help prints its own usage and runs nothing.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 5
ex=$HS_TOP_BUILDDIR/tests
"$ex/01_seed_walkthrough" >"$HS_TMPDIR/01.out" 2>&1
ok $? "01_seed_walkthrough runs"
python3 - "$HS_TMPDIR/01.out" "$HS_WORKERS" <<'PY'
import re, sys, math
text = open(sys.argv[1]).read()
print("# " + text.replace("\n", "\n# "))
def matrix(name):
    line = re.search(r"^%s = (.*)$" % name, text, re.M).group(1)
    return [[float(v) for v in row.split(",")] for row in re.findall(r"\[([^\]]*)\]", line)]
x, w, b, y = matrix("x"), matrix("weight"), matrix("bias")[0], matrix("y")
fails = []
# The device line names the kinds of worker that ran tasks, and only those (on the OpenCL world
# the tasks may all run on the OpenCL device: then it must not say cpu).
using = re.search(r"^Using (\S+(?: \+ \S+)*) device \(tasks: cpu (\d+), cuda (\d+), opencl (\d+)\)$", text, re.M)
if not using:
    fails.append("no 'Using <kinds> device (tasks: cpu N, cuda N, opencl N)' line")
else:
    counts = dict(zip(("cpu", "cuda", "opencl"), map(int, using.groups()[1:])))
    ran = [k for k in ("cpu", "cuda", "opencl") if counts[k] > 0]
    if using.group(1).split(" + ") != ran or not ran:
        fails.append("'Using %s device' but tasks ran on %r" % (using.group(1), ran))
    if sys.argv[2] == "cpu" and ran != ["cpu"]:
        fails.append("CPU-only world, but %r" % ran)
bound = 1 / math.sqrt(3)
if not all(0 <= v < 1 for row in x for v in row): fails.append("x not in [0, 1)")
if not all(-bound <= v < bound for row in w for v in row) or not all(-bound <= v < bound for v in b):
    fails.append("weights not within 1/sqrt(3)")
for i in range(3):
    for j in range(3):
        ref = sum(x[i][k] * w[j][k] for k in range(3)) + b[j]
        if abs(y[i][j] - ref) > 1e-6 * max(1, abs(ref)):
            fails.append("y[%d][%d] = %r, expected %r" % (i, j, y[i][j], ref))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "01: y = x W^T + b, recomputed from the printed values"
"$ex/02_tiles_everywhere" >"$HS_TMPDIR/02.out" 2>&1 && python3 - "$HS_TMPDIR/02.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
print("# " + text.replace("\n", "\n# "))
grid = [l.split() for l in text.splitlines() if re.fullmatch(r"(\s+\d+){4}", l)]
tasks = [int(n) for n in re.findall(r": (\d+) tasks", text)]
ok = len(grid) == 4 and all(0 <= int(v) < len(tasks) for row in grid for v in row) and sum(tasks) == 64
sys.exit(0 if ok else 1)
PY
ok $? "02: a worker for each of the 16 output tiles, 64 tasks in all"
"$ex/03_mlp" >"$HS_TMPDIR/03.out" 2>&1 && cat "$HS_TMPDIR/03.out" | sed 's/^/# /' &&
	[ "$(grep -cE '^row [0-2]:( -?[0-9.]+){10}  -> class [0-9]$' "$HS_TMPDIR/03.out")" = 3 ]
ok $? "03: three rows of 10 outputs with their class"
# policy_study.sh --help: its own usage, no study, no folder, no claim of a report.
STUDY_DIR=$HS_TMPDIR/study HETSCHED=$HETSCHED sh "$HS_TOP_SRCDIR/examples/policy_study.sh" --help \
	>"$HS_TMPDIR/ps.out" 2>&1
rc=$?
[ $rc = 0 ] && head -n 1 "$HS_TMPDIR/ps.out" | grep -q '^usage: .*policy_study.sh \[--simulate NODE.tar.gz\] \[hetsched bench options' &&
	! grep -q '^policy study:\|^  report:' "$HS_TMPDIR/ps.out" && [ ! -e "$HS_TMPDIR/study" ]
ok $? "policy_study.sh --help: exit $rc, its usage ($(head -n 1 "$HS_TMPDIR/ps.out")), no folder, no report claimed"
finish
