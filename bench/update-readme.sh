#!/usr/bin/env bash
# Copy the latest results (bench/results/<date>-*.md) into bench/README.md,
# between the "latest figures" markers.  Usage: update-readme.sh DIR DATE
# A scenario that did not run on DATE keeps its newest earlier results (a
# run of some scenarios only replaces theirs).  The chaos soak is not a
# figure: its results stay in DIR (see "Chaos soak" in bench/README.md).
set -euo pipefail
dir=$1 date=$2
readme="$(dirname "$0")/README.md"
block=$(mktemp)
{
	echo "<!-- latest figures: begin (written by bench/update-readme.sh) -->"
	echo
	for s in hit scale herd mixed miss differential invalidation memory large compression passthrough replicas app; do
		f="$dir/$date-$s.md"
		[ -f "$f" ] || f=$(ls "$dir"/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-"$s".md 2>/dev/null | sort | tail -1) || true
		[ -n "$f" ] && [ -f "$f" ] || continue
		d=$(basename "$f" "-$s.md")
		sed 's/^## /### /' "$f"
		[ -f "$dir/$d-$s.png" ] && echo && echo "![$s](results/$d-$s.png)"
		echo
	done
	echo "<!-- latest figures: end -->"
} > "$block"
awk -v block="$block" '
	/<!-- latest figures: begin/ { while ((getline line < block) > 0) print line; skip = 1; next }
	/<!-- latest figures: end -->/ { skip = 0; next }
	!skip { print }
' "$readme" > "$readme.new"
mv "$readme.new" "$readme"
rm -f "$block"
