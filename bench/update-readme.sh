#!/usr/bin/env bash
# Copy the latest results (bench/results/<date>-*.md) into bench/README.md,
# between the "latest figures" markers.  Usage: update-readme.sh DIR DATE
set -euo pipefail
dir=$1 date=$2
readme="$(dirname "$0")/README.md"
block=$(mktemp)
{
	echo "<!-- latest figures: begin (written by bench/update-readme.sh) -->"
	echo
	for s in hit scale herd mixed miss differential invalidation memory large replicas; do
		f="$dir/$date-$s.md"
		[ -f "$f" ] || continue
		sed 's/^## /### /' "$f"
		[ -f "$dir/$date-$s.png" ] && echo && echo "![$s](results/$date-$s.png)"
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
