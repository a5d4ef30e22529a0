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

# versions_table DIR: the hit scenario's ratios on each PostgreSQL version
# it ran against (the newest <date>-hit.csv, -hit-pg17.csv, -hit-pg18.csv),
# side by side; nothing if it ran against 15 only.
versions_table() {
	local files=() f v
	for v in "" -pg17 -pg18; do
		f=$(ls "$1"/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-hit"$v".csv 2>/dev/null | sort | tail -1) || true
		[ -n "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 1 ] || return 0
	echo "### The hit path on each PostgreSQL version"
	echo
	echo "The newest \`hit\` run against each version (\`PG_CONFIG=... bench/run.sh hit\`;"
	echo "17 and 18 are the release builds of \`make test-versions\`, -O2 like Debian's"
	echo "packages). Ratios of throughput within one run; each run is a separate run."
	echo
	echo "| version | run | clients | cached_query hit ÷ tv_user | cached_query_json hit ÷ json constant | cached_query_json hit ÷ tv_user | cached_query_json_args hit ÷ tv_user |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	perl -MText::ParseWords -e '
		for my $f (@ARGV) {
			my ($date, $v) = $f =~ m{(\d{4}-\d\d-\d\d)-hit(?:-pg(\d+))?\.csv$};
			$v //= 15;
			open(my $fh, "<", $f) or die "$f: $!";
			my %tps;
			while (<$fh>) {
				chomp;
				my @c = parse_line(",", 0, $_);
				next if $c[0] eq "variant";
				$tps{"$c[0]|$c[1]"} = $c[2];
			}
			for my $n (1, 8, 32) {
				my $r = sub { my ($a, $b) = @_; my ($x, $y) = ($tps{"$a|$n"}, $tps{"$b|$n"});
					return ($x && $y) ? sprintf("%.2f", $x / $y) : "n/a" };
				printf "| %s | %s | %d | %s | %s | %s | %s |\n", $v, $date, $n,
					$r->("cached_query hit", "tv_user by primary key"),
					$r->("cached_query_json hit", "json constant"),
					$r->("cached_query_json hit", "tv_user by primary key"),
					$r->("cached_query_json_args hit", "tv_user by primary key");
			}
		}' "${files[@]}"
	echo
}
{
	echo "<!-- latest figures: begin (written by bench/update-readme.sh) -->"
	echo
	for s in hit scale herd mixed miss differential invalidation memory large compression passthrough replicas app warm refetch; do
		f="$dir/$date-$s.md"
		[ -f "$f" ] || f=$(ls "$dir"/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-"$s".md 2>/dev/null | sort | tail -1) || true
		[ -n "$f" ] && [ -f "$f" ] || continue
		d=$(basename "$f" "-$s.md")
		sed 's/^## /### /' "$f"
		[ -f "$dir/$d-$s.png" ] && echo && echo "![$s](results/$d-$s.png)"
		echo
	done
	versions_table "$dir"
	echo "<!-- latest figures: end -->"
} > "$block"
awk -v block="$block" '
	/<!-- latest figures: begin/ { while ((getline line < block) > 0) print line; skip = 1; next }
	/<!-- latest figures: end -->/ { skip = 0; next }
	!skip { print }
' "$readme" > "$readme.new"
mv "$readme.new" "$readme"
rm -f "$block"
