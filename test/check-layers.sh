#!/usr/bin/env bash
# The layer check: keeps the structure described in docs/internals.md true.
#
# The sources live in one folder per layer, top to bottom:
#
#	src/api		SQL entry points, the background worker, _PG_init (wiring)
#	src/xact	the transaction and fill layer
#	src/store	the store and the fence
#	src/base	shared-memory layout, settings, counters, the key
#
# A file may refer (call a function, read a variable) only to files of its
# own layer or of a layer below it, and no two files may refer to each other,
# directly or through a chain (no cycles).  The check reads the symbol tables
# of the built object files (nm): for every symbol an object file leaves
# undefined, the object file of the extension that defines it is the target.
# Headers follow the same rule: no file includes a header of a higher
# layer.  It also checks the size limits: no .c file over 800 lines, no
# header over 250.
#
# Usage: test/check-layers.sh [--graph]   (run after a build; make test runs
# it).  --graph prints every edge "from -> to: symbols".  Exit status 1 on any
# violation.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

graph=0
[ "${1:-}" = "--graph" ] && graph=1

max_c_lines=800
max_h_lines=250

# One object file per source (objects left over from removed sources are
# ignored); every one must be built and newer than its source, or an edge
# could hide.
srcs=$(ls src/*/*.c)
objs=
for c in $srcs; do
	o=${c%.c}.o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ]; then
		echo "check-layers: $o is missing or older than $c; build first (make)" >&2
		exit 1
	fi
	objs="$objs $o"
done

{
	for o in $objs; do
		nm --defined-only "$o" | awk -v f="$o" 'NF == 3 && $2 ~ /[TDBRC]/ { print "D", f, $3 }'
		nm --undefined-only "$o" | awk -v f="$o" '{ print "U", f, $NF }'
	done
	for c in $srcs; do
		echo "L $c $(wc -l < "$c")"
	done
	for h in include/*.h include/*/*.h src/*/*.h; do
		[ -f "$h" ] && echo "L $h $(wc -l < "$h")"
	done
	# which layer's headers each source and header includes
	for f in src/*/*.c src/*/*.h include/*/*.h; do
		[ -f "$f" ] || continue
		sed -n 's|^#include "\(api\|xact\|store\|base\)/.*|I '"$f"' \1|p' "$f"
	done
} | perl -e '
use strict;
use warnings;
my ($graph, $maxc, $maxh) = @ARGV;
my %rank = (base => 1, store => 2, xact => 3, api => 4);
my (%def, @undef, @fail, %edges);
while (<STDIN>)
{
	chomp;
	my ($kind, $file, $x) = split / /, $_, 3;
	if ($kind eq "D") { $def{$x} = $file; }
	elsif ($kind eq "U") { push @undef, [$file, $x]; }
	elsif ($kind eq "I")
	{
		my ($in) = $file =~ m{^(?:src|include)/([a-z]+)/};
		push @fail, "$file (layer $in) includes a header of layer $x"
		  if defined $in && exists $rank{$in} && $rank{$x} > $rank{$in};
	}
	elsif ($kind eq "L")
	{
		my $max = $file =~ /\.c$/ ? $maxc : $maxh;
		push @fail, "$file has $x lines (at most $max)" if $x > $max;
	}
}
sub layer
{
	my ($f) = @_;
	return $f =~ m{^src/([a-z]+)/} && exists $rank{$1} ? $1 : undef;
}
sub name { my ($f) = @_; $f =~ s/\.o$//; return $f; }
for my $u (@undef)
{
	my ($from, $sym) = @$u;
	my $to = $def{$sym};
	next unless defined $to && $to ne $from;
	push @{ $edges{$from}{$to} }, $sym;
}
my %files = map { $_ => 1 } values %def, map { $_->[0] } @undef;
for my $f (sort keys %files)
{
	push @fail, name($f) . ".c is in no known layer folder (src/api, src/xact, src/store, src/base)"
	  unless defined layer($f);
}
my %seen_fail;
@fail = grep { !$seen_fail{$_}++ } @fail;
for my $from (sort keys %edges)
{
	for my $to (sort keys %{ $edges{$from} })
	{
		my $syms = join(", ", sort @{ $edges{$from}{$to} });
		print name($from) . " -> " . name($to) . ": $syms\n" if $graph;
		my ($lf, $lt) = (layer($from), layer($to));
		next unless defined $lf && defined $lt;
		push @fail, name($from) . ".c (layer $lf) calls up into " . name($to) . ".c (layer $lt): $syms"
		  if $rank{$lt} > $rank{$lf};
	}
}
# cycles: strongly connected components of more than one file (Tarjan)
my ($index, @stack, %on, %idx, %low) = (0);
my @sccs;
my $strong;
$strong = sub {
	my ($v) = @_;
	$idx{$v} = $low{$v} = $index++;
	push @stack, $v;
	$on{$v} = 1;
	for my $w (sort keys %{ $edges{$v} || {} })
	{
		if (!exists $idx{$w}) { $strong->($w); $low{$v} = $low{$w} if $low{$w} < $low{$v}; }
		elsif ($on{$w}) { $low{$v} = $idx{$w} if $idx{$w} < $low{$v}; }
	}
	if ($low{$v} == $idx{$v})
	{
		my @c;
		my $w;
		do { $w = pop @stack; $on{$w} = 0; push @c, $w; } while ($w ne $v);
		push @sccs, [sort @c] if @c > 1;
	}
};
for my $v (sort keys %edges) { $strong->($v) unless exists $idx{$v}; }
for my $c (@sccs)
{
	my @n = map { name($_) . ".c" } @$c;
	my @why;
	for my $a (@$c) { for my $b (@$c) {
		next unless $edges{$a}{$b};
		push @why, name($a) . " -> " . name($b) . " (" . join(", ", sort @{ $edges{$a}{$b} }) . ")";
	} }
	push @fail, "cycle between " . join(", ", @n) . ": " . join("; ", @why);
}
if (@fail)
{
	print STDERR "check-layers: FAILED\n";
	print STDERR "  $_\n" for @fail;
	exit 1;
}
my $n = scalar(keys %edges);
print "check-layers: ok (calls go api -> xact -> store -> base; no cycles; size limits hold)\n";
' "$graph" "$max_c_lines" "$max_h_lines"
