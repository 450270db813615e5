#!/bin/sh
# fuzz/run.sh [SECONDS [HARNESS...]]: build hetsched's libFuzzer harnesses and run each one for
# SECONDS (default 60), one after the other on one core, starting from its seed corpus
# (fuzz/corpus/<harness>/, never modified) with its dictionary (fuzz/<harness>.dict).
# HARNESS is npy, safetensors, cli or onnx (default: all four; onnx when the build reads ONNX).
# fuzz_onnx starts from fuzz/corpus/onnx/ and from libonnx-testdata's models under 4 KB, when that
# package is there.
#
# The harnesses are built with clang (-fsanitize=fuzzer,address,undefined) in a build folder of
# their own, $HS_FUZZ_BUILDDIR (default ${TMPDIR:-/tmp}/hetsched-fuzz): a copy of the sources,
# configured with CC=clang --enable-fuzzing, so that the tree's own build is left alone; a
# second run only rebuilds what changed. Set HS_FUZZ_BUILDDIR to a tree already configured with
# --enable-fuzzing to use its harnesses instead ("make fuzz" is then run there).
# What the fuzzers learn goes to $HS_FUZZ_BUILDDIR/corpus/<harness>/ (kept between runs); what
# they find (crash, leak, timeout, out-of-memory) to $HS_FUZZ_BUILDDIR/artifacts/<harness>/,
# reproduced with: <harness binary> <artifact file>.
# Exit status: 0 when no harness found anything, 1 otherwise, 2 for a usage or build error.
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-npy safetensors cli onnx}
case $secs in '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS [npy|safetensors|cli|onnx...]]" >&2; exit 2 ;; esac
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${HS_FUZZ_BUILDDIR:-${TMPDIR:-/tmp}/hetsched-fuzz}
jobs=$(nproc 2>/dev/null || echo 2)

command -v clang >/dev/null 2>&1 || {
	echo "fuzz/run.sh: clang not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
}

# ---------------------------------------------------------------- build
mkdir -p "$build" || exit 2
if [ -f "$build/config.status" ] && ! grep -q 'enable-fuzzing' "$build/config.status"; then
	echo "fuzz/run.sh: $build is configured without --enable-fuzzing" >&2
	exit 2
fi
if [ -z "${HS_FUZZ_BUILDDIR:-}" ] || [ ! -f "$build/config.status" ]; then
	# A copy of the sources; make then rebuilds only what changed since the last copy.
	src=$build/src
	sh "$srcdir/scripts/copy-sources.sh" "$srcdir" "$src" || exit 2
	if [ ! -f "$src/config.status" ]; then
		echo "fuzz/run.sh: configuring a clang build in $src"
		(cd "$src" && { [ -x configure ] || autoreconf -fi; } >autoreconf.log 2>&1 &&
			./configure CC=clang --enable-fuzzing --disable-opencl --without-mpi \
				--without-cuda --disable-valgrind >configure.log 2>&1) || {
			echo "fuzz/run.sh: configure failed, see $src/configure.log" >&2
			exit 2
		}
	fi
	tree=$src
else
	tree=$build
fi
echo "fuzz/run.sh: building the harnesses in $tree"
make -C "$tree" -j"$jobs" fuzz >"$build/make.log" 2>&1 || {
	tail -n 30 "$build/make.log" >&2
	echo "fuzz/run.sh: make fuzz failed, see $build/make.log" >&2
	exit 2
}

# ---------------------------------------------------------------- run
status=0
summary=
for h in $harnesses; do
	bin=$tree/fuzz/fuzz_$h
	if [ "$h" = onnx ] && [ ! -x "$bin" ] && [ -z "${*:-}" ]; then
		echo "fuzz/run.sh: no fuzz_onnx (built without ONNX): skipped"
		continue
	fi
	[ -x "$bin" ] || { echo "fuzz/run.sh: no harness '$h' ($bin)" >&2; exit 2; }
	corpus=$build/corpus/$h
	art=$build/artifacts/$h
	# What earlier runs found becomes a regression input: it is run first, below (a finding that
	# still fails fails again), and the artifact count is this run's own.
	regress=$build/regressions/$h
	mkdir -p "$corpus" "$art" "$regress"
	for f in "$art"/*; do
		[ -f "$f" ] && mv "$f" "$regress/"
	done
	seeds=$srcdir/fuzz/corpus/$h
	if [ "$h" = onnx ]; then
		# Seeds: ONNX's own small test models (libonnx-testdata) and fuzz/corpus/onnx/ (MLPs
		# with FLOAT16 and BFLOAT16 initializers), copied, never modified.
		seeds=$build/seeds/onnx
		mkdir -p "$seeds"
		cp "$srcdir"/fuzz/corpus/onnx/*.onnx "$seeds/" 2>/dev/null
		find /usr/share/libonnx-testdata/data -name model.onnx -size -4k 2>/dev/null |
			while read -r f; do
				cp "$f" "$seeds/$(echo "$f" | tr / _)"
			done
	fi
	echo "fuzz/run.sh: fuzz_$h for $secs s"
	# -close_fd_mask=3: the harnesses' own stdout and stderr (cli prints its usage) are noise;
	# libFuzzer and the sanitizers still report on stderr. One process, one job.
	"$bin" "$corpus" "$seeds" "$regress" -dict="$srcdir/fuzz/$h.dict" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$art/" \
		>"$build/fuzz_$h.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_$h.log" | tail -n 1)
	found=$(ls "$art" | wc -l)
	summary="$summary
  fuzz_$h: ${execs:-?} executions in $secs s, exit $rc, $found artifact(s) in $art"
	if [ $rc -ne 0 ] || [ "$found" -ne 0 ]; then
		status=1
		grep -E 'ERROR|runtime error|contract broken|SUMMARY' "$build/fuzz_$h.log" | head -n 20 >&2
	fi
done
echo "fuzz/run.sh: done$summary"
exit $status
