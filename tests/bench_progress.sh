# bench_progress.sh: `hetsched bench` reports progress on stderr: one plain line per
# configuration (calibrated, then timed) when stderr is not a terminal (no carriage return, no
# ETA); a line rewritten in place ("\r", runs done/total, ETA) when stderr is a terminal (a
# pseudo-terminal here); and nothing at all with --quiet, terminal or not. stdout carries the
# CSV in every case.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 4
d=$HS_TMPDIR
args="--sched eager,dmda --sizes 64,96 --tiles 32 --repeat 2"

# shellcheck disable=SC2086
"$HETSCHED" bench $args >"$d/plain.csv" 2>"$d/plain.err"
rc=$?
python3 - "$d/plain.err" "$d/plain.csv" <<'PY'
import re, sys
err, out = open(sys.argv[1], "rb").read(), open(sys.argv[2]).read()
lines = err.decode().splitlines()
fails = []
if b"\r" in err or b"ETA" in err or b"\x1b" in err: fails.append("progress-line bytes in %r" % err[:200])
want = ["[%d/4] %s n=%d tile=32:" % (i + 1, s, n) for i, (s, n) in
        enumerate([("eager", 64), ("eager", 96), ("dmda", 64), ("dmda", 96)])]
# dmda schedules from performance models: a calibration phase comes first, one line per size.
calib = ["calibration n=64 tile=32:", "calibration n=96 tile=32:"]
if len(lines) != 6 or any(w not in l for w, l in zip(calib + want, lines)):
    fails.append("want one line per configuration %r, got %r" % (calib + want, lines))
if not out.startswith("timestamp,") or len(out.splitlines()) != 1 + 8:
    fails.append("stdout is not the CSV: %r" % out[:200])
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
st=$?
[ $rc -eq 0 ] && [ $st -eq 0 ]
ok $? "stderr not a terminal: one plain line per configuration, no carriage return, no ETA (exit $rc)"

# run_pty ERR OUT ARGS...: run hetsched with stderr on a pseudo-terminal, and save what the
# terminal received in ERR and stdout in OUT.
run_pty() {
	python3 - "$@" <<'PY'
import os, pty, subprocess, sys
err_path, out_path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
with open(out_path, "w") as out:
    p = subprocess.Popen([os.environ["HETSCHED"], "bench"] + args, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the other side is closed
        break
    if not chunk:
        break
    data += chunk
open(err_path, "wb").write(data)
sys.exit(p.wait())
PY
}

# shellcheck disable=SC2086
run_pty "$d/tty.err" "$d/tty.csv" $args
rc=$?
python3 - "$d/tty.err" "$d/tty.csv" <<'PY'
import re, sys
err, out = open(sys.argv[1], "rb").read(), open(sys.argv[2]).read()
fails = []
if b"\r" not in err or b"ETA" not in err: fails.append("no \\r or no ETA in %r" % err[:300])
updates = re.findall(rb"\r\[(\d+)/(\d+) runs\] ([^\r]*?)ETA ", err)
if len(updates) < 8: fails.append("%d progress updates" % len(updates))
if updates and {int(t) for _, t, _ in updates} != {8}: fails.append("totals %r" % {t for _, t, _ in updates})
done = [int(n) for n, _, _ in updates]
if done != sorted(done) or (done and max(done) < 7): fails.append("runs done %r" % done)
if not any(b"dmda n=96 tile=32" in u for _, _, u in updates): fails.append("no current configuration shown")
if not err.endswith(b"\r\x1b[K"): fails.append("the progress line is not cleared at the end: %r" % err[-40:])
if not out.startswith("timestamp,") or len(out.splitlines()) != 1 + 8: fails.append("stdout %r" % out[:200])
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
st=$?
[ $rc -eq 0 ] && [ $st -eq 0 ]
ok $? "stderr a terminal: a progress line rewritten in place (carriage returns) with runs done/total and ETA (exit $rc)"

# shellcheck disable=SC2086
run_pty "$d/quiet-tty.err" "$d/quiet-tty.csv" $args --quiet
rc=$?
[ $rc -eq 0 ] && [ ! -s "$d/quiet-tty.err" ] && [ "$(wc -l <"$d/quiet-tty.csv")" -eq 9 ]
ok $? "--quiet on a terminal: nothing on stderr (exit $rc, $(wc -c <"$d/quiet-tty.err") bytes)"

# shellcheck disable=SC2086
"$HETSCHED" bench $args --quiet >"$d/quiet.csv" 2>"$d/quiet.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$d/quiet.err" ] && [ "$(wc -l <"$d/quiet.csv")" -eq 9 ]
ok $? "--quiet, not a terminal: nothing on stderr (exit $rc)"
finish
