# slurm.sh: the SLURM scripts of examples/slurm/ on a real one-node SLURM cluster (munged,
# slurmctld, slurmd from Debian's slurm-wlm and munge, on loopback, started and stopped here; see
# slurm-cluster.sh), with small problems: every job exits 0 and logs the SLURM_*, STARPU_* and
# HETSCHED_* variables it ran with; --gres sets CUDA_VISIBLE_DEVICES; single-node.sbatch writes a
# checked run.json and files its performance models on the shared folder under its node type;
# multi-node.sbatch, with srun --mpi=pmix and with mpirun, runs one 2-rank hetsched (one JSON
# report from rank 0 listing both ranks, each with tasks); policy-study.sbatch's array writes one
# CSV per policy and merge-csv.sh, as a dependent job, merges them under one header. The scripts
# also refuse what they cannot do (exit 2, no partial output), a rank that fails ends its job at
# once (srun --kill-on-bad-exit), and every daemon is stopped.
# Skipped only when slurm-wlm and munge are missing and cannot be installed, or without root.
. "$HS_TOP_SRCDIR/tests/tap.sh"
. "$HS_TOP_SRCDIR/tests/slurm-cluster.sh"
d=$HS_TMPDIR
ex=$HS_TOP_SRCDIR/examples/slurm
[ "$(id -u)" = 0 ] || skip_all "slurmd must run as root"
hs_cluster_packages
# On any exit: the job clients started here (sbatch --wait), then the daemons, by PID.
clients=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for pid in $clients; do kill "$pid" 2>/dev/null; done
	hs_cluster_stop
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
plan 19
t_start=$(date +%s)

# As in a release tarball unpacked as root (tar then keeps the archive's group-writable
# folders): munged must not see this folder above its state.
chmod g+w,o-t "$d"
hs_cluster_start "$d/cluster"
ok $? "munged, slurmctld and slurmd up, node localhost idle with gpu:2 (PIDs$hs_cluster_pids)"
if [ $tap_failed = 1 ]; then
	echo "Bail out! no SLURM cluster"
	exit 1
fi

# The jobs: small problems, the build's hetsched, shared storage in the test folder. Everything
# is submitted at once; the scheduler runs them one after the other (they want the whole node).
mkdir -p "$d/jobs" "$d/shared" && cd "$d/jobs" || exit 1
export HETSCHED_SHARED_DIR="$d/shared"
unset HETSCHED_OUTDIR HETSCHED_RUN_ARGS HETSCHED_BENCH_ARGS HETSCHED_POLICIES HETSCHED_LAUNCHER \
	STARPU_HOSTNAME STARPU_PERF_MODEL_DIR CUDA_VISIBLE_DEVICES
run_args="--batch 256 --in 192 --out 160 --hidden 96 --tile 64"

HETSCHED_OUTDIR=$d/single HETSCHED_RUN_ARGS=$run_args \
	sbatch --wait --quiet --gres=gpu:2 --output="$d/single.out" "$ex/single-node.sbatch" &
pid_single=$!
clients="$clients $pid_single"
# Two ranks on the one node (the script asks for 2 nodes), one CPU worker each.
STARPU_NCPU=1 HETSCHED_OUTDIR=$d/srun HETSCHED_RUN_ARGS=$run_args \
	sbatch --wait --quiet --nodes=1 --ntasks-per-node=2 --gres=gpu:2 --output="$d/srun.out" \
	"$ex/multi-node.sbatch" &
pid_srun=$!
clients="$clients $pid_srun"
STARPU_NCPU=1 HETSCHED_OUTDIR=$d/mpirun HETSCHED_RUN_ARGS=$run_args HETSCHED_LAUNCHER=mpirun \
	HETSCHED_MPIRUN_ARGS="--oversubscribe --mca btl self,vader --mca oob_tcp_if_include lo" \
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
	sbatch --wait --quiet --nodes=1 --ntasks-per-node=2 --gres=gpu:2 --output="$d/mpirun.out" \
	"$ex/multi-node.sbatch" &
pid_mpirun=$!
clients="$clients $pid_mpirun"
# A rank that fails (rank 1's hetsched run exits 3 at once) ends the step: rank 0, waiting for it
# in MPI_Init, is stopped, and the job ends with the failure instead of at its time limit (2 min).
cat >"$d/fail-rank1" <<EOF
#!/bin/sh
[ "\${SLURM_PROCID:-0}" = 1 ] && [ "\$1" = run ] && { echo "rank 1: failing on purpose" >&2; exit 3; }
exec "$HETSCHED" "\$@"
EOF
chmod +x "$d/fail-rank1"
STARPU_NCPU=1 HETSCHED=$d/fail-rank1 HETSCHED_OUTDIR=$d/failrank HETSCHED_RUN_ARGS=$run_args \
	sbatch --wait --quiet --nodes=1 --ntasks-per-node=2 --gres=gpu:2 --time=2 \
	--output="$d/failrank.out" "$ex/multi-node.sbatch" &
pid_failrank=$!
clients="$clients $pid_failrank"
# The policy study: two policies, one GPU each and the node shared (--oversubscribe overrides the
# script's --exclusive), so that each task has a GPU of its own; then the merge, after them.
array_id=$(HETSCHED_OUTDIR=$d/study HETSCHED_POLICIES=eager,dmda \
	HETSCHED_BENCH_ARGS="--sizes 64,96 --tiles 32 --repeat 2" \
	sbatch --parsable --array=0-1 --oversubscribe --gres=gpu:1 --output="$d/study-%a.out" \
	"$ex/policy-study.sbatch")
array_id=${array_id%%;*}
sbatch --wait --quiet --dependency="afterok:$array_id" --output="$d/merge.out" \
	"$ex/merge-csv.sh" "$d/study" &
pid_merge=$!
clients="$clients $pid_merge"
# srun --mpi=pmix itself: one MPI world of two ranks (independent of hetsched's own MPI).
pid_pmix=
if command -v mpicc >/dev/null 2>&1; then
	cat >"$d/mpi_size.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	int rank, size;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	printf("rank %d of %d\n", rank, size);
	MPI_Finalize();
	return 0;
}
EOF
	if mpicc -o "$d/mpi_size" "$d/mpi_size.c" 2>"$d/mpicc.err"; then
		sbatch --wait --quiet --ntasks=2 --output="$d/pmix.out" \
			--wrap "srun --mpi=pmix --cpu-bind=none $d/mpi_size" &
		pid_pmix=$!
		clients="$clients $pid_pmix"
	fi
fi

# The clients return when their jobs end. A job that cannot run (a request the node cannot meet)
# would keep its client waiting: after 240 s, say why and cancel everything.
deadline=$(($(date +%s) + 240))
while :; do
	running=
	for pid in $clients; do kill -0 "$pid" 2>/dev/null && running="$running $pid"; done
	[ -z "$running" ] && break
	if [ "$(date +%s)" -ge $deadline ]; then
		diag "jobs still waiting after 240 s:"
		squeue -o '%i %j %T %r' | sed 's/^/# /'
		scancel --user="$(id -un)"
		break
	fi
	sleep 0.2
done
wait $pid_single; rc_single=$?
wait $pid_srun; rc_srun=$?
wait $pid_mpirun; rc_mpirun=$?
wait $pid_merge; rc_merge=$?
wait $pid_failrank; rc_failrank=$?
rc_pmix=skip
[ -n "$pid_pmix" ] && { wait "$pid_pmix"; rc_pmix=$?; }
clients=
diag "all jobs done after $(($(date +%s) - t_start)) s"
for f in single srun mpirun failrank study-0 study-1 merge pmix; do
	[ -f "$d/$f.out" ] && { diag "--- $f.out"; sed 's/^/# /' "$d/$f.out" | tail -n 60; }
done
scontrol show job 2>/dev/null | grep -E 'JobId=|JobState=' | sed 's/^/# /'

# logged VAR VALUE FILE: the job printed VAR=VALUE (VALUE a grep -E pattern).
logged() {
	grep -Eq "^$1=$2\$" "$3" || { diag "$3: no line $1=$2"; return 1; }
}

# ---------------------------------------------------------------- single-node.sbatch
node_type=$(sed -n 's/^STARPU_HOSTNAME=//p' "$d/single.out" | head -n 1)
[ $rc_single = 0 ] &&
	logged SLURM_JOB_ID '[0-9]+' "$d/single.out" &&
	logged HETSCHED "$HETSCHED" "$d/single.out" &&
	logged SLURM_JOB_NODELIST localhost "$d/single.out" &&
	logged SLURM_CPUS_ON_NODE "$(nproc)" "$d/single.out" &&
	logged STARPU_PERF_MODEL_DIR "$d/shared/starpu-perfmodels" "$d/single.out" &&
	logged STARPU_HOSTNAME '[a-z0-9+_-]+_(nogpu|2x[a-z0-9+-]+)' "$d/single.out" &&
	logged HETSCHED_RUN_ARGS "$run_args" "$d/single.out" &&
	logged HETSCHED_OUTDIR "$d/single" "$d/single.out" &&
	logged CUDA_VISIBLE_DEVICES 0,1 "$d/single.out" &&
	grep -q '^CUDA available: ' "$d/single.out"
ok $? "single-node.sbatch exits 0 ($rc_single), ran hetsched info, logged its SLURM_*, STARPU_*, HETSCHED_* variables; --gres=gpu:2 set CUDA_VISIBLE_DEVICES=0,1; STARPU_HOSTNAME=$node_type"

# check_run FILE NRANKS NCPU: one JSON object, the run checked OK, the shape asked for, and (2
# ranks) a `ranks` array with both ranks, each having executed tasks.
check_run() {
	python3 - "$@" <<'PY'
import json, sys
path, nranks, ncpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text, dec, objs, i = open(path).read(), json.JSONDecoder(), [], 0
fails = []
try:
    while True:
        while i < len(text) and text[i].isspace(): i += 1
        if i >= len(text): break
        obj, i = dec.raw_decode(text, i); objs.append(obj)
except ValueError as e:
    fails.append("not JSON at char %d: %s" % (i, e))
if len(objs) != 1:
    fails.append("%d JSON objects on stdout, want 1 (from rank 0)" % len(objs))
run = objs[0] if objs else {}
if not run.get("check", {}).get("ok"):
    fails.append("check %r" % run.get("check"))
if run.get("shape") != {"batch": 256, "in": 192, "out": 160, "hidden": [96]}:
    fails.append("shape %r" % run.get("shape"))
if nranks == 1:
    if len(run.get("workers", [])) != ncpu:
        fails.append("%d workers, want one per CPU of the node (%d)" % (len(run.get("workers", [])), ncpu))
else:
    ranks = run.get("ranks")
    if not isinstance(ranks, list) or len(ranks) != nranks:
        fails.append("ranks: %r, want %d entries" % (ranks, nranks))
    else:
        for r, entry in enumerate(ranks):
            n = sum(entry.get("tasks_by_kind", {}).values())
            if n <= 0:
                fails.append("rank %d executed no task: %r" % (r, entry))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
}
check_run "$d/single/run.json" 1 "$(nproc)"
ok $? "single-node.sbatch: run.json is one object, check OK, as many workers as the node has CPUs (StarPU used them all)"

ls "$d/shared/starpu-perfmodels/codelets/"*/"hetsched_linear.$node_type" >/dev/null 2>&1 &&
	ls "$d/shared/starpu-perfmodels/bus/$node_type."* >/dev/null 2>&1
ok $? "performance models and bus measurements filed under the shared folder as $node_type"

# ---------------------------------------------------------------- multi-node.sbatch
# ranks_logged FILE: both ranks said where they run, seeing the 2 GPUs of the node.
ranks_logged() {
	for r in 0 1; do
		grep -Eq "^rank $r on [^ ]+: STARPU_HOSTNAME=$node_type CUDA_VISIBLE_DEVICES=0,1 CPUs allowed: " "$1" ||
			{ diag "$1: no line for rank $r with STARPU_HOSTNAME=$node_type CUDA_VISIBLE_DEVICES=0,1"; return 1; }
	done
}
for launcher in srun mpirun; do
	case $launcher in srun) rc=$rc_srun ;; mpirun) rc=$rc_mpirun ;; esac
	out=$d/$launcher.out
	[ "$rc" = 0 ] &&
		logged SLURM_NTASKS 2 "$out" &&
		logged HETSCHED_LAUNCHER $launcher "$out" &&
		logged STARPU_WORKERS_GETBIND 1 "$out" &&
		logged STARPU_PERF_MODEL_DIR "$d/shared/starpu-perfmodels" "$out" &&
		logged CUDA_VISIBLE_DEVICES 0,1 "$out" &&
		ranks_logged "$out"
	ok $? "multi-node.sbatch with $launcher: exits 0 ($rc), logs its variables and one line per rank (2 GPUs each)"
	check_run "$d/$launcher/run.json" 2 1
	ok $? "multi-node.sbatch with $launcher: one JSON report, check OK, ranks 0 and 1 both executed tasks"
done

# The failing rank's job: its own exit status, within seconds (StartTime and EndTime of the job).
times=$(scontrol -o show job "$(sed -n 's/^SLURM_JOB_ID=//p' "$d/failrank.out" | head -n 1)" 2>/dev/null)
start=$(echo "$times" | sed -n 's/.* StartTime=\([^ ]*\).*/\1/p')
end=$(echo "$times" | sed -n 's/.* EndTime=\([^ ]*\).*/\1/p')
took=$(($(date -d "$end" +%s 2>/dev/null || echo 9999) - $(date -d "$start" +%s 2>/dev/null || echo 0)))
[ "$rc_failrank" != 0 ] && [ "$took" -lt 60 ] && grep -q 'rank 1: failing on purpose' "$d/failrank.out" &&
	[ ! -e "$d/failrank/run.json" ] && [ ! -e "$d/failrank/run.json.part" ]
ok $? "multi-node.sbatch with srun, rank 1 failing: the job fails ($rc_failrank) after $took s, not at its 2 min limit; no run.json"

if [ "$rc_pmix" = skip ]; then
	echo "ok $((tap_n += 1)) - srun --mpi=pmix: one MPI world of 2 ranks # SKIP no mpicc"
else
	[ "$rc_pmix" = 0 ] && grep -q '^rank 0 of 2$' "$d/pmix.out" && grep -q '^rank 1 of 2$' "$d/pmix.out"
	ok $? "srun --mpi=pmix: one MPI world of 2 ranks (exit $rc_pmix)"
fi

# ---------------------------------------------------------------- policy-study.sbatch + merge
array_ok=0
for t in 0 1; do
	state=$(scontrol -o show job "${array_id}_$t" 2>/dev/null | grep -o 'JobState=[A-Z]* .*ExitCode=[0-9:]*')
	case $state in JobState=COMPLETED*ExitCode=0:0) ;; *) diag "task $t: $state"; array_ok=1 ;; esac
done
[ $array_ok = 0 ]
ok $? "policy-study.sbatch: both array tasks of job $array_id completed with exit 0"

gpus_ok=0
for t in 0 1; do
	f=$d/study-$t.out
	policy=$(echo eager dmda | cut -d' ' -f$((t + 1)))
	logged SLURM_ARRAY_TASK_ID $t "$f" && logged SLURM_ARRAY_JOB_ID "$array_id" "$f" &&
		logged HETSCHED_POLICY "$policy" "$f" && logged HETSCHED_POLICIES eager,dmda "$f" &&
		logged STARPU_HOSTNAME '[a-z0-9+_-]+_(nogpu|1x[a-z0-9+-]+)' "$f" &&
		logged CUDA_VISIBLE_DEVICES '[01]' "$f" &&
		[ "$(sed -n 's/^CUDA_VISIBLE_DEVICES=//p' "$f")" = "$(sed -n 's/^SLURM_JOB_GPUS=//p' "$f")" ] ||
		gpus_ok=1
done
[ $gpus_ok = 0 ]
ok $? "policy-study.sbatch: each task logged its policy and variables; --gres=gpu:1 gave it one GPU (CUDA_VISIBLE_DEVICES = SLURM_JOB_GPUS)"

python3 - "$d/study" <<'PY'
import csv, sys
fails = []
for policy in ("eager", "dmda"):
    path = "%s/%s.csv" % (sys.argv[1], policy)
    try:
        rows = list(csv.DictReader(open(path)))
    except OSError as e:
        fails.append(str(e)); continue
    got = sorted((r["sched"], int(r["batch"]), int(r["tile"]), int(r["repeat"])) for r in rows)
    want = sorted((policy, n, 32, k) for n in (64, 96) for k in (1, 2))
    if got != want: fails.append("%s: rows %r, want %r" % (path, got, want))
    if any(r["check_ok"] != "1" for r in rows): fails.append("%s: a pass failed its check" % path)
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "policy-study.sbatch: <policy>.csv for eager and dmda, one row per (size, tile, repeat), checked"

python3 - "$d/study" "$d/study.csv" <<'PY'
import sys
fails = []
header = open(sys.argv[1] + "/eager.csv").readline()
lines = open(sys.argv[2]).read().splitlines(True)
inputs = [l for p in ("dmda", "eager") for l in open("%s/%s.csv" % (sys.argv[1], p)).readlines()[1:]]
if lines.count(header) != 1 or lines[0] != header:
    fails.append("the header appears %d times, first line %r" % (lines.count(header), lines[:1]))
if lines[1:] != inputs:
    fails.append("%d rows, want the %d rows of dmda.csv then eager.csv" % (len(lines) - 1, len(inputs)))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
st=$?
[ $rc_merge = 0 ] && [ $st = 0 ] && grep -q '^SLURM_JOB_DEPENDENCY=afterok:' "$d/merge.out"
ok $? "merge-csv.sh as a job after afterok:$array_id: exit $rc_merge, study.csv has one header and every row"

# The merge refuses mismatched headers and leaves no output.
mkdir -p "$d/bad" && printf 'a,b\n1,2\n' >"$d/bad/1.csv" && printf 'a,c\n3,4\n' >"$d/bad/2.csv"
bash "$ex/merge-csv.sh" "$d/bad" >"$d/bad.log" 2>&1
rc=$?
[ $rc = 2 ] && [ ! -e "$d/bad.csv" ] && [ ! -e "$d/bad.csv.part" ] && grep -q 'header' "$d/bad.log"
ok $? "merge-csv.sh: headers that differ: exit 2 ($rc), no output file"

# The scripts refuse what they cannot do: an array larger than the list of policies.
HETSCHED_POLICIES=eager SLURM_ARRAY_TASK_ID=1 HETSCHED_OUTDIR=$d/none \
	bash "$ex/policy-study.sbatch" >"$d/toomany.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q 'array=0-0' "$d/toomany.log"
ok $? "policy-study.sbatch: array task 1 with one policy exits 2 and names --array=0-0 ($rc)"

# A failed run leaves no run.json (nor a part of one), and its exit status is the job's.
HETSCHED_RUN_ARGS="--batch 0" HETSCHED_OUTDIR=$d/bad-run bash "$ex/single-node.sbatch" >"$d/bad-run.log" 2>&1
rc=$?
[ $rc = 2 ] && [ -d "$d/bad-run" ] && [ -z "$(ls -A "$d/bad-run")" ]
ok $? "single-node.sbatch with --batch 0: exits 2 as hetsched run does ($rc), writes no run.json"

# multi-node.sbatch needs the batch system that launches its ranks.
bash "$ex/multi-node.sbatch" >"$d/no-slurm.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q 'submit it with sbatch' "$d/no-slurm.log"
ok $? "multi-node.sbatch outside a SLURM job: exits 2 and says to submit it ($rc)"

hs_cluster_stop
alive=
# shellcheck disable=SC2013 # one line of PIDs
for pid in $(cat "$d/cluster/pids"); do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
[ -z "$alive" ]
ok $? "every daemon started here is stopped (PIDs $(cat "$d/cluster/pids"))${alive:+, alive:$alive}"
diag "slurm.sh took $(($(date +%s) - t_start)) s"
finish
