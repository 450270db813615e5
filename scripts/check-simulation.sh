#!/bin/sh
# scripts/check-simulation.sh: the simulation build and its validation (issue 20), in one call.
# scripts/build-starpu.sh builds StarPU 1.3.10 with SimGrid and CUDA (--suite bookworm --simgrid
# --cuda), or finds it in its cache: StarPU 1.3 simulates only the devices it was built for, so
# the CUDA toolkit's headers are needed although no GPU is; then scripts/check-with-starpu.sh
# configures a copy of hetsched against it (configure says "simulation ....... YES") and runs
# make check there: in a simulation build that is tests/simulation.sh (the H200 node's study
# simulated against what the node measured), tests/export_bundle.sh and tests/layering.sh.
# Ends with the closing line of that make check, naming the StarPU. Exit: make check's status;
# 77 when that StarPU cannot be built here (no CUDA toolkit, not Debian, no network for a
# source not cached yet); 2 when a build fails.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
HS_STARPU_BUILDDIR=${HS_STARPU_BUILDDIR:-${TMPDIR:-/tmp}/hetsched-simulation}
export HS_STARPU_BUILDDIR
# check-with-starpu.sh writes its closing line into $HS_STARPU_SUMMARY: keep what another check
# wrote there first (quickstart.sh collects them).
kept=
[ -n "${HS_STARPU_SUMMARY:-}" ] && kept=$(cat "$HS_STARPU_SUMMARY" 2>/dev/null)
sh "$srcdir/scripts/check-with-starpu.sh" --suite bookworm --simgrid --cuda "$@"
rc=$?
if [ -n "$kept" ]; then
	line=$(cat "$HS_STARPU_SUMMARY" 2>/dev/null)
	printf '%s\n%s\n' "$kept" "${line:+simulation: $line}" >"$HS_STARPU_SUMMARY"
fi
exit $rc
