# layering.sh: the architecture of issue 15 holds in the tree and in the build.
#   1. codelets/ (the math) includes nothing from src/ (no internal.h, no header of src/);
#   2. src/cli/ (the tool) includes no StarPU header;
#   3. src/cli/ includes no internal.h;
#   4. src/cli/ includes no header of codelets/ (the tool goes through the library);
#   5. no call circle between the library's object files: each undefined symbol (nm: U) of an
#      object is mapped to the object that defines it (T/D/B/R...), the "user definer" pairs
#      go to tsort, and any loop tsort reports is a failure, printed with the files and symbols;
#   6. libhetsched.so exports no hetsched__ symbol (nm -D);
#   7. the StarPU calls that differ between 1.3 and 1.4 (starpu_free, deprecated in 1.4; the
#      MPI statistics) are made only through src/starpu_compat.h, which builds against both.
# Files are found by globs (src/cli/**, codelets/*, every library object under the build's
# src/ and codelets/ but src/cli/), so that moving files around needs no change here.
. "$HS_TOP_SRCDIR/tests/tap.sh"
top_src=$HS_TOP_SRCDIR
top_build=${HS_TOP_BUILDDIR:-$HS_TOP_SRCDIR}
d=${HS_TMPDIR:-$(mktemp -d)}
NM=${NM:-nm}
plan 7

# includes FILE...: "file:line:included" for every #include of the files.
includes() {
	for f in "$@"; do
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^">]*\)[">].*/\1/p' "$f" |
			sed "s|^|${f#"$top_src"/}:|"
	done
}
# sources DIR: the C, CUDA and OpenCL sources and headers under DIR (source tree).
sources() {
	find "$top_src/$1" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \
		-o -name '*.cl' -o -name '*.cc' -o -name '*.cpp' \) 2>/dev/null | sort
}

# 1. codelets/ includes nothing from src/: an include that names src/, or whose file name is
# that of a file under src/ and not of one beside the including file in codelets/.
find "$top_src/src" -type f | sed 's|.*/||' | sort -u >"$d/src-files"
: >"$d/bad1"
# shellcheck disable=SC2046
includes $(sources codelets) | while IFS=: read -r file inc; do
	base=${inc##*/}
	case $inc in
	src/* | */src/* | ../*) echo "$file includes \"$inc\"" ;;
	*) if grep -qxF "$base" "$d/src-files" && [ ! -e "$top_src/$(dirname "$file")/$inc" ]; then
		echo "$file includes \"$inc\" (src/.../$base)"
	fi ;;
	esac
done >"$d/bad1"
[ ! -s "$d/bad1" ]
st=$?
[ $st -ne 0 ] && diag "$(cat "$d/bad1")"
ok $st "codelets/ includes nothing from src/ ($(sources codelets | wc -l) files)"

# 2-4. src/cli/ includes no StarPU header, no internal.h, no header of codelets/.
cli_files=$(sources src/cli)
# shellcheck disable=SC2086
includes $cli_files >"$d/cli-includes"
grep -E ':(.*/)?starpu[^/]*\.h$' "$d/cli-includes" | sed 's/:\(.*\)/ includes "\1"/' >"$d/bad2"
[ ! -s "$d/bad2" ]
st=$?
[ $st -ne 0 ] && diag "$(cat "$d/bad2")"
ok $st "src/cli/ includes no StarPU header ($(echo "$cli_files" | grep -c .) files)"
grep -E ':(.*/)?internal\.h$' "$d/cli-includes" | sed 's/:\(.*\)/ includes "\1"/' >"$d/bad3"
[ ! -s "$d/bad3" ]
st=$?
[ $st -ne 0 ] && diag "$(cat "$d/bad3")"
ok $st "src/cli/ includes no internal.h"
find "$top_src/codelets" -type f -name '*.h' | sed 's|.*/||' | sort -u >"$d/codelets-headers"
: >"$d/bad4"
while IFS=: read -r file inc; do
	case $inc in
	codelets/* | */codelets/*) echo "$file includes \"$inc\"" ;;
	*) if grep -qxF "${inc##*/}" "$d/codelets-headers" &&
		[ ! -e "$top_src/$(dirname "$file")/$inc" ]; then
		echo "$file includes \"$inc\" (codelets/${inc##*/})"
	fi ;;
	esac
done <"$d/cli-includes" >"$d/bad4"
[ ! -s "$d/bad4" ]
st=$?
[ $st -ne 0 ] && diag "$(cat "$d/bad4")"
ok $st "src/cli/ includes no header of codelets/"

# 5. No call circle. The library's objects: every libtool object (.lo) under the build's src/
# and codelets/ but src/cli/ whose source still exists (a renamed file leaves its old object
# behind in a build tree), read through its PIC object; plain .o files where there is no .lo.
objects() {
	find "$top_build/src" "$top_build/codelets" -name '*.lo' -not -path "$top_build/src/cli/*" \
		2>/dev/null | sort | while read -r lo; do
		dir=$(dirname "$lo")
		rel=${dir#"$top_build"/}
		stem=$(basename "$lo" .lo)
		stem=${stem#*_la-} # per-target objects: libfoo_la-name.lo
		found=
		for ext in c cu cc cpp; do
			[ -e "$top_src/$rel/$stem.$ext" ] || [ -e "$dir/$stem.$ext" ] && found=$ext
		done
		if [ -z "$found" ]; then
			echo "stale $rel/$(basename "$lo")" >&2
			continue
		fi
		obj=$(sed -n "s/^pic_object='\(.*\)'/\1/p" "$lo")
		[ -z "$obj" ] || [ "$obj" = none ] && obj=$(sed -n "s/^non_pic_object='\(.*\)'/\1/p" "$lo")
		[ -n "$obj" ] && [ "$obj" != none ] && [ -f "$dir/$obj" ] &&
			echo "$dir/$obj $rel/$stem.$found"
	done
}
objects >"$d/objects" 2>"$d/stale"
if [ ! -s "$d/objects" ]; then
	find "$top_build/src" "$top_build/codelets" -name '*.o' -not -path "$top_build/src/cli/*" \
		2>/dev/null | sort | while read -r o; do echo "$o ${o#"$top_build"/}"; done >"$d/objects"
fi
[ -s "$d/stale" ] && diag "left out, no source any more: $(tr '\n' ' ' <"$d/stale")"
# defs: "symbol file" for each global definition; uses: "file symbol" for each undefined one.
: >"$d/defs"
: >"$d/uses"
while read -r obj name; do
	$NM "$obj" | awk -v f="$name" '
		NF == 3 && $2 ~ /^[TDBRGSVWC]$/ { print $3, f >> "'"$d/defs"'" }
		NF == 2 && $1 == "U" { print f, $2 >> "'"$d/uses"'" }'
done <"$d/objects"
# pairs: "user definer symbol" (no self pairs).
awk 'NR == FNR { if (!($1 in def)) def[$1] = $2; next }
	($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' "$d/defs" "$d/uses" | sort -u >"$d/pairs"
cut -d' ' -f1,2 "$d/pairs" | sort -u >"$d/edges"
tsort "$d/edges" >/dev/null 2>"$d/tsort"
st=$?
if [ $st -ne 0 ]; then
	# GNU tsort: "tsort: FILE: input contains a loop:" then one "tsort: NODE" line per member.
	awk -v pairs="$d/pairs" '
		BEGIN { while ((getline l < pairs) > 0) { split(l, p, " ");
			k = p[1] " " p[2]; if (!(k in sym)) sym[k] = p[3]; else if (n[k]++ < 2) sym[k] = sym[k] ", " p[3] } }
		/input contains a loop/ { if (m) flush(); m = 0; next }
		{ sub(/^tsort: /, ""); node[m++] = $0 }
		END { if (m) flush() }
		function flush(   i, a, b, s) {
			s = "call circle:"
			for (i = 0; i < m; i++) s = s " " node[i] " ->"
			print s " " node[0]
			for (i = 0; i < m; i++) {
				a = node[i]; b = node[(i + 1) % m]
				if ((a " " b) in sym) print "  " a " uses " b ": " sym[a " " b] (n[a " " b] >= 2 ? ", ..." : "")
			}
		}' "$d/tsort" >"$d/loops"
	diag "$(cat "$d/loops")"
fi
ok $st "no call circle between the library's $(grep -c . "$d/objects") objects ($(grep -c . "$d/edges") file dependencies)"

# 6. The shared library exports no hetsched__ symbol.
so=
for f in "$top_build"/.libs/libhetsched.so "$top_build"/.libs/libhetsched.so.*; do
	[ -f "$f" ] && { so=$f; break; }
done
if [ -z "$so" ]; then
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP no libhetsched.so in $top_build/.libs (static build?)"
else
	$NM -D --defined-only "$so" | awk '$3 ~ /^hetsched__/ { print $3 }' | sort >"$d/bad6"
	[ ! -s "$d/bad6" ]
	st=$?
	[ $st -ne 0 ] && diag "$(grep -c . "$d/bad6") exported: $(tr '\n' ' ' <"$d/bad6")"
	ok $st "nm -D ${so#"$top_build"/} shows no hetsched__ symbol"
fi
# 7. Version differences go through the compat header: a direct call builds against one StarPU
# and not the other (CI builds both, but this names the file at once).
grep -nE '(^|[^_a-z])(starpu_free|starpu_mpi_comm_amounts_retrieve|starpu_mpi_comm_stats_retrieve)[[:space:]]*\(' \
	$(sources src; sources codelets) 2>/dev/null | grep -v 'src/starpu_compat.h:' >"$d/bad7"
[ ! -s "$d/bad7" ]
st=$?
[ $st -ne 0 ] && diag "$(cat "$d/bad7")"
ok $st "StarPU calls that differ between 1.3 and 1.4 only in src/starpu_compat.h"
finish
