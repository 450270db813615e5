#!/bin/sh
# build-starpu-cuda.sh [--jobs N] [--workdir DIR] [--cuda DIR] [--opencl] [--no-install-deps] PREFIX:
# kept for the commands already written down; scripts/build-starpu.sh does the work (see its
# --help). This is `build-starpu.sh --cuda[=DIR] [options] PREFIX`: StarPU with CUDA from this
# system's suite (bookworm: 1.3.10), or from another one with --suite (forky: 1.4.10).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cuda=--cuda
n=$#
while [ "$n" -gt 0 ]; do
	# Rotate the arguments, turning the old "--cuda DIR" into "--cuda=DIR".
	a=$1
	shift
	n=$((n - 1))
	case $a in
	--cuda)
		[ "$n" -gt 0 ] || { echo "build-starpu-cuda: --cuda needs a folder" >&2; exit 2; }
		cuda=--cuda=$1
		shift
		n=$((n - 1))
		;;
	--cuda=*) cuda=$a ;;
	*) set -- "$@" "$a" ;;
	esac
done
exec sh "$here/build-starpu.sh" "$cuda" "$@"
