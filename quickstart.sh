#!/bin/sh
# quickstart.sh [check]: on Debian 12 or Ubuntu 22.04+, install the packages hetsched needs, build
# it, and run the main job (hetsched run --check with its defaults) or, with "check", the test
# suite. Idempotent: a second run installs nothing, skips configure and rebuilds only what changed.
set -eu
cd "$(dirname "$0")"

mode=${1:-run}
case $mode in
run | check) ;;
*)
	echo "usage: ./quickstart.sh [check]" >&2
	exit 2
	;;
esac

# Everything comes from the distribution's archive.
PACKAGES="build-essential autoconf automake libtool autoconf-archive pkg-config \
libstarpu-dev libhwloc-dev libopenblas-dev libjansson-dev \
ocl-icd-opencl-dev opencl-headers pocl-opencl-icd python3 python3-numpy gnuplot-nox \
openmpi-bin libopenmpi-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev"
# The cluster tests (tests/mpi.sh, tests/slurm.sh) start real SLURM daemons of their own; on a
# host running systemd, installing slurm-wlm also starts its services, so only for check.
[ "$mode" = check ] && PACKAGES="$PACKAGES slurm-wlm munge"
# ONNX's own backend tests and Python's onnx, which builds the ONNX test models.
[ "$mode" = check ] && PACKAGES="$PACKAGES libonnx-testdata python3-onnx"
# CI also runs the suite under ASan + UBSan and valgrind, and fuzzes for a minute per harness.
[ "$mode" = check ] && [ "${CI:-}" = true ] && PACKAGES="$PACKAGES valgrind clang libclang-rt-14-dev"
# ... and against StarPU 1.4, built from Debian's source package (dpkg-source unpacks it).
[ "$mode" = check ] && [ "${CI:-}" = true ] && PACKAGES="$PACKAGES dpkg-dev"

missing=
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
else
	echo "quickstart: no dpkg-query: not a Debian system; install the equivalents of:" >&2
	echo "  $PACKAGES" >&2
fi
if [ -n "$missing" ]; then
	echo "quickstart: installing:$missing"
	if [ "$(id -u)" = 0 ]; then
		apt-get update -q
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo apt-get update -q
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	else
		echo "quickstart: missing packages and no root or sudo; run:" >&2
		echo "  sudo apt-get install -y$missing" >&2
		exit 2
	fi
fi

[ -x configure ] || autoreconf -fi
if [ ! -f config.status ]; then
	# CI treats warnings as errors.
	flags=
	[ "${CI:-}" = true ] && flags=--enable-werror
	./configure $flags ${HETSCHED_CONFIGURE_FLAGS:-}
fi
make -j"$(nproc)"

if [ "$mode" = check ]; then
	rc=0
	make check || rc=$?
	# In CI (or on request), also: the suite against StarPU 1.4.10 (OpenCL + MPI, built by
	# scripts/build-starpu.sh from Debian's source package the first time, then taken from its
	# cache outside the clone), the CUDA glue built against Debian contrib's CUDA StarPU 1.3 and
	# against StarPU 1.4.10 built with CUDA (cached too), the suite under ASan + UBSan and the
	# core tests under valgrind (each in a build of its own), a minute of fuzzing per harness, and
	# the simulation build against a SimGrid StarPU with its validation (cached StarPU too).
	if [ "${CI:-}" = true ] || [ "${HETSCHED_CHECK_ALL:-0}" = 1 ]; then
		extra() { # extra NAME COMMAND...: run one extra check, 77 is a skip
			name=$1
			shift
			echo "== $name"
			st=0
			"$@" || st=$?
			if [ $st = 77 ]; then
				echo "$name: SKIPPED"
			elif [ $st != 0 ]; then
				echo "$name: FAILED ($st)"
				# Not "[ ] && rc=": under set -e, a false test as the function's last command
				# would end the script here, skipping the other checks.
				if [ $rc = 0 ]; then rc=$st; fi
			else
				echo "$name: OK"
			fi
		}
		HS_STARPU_SUMMARY=$(mktemp "${TMPDIR:-/tmp}/hetsched-starpu14.XXXXXX")
		export HS_STARPU_SUMMARY
		extra starpu-1.4 sh scripts/check-with-starpu.sh --suite forky --opencl --mpi
		extra tarball sh scripts/check-tarball.sh
		extra check-cuda-glue make check-cuda-glue
		cuda_glue_14() { # the same against StarPU 1.4.10 built with this CUDA toolkit (cached)
			p=$(sh scripts/build-starpu.sh --suite forky --cuda) || return $?
			make check-cuda-glue CUDA_GLUE_STARPU="$p"
		}
		extra check-cuda-glue-1.4 cuda_glue_14
		extra sanitizers sh scripts/check-sanitizers.sh asan
		extra valgrind sh scripts/check-sanitizers.sh valgrind
		extra fuzz sh fuzz/run.sh 60
		extra simulation sh scripts/check-simulation.sh
		# The closing lines: StarPU 1.4's, then this build's (StarPU 1.3, the system's), last.
		[ -s "$HS_STARPU_SUMMARY" ] && cat "$HS_STARPU_SUMMARY"
		rm -f "$HS_STARPU_SUMMARY"
		sh tests/summary.sh tests/test-suite.log
	fi
	exit $rc
fi
# The main job: a forward pass of the default problem on every worker, checked.
exec ./hetsched run --check
