# calibrate.sh: `hetsched calibrate` leaves, in $STARPU_HOME, history-based models of
# hetsched_linear and hetsched_rand in which every recorded task shape has at least the 10
# samples StarPU needs, for every kind of worker present (under ocl/: CPU and OpenCL); and
# that StarPU's history decides, not the tasks one call ran: shapes calibrated before count, and
# shapes of other runs that hold few samples do not hold it back.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 5
"$HETSCHED" calibrate --sizes 512 --tile 128 >"$HS_TMPDIR/out" 2>"$HS_TMPDIR/err"
rc=$?
sed 's/^/# /' "$HS_TMPDIR/out"
[ $rc -eq 0 ] && grep -q 'size 512, tile 128: calibrated' "$HS_TMPDIR/out"
ok $? "calibrate exits 0 and says calibrated"
python3 - "$STARPU_HOME" "$HS_WORKERS" <<'PY'
import glob, os, re, sys
home, world = sys.argv[1], sys.argv[2]
fails = []
for symbol in ("hetsched_linear", "hetsched_rand"):
    files = glob.glob(os.path.join(home, ".starpu", "sampling", "codelets", "*", symbol + ".*"))
    if not files:
        fails.append("no model file for " + symbol); continue
    text = open(files[0]).read()
    archs = {}
    for m in re.finditer(r"# Model for (\w+?)\d*_impl0.*?# hash[^\n]*\n((?:[0-9a-f]{8}\s[^\n]*\n)*)", text, re.S):
        counts = [int(line.split()[-1]) for line in m.group(2).strip().splitlines()]
        if counts: archs[m.group(1)] = min(counts)
    want = {"cpu", "opencl"} if world == "opencl" else {"cpu"}
    print("# %s: fewest samples per arch %r" % (symbol, archs))
    if symbol == "hetsched_linear":
        for arch in want:
            if archs.get(arch, 0) < 10:
                fails.append("%s on %s: %r samples" % (symbol, arch, archs.get(arch)))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "hetsched_linear has >= 10 samples per task shape on every kind of worker"
# A run of 300 with tiles of 128 leaves shapes of 44 (the edge tiles) with a sample or two. The
# tiles of 128 are calibrated above, so a second size with them needs no pass beyond the first:
# dm* policies send a calibrated shape to the fastest kind only, so a call that counted its own
# tasks on every kind waited for samples that never came, and one that took the fewest samples
# of every shape in the model waited for the edge shapes (both: 40 passes, exit 1).
"$HETSCHED" run --batch 300 --in 300 --out 300 --tile 128 --quiet >/dev/null 2>"$HS_TMPDIR/err_run"
rc=$?
[ $rc -eq 0 ] || head -n 20 "$HS_TMPDIR/err_run" | sed 's/^/# run: /'
"$HETSCHED" calibrate --sizes 1024 --tile 128 >"$HS_TMPDIR/out2" 2>"$HS_TMPDIR/err2"
rc2=$?
sed 's/^/# /' "$HS_TMPDIR/out2"
tail -n 2 "$HS_TMPDIR/err2" | sed 's/^/# /'
[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && grep -q 'size 1024, tile 128: calibrated' "$HS_TMPDIR/out2"
ok $? "after a run with edge tiles, calibrate of another size exits 0 (run $rc, calibrate $rc2)"
grep -q 'size 1024, tile 128: calibrated after 1 pass ' "$HS_TMPDIR/out2"
ok $? "shapes calibrated by the first call count: one pass"
"$HETSCHED" calibrate --sizes 512,,3 >/dev/null 2>"$HS_TMPDIR/err"
[ $? -eq 2 ] && [ "$(wc -l <"$HS_TMPDIR/err")" -eq 1 ]
ok $? "a malformed --sizes exits 2: $(cat "$HS_TMPDIR/err")"
finish
