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
set -eu

case "${1:-}" in
-h | --help)
	echo "usage: examples/policy_study.sh [hetsched bench options...]"
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
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "policy_study: the charts need gnuplot (Debian: apt-get install gnuplot-nox)" >&2
	exit 1
fi

dir=${STUDY_DIR:-policy-study-$(date +%Y%m%d-%H%M%S)}
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
