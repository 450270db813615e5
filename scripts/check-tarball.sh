#!/bin/sh
# scripts/check-tarball.sh [TEST...]: the release tarball as a user gets it. `make dist` in this
# (configured) tree, then, in a fresh folder: unpack it as root into a group-writable folder
# (tar run as root keeps the archive's permissions, and an archive made under umask 002 has
# group-writable folders: munged refuses to start below such a folder unless its state lives
# elsewhere), configure (with $HETSCHED_CONFIGURE_FLAGS) and `make check`, the SLURM and MPI
# tests included (they skip only where slurm-wlm and munge are missing and cannot be installed,
# or without root: this script wants root, as the case it checks does). With TEST arguments, only
# those tests run (make check TESTS='...'), e.g. slurm.sh mpi.sh.
# The work folder is ${HS_TARBALL_DIR:-${TMPDIR:-/tmp}/hetsched-tarball}, emptied first.
# Exit: 0 when make check passed; 1 when a step failed (its log's tail is printed); 77 when not
# run as root.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
work=${HS_TARBALL_DIR:-${TMPDIR:-/tmp}/hetsched-tarball}
say() { echo "check-tarball: $*"; }
fail() {
	say "FAIL: $1"
	[ -f "${2:-}" ] && tail -n 30 "$2" | sed 's/^/  /'
	exit 1
}
[ "$(id -u)" = 0 ] || { say "SKIP: not root (the case checked is a tarball unpacked as root)"; exit 77; }
[ -f "$srcdir/Makefile" ] || fail "$srcdir is not configured (run ./configure there first)"
start=$(date +%s)
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"

say "make dist in $srcdir"
make -C "$srcdir" dist >"$work/dist.log" 2>&1 || fail "make dist failed" "$work/dist.log"
tarball=$(ls -t "$srcdir"/hetsched-*.tar.gz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || fail "make dist made no hetsched-*.tar.gz" "$work/dist.log"

# As root, umask 002, into a group-writable folder: every folder of the tree group-writable.
say "unpacking $(basename "$tarball") as root in $work/unpacked (group-writable)"
mkdir -p "$work/unpacked" && chmod 775 "$work/unpacked" || fail "cannot create $work/unpacked"
(umask 002 && cd "$work/unpacked" && tar xzf "$tarball") || fail "cannot unpack $tarball"
top=$(ls -d "$work"/unpacked/hetsched-*/ | head -n 1)
top=${top%/}
find "$top" -type d -exec chmod g+w {} + || fail "chmod g+w failed"
say "unpacked: $top ($(stat -c %A "$top/tests"), tests/)"
[ ! -e "$top/.git" ] || fail "the tarball holds a .git"

say "configure ${HETSCHED_CONFIGURE_FLAGS:-}"
# shellcheck disable=SC2086 # flags are words
(cd "$top" && ./configure ${HETSCHED_CONFIGURE_FLAGS:-}) >"$work/configure.log" 2>&1 ||
	fail "configure failed" "$work/configure.log"
say "make"
make -C "$top" -j"$(nproc)" >"$work/make.log" 2>&1 || fail "make failed" "$work/make.log"
if [ $# -gt 0 ]; then
	say "make check TESTS='$*'"
	make -C "$top" check TESTS="$*" >"$work/check.log" 2>&1
else
	say "make check"
	make -C "$top" check >"$work/check.log" 2>&1
fi
rc=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' "$work/check.log" | sed 's/^/  /'
grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$work/check.log" | tail -n 1 | sed 's/^/  /'
# The cluster tests ran, not skipped, when asked for (all of them, or by name).
for t in slurm.sh mpi.sh; do
	case " ${*:-$t} " in *" $t "*) ;; *) continue ;; esac
	grep -q "^PASS: $t" "$work/check.log" || { say "FAIL: $t did not pass"; rc=1; }
done
[ $rc = 0 ] || fail "make check in the unpacked tarball failed (log: $work/check.log, $top/tests/test-suite.log)"
say "OK: $(basename "$tarball") unpacked as root in a group-writable folder passes make check in $(($(date +%s) - start)) s"
