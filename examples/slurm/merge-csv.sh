#!/bin/bash
# merge-csv.sh DIR [OUT]: the merge step of policy-study.sbatch. Concatenates DIR/*.csv (one file
# per policy, each with the header row of `hetsched bench --csv`) into OUT, default DIR.csv next to
# the folder, with the header once. Refuses (exit 2) when there is no CSV, when a file is empty or
# when the headers differ; OUT is written whole or not at all. Run it by hand, or as a job that
# waits for the whole array:
#
#   sbatch --dependency=afterok:<array job id> examples/slurm/merge-csv.sh policy-study-<array job id>
#
# It prints the SLURM_* and HETSCHED_* variables it runs with, like the other scripts.
#SBATCH --job-name=hetsched-merge
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --time=00:05:00
#SBATCH --output=%x-%j.out
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ ! -d "$1" ]; then
	# shellcheck disable=SC2016 # the quotes are text; $1 expands
	echo "usage: merge-csv.sh DIR [OUT]   (DIR: a folder of CSV files${1:+; '$1' is not a folder})" >&2
	exit 2
fi
dir=${1%/}
out=${2:-$dir.csv}

echo "== $(date -u +%FT%TZ) on $(hostname): job ${SLURM_JOB_ID:-none}, merging $dir/*.csv into $out"
env | grep -E '^(SLURM_|STARPU_|HETSCHED[_=])' | sort || true

inputs=()
for f in "$dir"/*.csv; do
	[ -e "$f" ] || continue
	# A rerun must not read its own output.
	[ "$(readlink -f "$f")" = "$(readlink -f "$out" 2>/dev/null || echo "$out")" ] && continue
	[ -s "$f" ] || { echo "merge-csv.sh: $f is empty" >&2; exit 2; }
	inputs+=("$f")
done
[ ${#inputs[@]} -gt 0 ] || { echo "merge-csv.sh: no CSV file in $dir" >&2; exit 2; }

trap 'rm -f "$out.part"' EXIT
awk 'FNR == 1 {
	if (NR == 1) { header = $0; first = FILENAME; print; next }
	if ($0 != header) {
		printf "merge-csv.sh: the header of %s differs from that of %s\n", FILENAME, first > "/dev/stderr"
		exit 2
	}
	next
}
{ print }' "${inputs[@]}" >"$out.part"
mv "$out.part" "$out"
echo "== done: $out, $(($(wc -l <"$out") - 1)) rows from ${#inputs[@]} files: ${inputs[*]##*/}"
