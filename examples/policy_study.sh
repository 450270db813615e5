#!/bin/sh
# policy_study.sh [hetsched bench options...]: a small study of StarPU's scheduling policies on
# whatever this node has, in one command. It runs `hetsched bench` on sizes 512 and 1024
# (batch = in = out = N), tiles 128 and 256, the policies eager, lws, ws, dmda and dmdas, three
# timed passes each, and leaves in one folder, which it prints:
#
#   bench.csv       one row per timed pass (columns: see README.md, "hetsched bench")
#   index.html      the report: best policy per size, table of medians, every chart
#   gflops.png      GFLOP/s against N, one line per policy
#   share.png       share of the work per kind of worker, per policy
#   gantt-*.png     one lane per worker for the last pass of each configuration
#   traces/         the same passes as Chrome traces (Perfetto)
#
# Options given here are passed on and override the defaults above, e.g.
#   examples/policy_study.sh --opencl-on-cpu --ncpu 1 --nopencl 1   # CPU + PoCL, no GPU needed
#   examples/policy_study.sh --sched all --sizes 2048,4096 --tiles 512,1024,auto
# The folder is $STUDY_DIR, or policy-study-<date>-<time> in the current directory. The
# performance models that the dm* policies calibrate stay in $STARPU_HOME (~/.starpu).
#
# policy_study.sh --simulate NODE.tar.gz [hetsched bench options...] (a simulation build:
# scripts/check-simulation.sh makes one): the study of BENCHMARKS.md's "Scaling" section on the
# node the bundle describes (made by `hetsched calibrate --export` there), simulated with 1, 2,
# 4 and 8 GPUs ($STUDY_GPUS) and that node's CPU workers: dmda, dmdas, eager, lws, ws,
# heteroprio and random at N = 16384 and 32768, tile 2048 (a tile the bundle's models hold),
# one pass each (a simulation is deterministic; random draws its own choices). It leaves
#
#   gpus-G/bench.csv   the study on G GPUs
#   scaling.csv        every row, with the GPU count first
#   scaling.md         GFLOP/s per policy, N and GPU count, and the speed-up over 1 GPU
#   scaling.png        TFLOP/s against the GPU count, one line per (policy, N) (with gnuplot)
set -eu

case "${1:-}" in
-h | --help)
	echo "usage: examples/policy_study.sh [--simulate NODE.tar.gz] [hetsched bench options...]"
	# The comment at the top of this file, less its first line.
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
	echo "bench's options: hetsched bench --help"
	exit 0
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
# The hetsched of this build tree when there is one, else the installed one.
hetsched=${HETSCHED:-}
if [ -z "$hetsched" ]; then
	for candidate in "$here/../hetsched" "$(command -v hetsched 2>/dev/null || true)"; do
		if [ -n "$candidate" ] && [ -x "$candidate" ]; then
			hetsched=$candidate
			break
		fi
	done
fi
if [ -z "$hetsched" ]; then
	echo "policy_study: no hetsched: build it (./quickstart.sh) or set HETSCHED" >&2
	exit 2
fi
dir=${STUDY_DIR:-policy-study-$(date +%Y%m%d-%H%M%S)}

if [ "${1:-}" = --simulate ]; then
	[ $# -ge 2 ] || { echo "policy_study: --simulate needs a node bundle (NODE.tar.gz)" >&2; exit 2; }
	node=$2
	shift 2
	gpus=${STUDY_GPUS:-1 2 4 8}
	policies="dmda dmdas eager lws ws heteroprio random"
	mkdir -p "$dir"
	for g in $gpus; do
		mkdir -p "$dir/gpus-$g"
		echo "policy_study: $g simulated GPU(s)" >&2
		"$hetsched" bench --simulate "$node" --gpus "$g" --sched "$(echo $policies | tr ' ' ,)" \
			--sizes 16384,32768 --tiles 2048 --repeat 1 --csv "$dir/gpus-$g/bench.csv" --quiet "$@"
	done
	# Every row with the GPU count first (column 7 of bench's CSV is ncuda).
	first=1
	for g in $gpus; do
		awk -F, -v first=$first 'FNR == 1 { if (first) print "gpus," $0; next } { print $7 "," $0 }' \
			"$dir/gpus-$g/bench.csv"
		first=0
	done >"$dir/scaling.csv"
	# GFLOP/s per (policy, N) and GPU count, and the speed-up of the most GPUs over the fewest.
	awk -F, -v gpus="$gpus" 'NR > 1 { v[$6 " " $10, $1] = $17; if (!($6 " " $10 in seen)) { seen[$6 " " $10] = 1; order[++nk] = $6 " " $10 } }
		END {
			n = split(gpus, list, " ")
			head = "| policy | N |"; rule = "|---|---|"
			for (i = 1; i <= n; i++) { head = head " " list[i] " GPU |"; rule = rule "---:|" }
			print head " " list[n] " GPU / " list[1] " |"; print rule "---:|"
			for (k = 1; k <= nk; k++) {
				split(order[k], p, " "); line = "| " p[1] " | " p[2] " |"
				for (i = 1; i <= n; i++) line = line sprintf(" %.0f |", v[order[k], list[i]])
				printf "%s %.2fx |\n", line, v[order[k], list[n]] / v[order[k], list[1]]
			}
		}' "$dir/scaling.csv" >"$dir/scaling.md"
	if command -v gnuplot >/dev/null 2>&1; then
		plots=
		for p in $policies; do
			for n in 16384 32768; do
				awk -F, -v p=$p -v n=$n '$6 == p && $10 == n { print $1, $17 / 1000 }' \
					"$dir/scaling.csv" | sort -n >"$dir/.$p-$n.dat"
				plots="$plots'.$p-$n.dat' using 1:2 with linespoints title '$p N=$n', "
			done
		done
		(cd "$dir" && printf '%s\n' "set terminal pngcairo size 1000,640" \
			"set output 'scaling.png'" \
			"set title 'Simulated: $(basename "$node"), its CPU workers + G GPUs, tile 2048, one pass'" \
			"set xlabel 'simulated GPUs'" "set ylabel 'TFLOP/s'" "set logscale xy 2" \
			"set key outside right" "set grid" "plot ${plots%, }" | gnuplot) &&
			rm -f "$dir"/.*.dat
	fi
	echo
	cat "$dir/scaling.md"
	echo
	echo "policy study (simulated): $(cd "$dir" && pwd)"
	exit 0
fi

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "policy_study: the charts need gnuplot (Debian: apt-get install gnuplot-nox)" >&2
	exit 1
fi
new=
[ -d "$dir" ] || new=1
mkdir -p "$dir"

# A failed study (bad option, a failed pass) leaves no empty folder of ours behind, and no claim.
rc=0
"$hetsched" bench --sched eager,lws,ws,dmda,dmdas --sizes 512,1024 --tiles 128,256 --repeat 3 \
	--csv "$dir/bench.csv" --plot "$dir" --trace-dir "$dir/traces" "$@" || rc=$?
if [ $rc != 0 ] || [ ! -f "$dir/index.html" ]; then
	[ -n "$new" ] && rmdir "$dir" 2>/dev/null
	echo "policy_study: hetsched bench failed (exit $rc): no report" >&2
	exit $((rc ? rc : 1))
fi

echo
echo "policy study: $(cd "$dir" && pwd)"
echo "  report: $dir/index.html"
