# stream.sh: `hetsched run --input X --batch-size B --save Y` streams X through the model.
#  - Y equals numpy's forward pass (make_model.py's y_ref.npy) within float32 rounding;
#  - with the same tiles and workers, Y equals the in-memory run's output bit for bit (CPU
#    world; under ocl/ the CPU and OpenCL kernels round differently, so there within float32
#    rounding of it);
#  - --json says residency "stream" and reports the bytes moved; under ocl/, with the OpenCL
#    worker alone, at least x crossed to the device and y came back;
#  - a stream interrupted by SIGINT or SIGTERM, or whose input is truncated or rewritten while it
#    runs, exits 1 with one line and leaves neither Y nor its temporary file;
#  - (ocl/) with the device's memory limited to a quarter of x + W + y, y comes home once per
#    pass (the order of the output tiles, linear.c) and the result is right;
#  - --check with --batch-size checks rows of every batch (its first and last included) read
#    back from the files against the double-precision oracle;
#  - bad uses exit 2 with one line, before any work.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
plan 15
d=$HS_TMPDIR
"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" "$d/m" --layers 96,64,40 --batch 1000 --seed 7
ok $? "make_model.py wrote x (1000 x 96), a 96 -> 64 -> 40 model and numpy's reference"
# ReLU between the layers, as make_model.py's reference: a folder of .npy files cannot say it.
m="--input $d/m/x.npy --model $d/m/model_npy --activation relu --tile 32"

compare() { # compare A.npy B.npy TOL: max |a - b| / max |b| <= TOL
	"$PYTHON_NUMPY" - "$@" <<'PY'
import sys, numpy as np
a, b, tol = np.load(sys.argv[1]), np.load(sys.argv[2]), float(sys.argv[3])
if a.shape != b.shape:
    print("# shapes %s and %s" % (a.shape, b.shape)); sys.exit(1)
err = np.abs(a.astype(np.float64) - b).max() / np.abs(b).max()
print("# max |a - b| / max |b| = %.3g (tolerance %g)" % (err, tol))
sys.exit(0 if err <= tol else 1)
PY
}

# 1. In memory, then streamed in batches of 96 rows (a multiple of the tile: the same tasks).
"$HETSCHED" run $m --save "$d/y_mem.npy" --quiet 2>"$d/err-mem"
st=$?
"$HETSCHED" run $m --batch-size 96 --save "$d/y_stream.npy" --json >"$d/stream.json" 2>"$d/err-stream"
st2=$?
sed 's/^/# /' "$d/err-mem" "$d/err-stream"
[ $st -eq 0 ] && [ $st2 -eq 0 ]
ok $? "in-memory and streamed runs exit 0"
compare "$d/y_stream.npy" "$d/m/y_ref.npy" 1e-5
ok $? "streamed output equals numpy's forward pass within float32 rounding"
if [ "$HS_WORKERS" = cpu ]; then
	cmp "$d/y_stream.npy" "$d/y_mem.npy"
	ok $? "streamed output equals the in-memory output bit for bit (same tiles, CPU workers)"
else
	compare "$d/y_stream.npy" "$d/y_mem.npy" 1e-5
	ok $? "streamed output equals the in-memory output within float32 rounding (CPU + OpenCL)"
fi
# 2. A batch that is not a multiple of the tile, and a last batch shorter than the others.
"$HETSCHED" run $m --batch-size 333 --save "$d/y_333.npy" --quiet &&
	compare "$d/y_333.npy" "$d/m/y_ref.npy" 1e-5
ok $? "batches of 333 rows (the last of 1) equal numpy within float32 rounding"
"$PYTHON_NUMPY" - "$d/stream.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d.get("stream", {})
print("# residency %s, h2d %s, d2h %s, stream %s" % (d.get("residency"), d.get("h2d_bytes"), d.get("d2h_bytes"), s))
good = (d.get("residency") == "stream" and isinstance(d.get("h2d_bytes"), int)
        and isinstance(d.get("d2h_bytes"), int) and s.get("rows") == 1000 and s.get("batches") == 11
        and s.get("batch_rows") == 96 and d["passes"][0]["residency"] == "stream"
        and "stream" in d.get("elapsed_includes", ""))
sys.exit(0 if good else 1)
PY
ok $? "--json: residency stream, h2d_bytes, d2h_bytes, 11 batches of 96 rows"

# 2b. An output large enough (84 MB) to be written by direct writes where the file system takes
# them: batches of 3001 rows of 4000 bytes, so that batches meet inside pages (their ends go
# through the page cache). Checked row by row against the in-memory run, and by --check.
"$PYTHON_NUMPY" -c "import numpy as np; np.save('$d/x2.npy', np.random.default_rng(3).random((21000, 512), dtype=np.float32))"
"$HETSCHED" run --input "$d/x2.npy" --out 1000 --seed 3 --tile 256 --save "$d/y2_mem.npy" --quiet &&
	"$HETSCHED" run --input "$d/x2.npy" --out 1000 --seed 3 --tile 256 --batch-size 3001 --check \
		--save "$d/y2_stream.npy" --quiet &&
	"$PYTHON_NUMPY" - "$d/y2_stream.npy" "$d/y2_mem.npy" "$HS_WORKERS" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
with open(sys.argv[1], "rb") as f:
    f.read(8); hlen = int.from_bytes(f.read(2), "little")
err = np.abs(a - b).max() / np.abs(b).max()
print("# %s: header %d bytes, shape %s, max rel diff to in-memory %.3g" % (sys.argv[1], hlen + 10, a.shape, err))
sys.exit(0 if a.shape == (21000, 1000) and (np.array_equal(a, b) if sys.argv[3] == "cpu" else err <= 1e-5) else 1)
PY
ok $? "84 MB output in batches of 3001 rows (direct writes): equals the in-memory run, --check ok"
rm -f "$d"/x2.npy "$d"/y2_*.npy

# --check: rows of every batch read back from the files and put through the oracle; 11 batches
# of 96 rows (the last of 40): 23 rows each (256 / 11), the last batch's 23 of its 40.
"$HETSCHED" run $m --batch-size 96 --check --save "$d/y_chk.npy" --json >"$d/chk.json" 2>"$d/err-chk" &&
	"$PYTHON_NUMPY" - "$d/chk.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])).get("check", {})
print("# check %s" % c)
sys.exit(0 if c.get("ok") is True and c.get("method") == "rows" and c.get("checked") == 11 * 23 * 40 else 1)
PY
ok $? "--check with --batch-size: 23 rows of each of the 11 batches against the oracle, ok"

# 3. The bytes that crossed the bus: on the OpenCL worker alone, x went to it and y came back.
if [ "$HS_WORKERS" = opencl ]; then
	"$HETSCHED" run $m --batch-size 250 --ncpu 0 --nopencl 1 --opencl-on-cpu \
		--save "$d/y_ocl.npy" --json >"$d/ocl.json" 2>"$d/err-ocl" &&
		compare "$d/y_ocl.npy" "$d/m/y_ref.npy" 1e-5 &&
		"$PYTHON_NUMPY" - "$d/ocl.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
x, y = 1000 * 96 * 4, 1000 * 40 * 4
print("# OpenCL alone: h2d %d bytes (x is %d), d2h %d bytes (y is %d), tasks %s"
      % (d["h2d_bytes"], x, d["d2h_bytes"], y, d["tasks_by_kind"]))
sys.exit(0 if d["h2d_bytes"] >= x and d["d2h_bytes"] >= y and d["tasks_by_kind"]["opencl"] > 0 else 1)
PY
	ok $? "OpenCL worker alone: output right, h2d_bytes >= x's bytes, d2h_bytes >= y's bytes"
else
	ok 0 "# SKIP bytes over a bus: one memory node in the CPU world (run as ocl/stream.sh)"
fi

# 3b. (Not a stream, but the same question of what crosses the bus.) Device memory limited to a
# quarter of x + W + y (1024^2 each, 12 MiB -> 3 MiB), resident passes on the OpenCL worker
# alone: the output tiles go in an order that finishes each before its panels leave, so y comes
# home once per pass (4 MiB; submitted row after row it went back and forth 8 times: 32 MiB),
# and the result is right.
if [ "$HS_WORKERS" = opencl ]; then
	STARPU_LIMIT_OPENCL_MEM=3 "$HETSCHED" run --batch 1024 --in 1024 --out 1024 --tile 128 \
		--ncpu 0 --nopencl 1 --opencl-on-cpu --repeat 2 --check --json >"$d/lim.json" 2>"$d/err-lim" &&
		"$PYTHON_NUMPY" - "$d/lim.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["passes"][-1]
print("# limited memory, 2nd pass: h2d %d, d2h %d bytes (y is %d), check %s" % (p["h2d_bytes"], p["d2h_bytes"], 1024 * 1024 * 4, d["check"]["ok"]))
sys.exit(0 if d["check"]["ok"] and p["d2h_bytes"] <= 1.1 * 1024 * 1024 * 4 else 1)
PY
	ok $? "device memory limited to a quarter: y comes home once per pass, result right"
else
	ok 0 "# SKIP limited device memory: no device in the CPU world (run as ocl/stream.sh)"
fi

# 4. Interrupted: no output, no temporary file. A long stream: 60000 x 256 through two hidden
# layers of 1024 (random model), batches of 1000.
"$PYTHON_NUMPY" -c "import numpy as np; np.save('$d/big.npy', np.random.default_rng(1).random((60000, 256), dtype=np.float32))"
long="--input $d/big.npy --hidden 1024,1024 --out 256 --batch-size 1000 --tile 256"
for sig in INT TERM; do
	rm -f "$d/y_sig.npy"*
	"$HETSCHED" run $long --save "$d/y_sig.npy" --quiet 2>"$d/err-$sig" &
	pid=$!
	i=0
	while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null && ! ls "$d"/y_sig.npy.tmp* >/dev/null 2>&1; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.3
	kill -$sig $pid
	wait_bounded $pid 60
	st=$?
	diag "SIG$sig: exit $st; $(cat "$d/err-$sig"); left: $(ls "$d" | grep y_sig || echo nothing)"
	[ $st -eq 1 ] && [ ! -e "$d/y_sig.npy" ] && ! ls "$d"/y_sig.npy.tmp* >/dev/null 2>&1 &&
		grep -q interrupted "$d/err-$sig" && [ "$(wc -l <"$d/err-$sig")" -eq 1 ]
	ok $? "SIG$sig during a stream: exit 1, one line, no output and no temporary file"
done

# 5. The input changes under the stream: truncated (SIGBUS or the check before a batch), then
# rewritten in place (same size, new modification time).
for change in truncate touch; do
	cp "$d/big.npy" "$d/in-$change.npy"
	rm -f "$d/y_chg.npy"*
	"$HETSCHED" run ${long/$d\/big.npy/$d/in-$change.npy} --save "$d/y_chg.npy" --quiet 2>"$d/err-$change" &
	pid=$!
	i=0
	while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null && ! ls "$d"/y_chg.npy.tmp* >/dev/null 2>&1; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.3
	if [ $change = truncate ]; then
		"$PYTHON_NUMPY" -c "import os; os.truncate('$d/in-$change.npy', 4096)"
		want='truncat|shrank'
	else
		"$PYTHON_NUMPY" -c "import os, time; t = time.time() + 5; os.utime('$d/in-$change.npy', (t, t))"
		want='changed'
	fi
	wait_bounded $pid 60
	st=$?
	diag "$change: exit $st; $(cat "$d/err-$change"); left: $(ls "$d" | grep y_chg || echo nothing)"
	[ $st -eq 1 ] && [ ! -e "$d/y_chg.npy" ] && ! ls "$d"/y_chg.npy.tmp* >/dev/null 2>&1 &&
		grep -q -E "$want" "$d/err-$change" && [ "$(wc -l <"$d/err-$change")" -eq 1 ]
	ok $? "input changed ($change) during the stream: exit 1, one line naming it, no output"
done

# 6. Bad uses: exit 2, one line, nothing written.
bad() { # bad REGEX ARGS...: exit 2 and one line matching REGEX
	want=$1
	shift
	"$HETSCHED" run "$@" >"$d/out-bad" 2>"$d/err-bad"
	st=$?
	diag "$* -> exit $st: $(cat "$d/err-bad")"
	[ $st -eq 2 ] && [ "$(wc -l <"$d/err-bad")" -eq 1 ] && grep -q -E "$want" "$d/err-bad" &&
		[ ! -s "$d/out-bad" ]
}
head -c 5000 "$d/m/x.npy" >"$d/trunc.npy"
bad 'give both' --batch-size 10 --save "$d/y_bad.npy" &&
	bad 'give both' --input "$d/m/x.npy" --batch-size 10 &&
	bad 'batch-size must be' --input "$d/m/x.npy" --batch-size 0 --save "$d/y_bad.npy" &&
	bad 'repeat' $m --batch-size 10 --repeat 2 --save "$d/y_bad.npy" &&
	bad 'being streamed' $m --batch-size 10 --save "$d/m/x.npy" &&
	bad 'softmax' --input "$d/m/x.npy" --model "$d/m/model_npy" --activation relu,softmax \
		--batch-size 10 --save "$d/y_bad.npy" &&
	bad 'truncated' --input "$d/trunc.npy" --model "$d/m/model_npy" --activation relu \
		--batch-size 10 --save "$d/y_bad.npy" &&
	[ ! -e "$d/y_bad.npy" ]
ok $? "bad uses of --batch-size: exit 2, one line, nothing written"
finish
