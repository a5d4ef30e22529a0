#!/usr/bin/env bash
# test/run-built.sh FLAVOR MAJOR: the suite against PostgreSQL MAJOR built
# from Debian's source package, as FLAVOR:
#   debug 15     what `make test-debug` and CI run after `make test`: the
#                installed postgresql-15 version, with assertions
#                (--enable-cassert), debug symbols and AddressSanitizer;
#   release 17, release 18
#                what `make test-versions` runs: the newest version of the
#                source package postgresql-17 (Debian 13) or postgresql-18
#                (Debian's development suite) the package sources offer,
#                built as Debian builds it (-O2, no assertions).
# Each:
#   - builds PostgreSQL, installs it with file_fdw, pgTAP, the isolation
#     tester and the TAP test modules into a prefix in a cache directory
#     outside the repository (see cc_cache_dir in test/lib.sh), and reuses
#     that install while its version and build configuration stay the same;
#   - builds cascade_cache against it, in a copy of the tree, and installs
#     it there;
#   - runs the regression tests, the isolation specs and the TAP tests
#     (make installcheck) against it, and for debug test/discard_caches (a
#     regression test under debug_discard_caches = 1, which only an
#     assert-enabled server accepts), each part even when one before failed
#     (debug: with leak reports at exit off, PostgreSQL leaks by design at
#     exit, and any other ASan report aborting the process);
#   - checks every server log for assertion failures, ASan reports and
#     processes killed by a signal the tests did not send
#     (test/check-server-logs.sh).
# The benchmark smoke run is not part of it.  Works as root (the clusters
# then run as the 'postgres' account) and as a normal user with sudo.
#
# The source packages of 17 and 18 come from Debian releases other than
# the machine's: their deb-src entries go in a file of their own
# (/etc/apt/sources.list.d/cascade_cache-deb-src-<suite>.sources), source
# lines only, so nothing installed on the machine changes.  When the
# package sources list a version whose files the mirror does not have (a
# security update not mirrored yet), the files of the newest earlier
# minor release in the mirror's pool are used instead, checked against the
# checksums of their .dsc (whose signature is not checked).
#
# Settings (environment):
#   CC_CACHE_DIR           cache directory (default: see cc_cache_dir)
#   CC_DEBUG_EXACT_VERSION 1: fail rather than build another version of the
#                          source package when the package sources do not
#                          offer the installed one (debug 15)
#   CC_DEBUG_KEEP          1: keep the copy of the tree the suite ran in
#                          (it is always kept when something failed)
#   PG_TEST_TIMEOUT_DEFAULT  TAP tests' timeout (default for debug: 360 s)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib.sh
umask 022
# Started by `make test-debug`: PostgreSQL's build generates its headers
# only in a top-level make (MAKELEVEL 0), so it must not look nested.
unset MAKELEVEL MAKEFLAGS MFLAGS

FLAVOR=${1:-}
MAJOR=${2:-}
case "$FLAVOR $MAJOR" in
	"debug 15" | "release 17" | "release 18") ;;
	*)
		echo "usage: $0 debug 15 | release 17 | release 18" >&2
		exit 2
		;;
esac
PKG=postgresql-$MAJOR
LABEL="PostgreSQL $MAJOR ($FLAVOR)"

# What running the suite (CC_PACKAGES) and building PostgreSQL need.
CC_BUILD_PACKAGES="$CC_PACKAGES \
dpkg-dev bison flex pkg-config zlib1g-dev liblz4-dev libzstd-dev libicu-dev"

# The build configuration.  debug: -Og keeps the build fast and the code
# debuggable; ASan makes everything 2-3 times slower than -O2 anyway.
# release: as Debian builds it, without the packaging.
BUILD_CONFIGURE="--enable-tap-tests --with-lz4 --with-zstd --with-icu \
--without-readline --with-system-tzdata=/usr/share/zoneinfo"
if [ "$FLAVOR" = debug ]; then
	BUILD_CFLAGS="-Og -g -fsanitize=address -fno-omit-frame-pointer"
	BUILD_LDFLAGS="-fsanitize=address"
	BUILD_CONFIGURE="--enable-cassert --enable-debug $BUILD_CONFIGURE"
	BUILD_DESCRIPTION="cassert, ASan"
else
	BUILD_CFLAGS="-O2 -g"
	BUILD_LDFLAGS=""
	BUILD_DESCRIPTION="-O2"
fi
# contrib modules the suite uses (sql/core_bypass.sql)
BUILD_CONTRIB="file_fdw"
# Bump when the recipe below changes in a way that needs a rebuild.
BUILD_RECIPE=1

# At exit PostgreSQL leaves allocations behind by design: no leak reports.
# Any other error aborts (a backend that exited with ASan's default status 1
# would look like an ordinary FATAL exit to the postmaster), so the
# postmaster logs it as killed by signal 6 and restarts.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:disable_coredump=1:detect_stack_use_after_return=0:print_summary=1"
# The expected outputs are those of a UTF-8 database (sql/monitor.sql
# measures box-drawing lines): a login without a locale (POSIX) would have
# initdb create SQL_ASCII ones.  (pg_regress unsets LC_ALL: LANG it is.)
if [ "$(locale charmap 2>/dev/null)" != UTF-8 ]; then
	cc_log "the locale's character set is not UTF-8: running with LANG=C.UTF-8"
	unset LC_ALL
	export LANG=C.UTF-8 LC_CTYPE=C.UTF-8
fi
# ASan makes everything 2-3 times slower: twice PostgreSQL's default timeout
# for each wait of a TAP test (the slowest whole test takes under a minute).
# Not more: a test whose server crashed can wait that long, more than once.
export PG_TEST_TIMEOUT_DEFAULT=${PG_TEST_TIMEOUT_DEFAULT:-360}
export PGCTLTIMEOUT=${PGCTLTIMEOUT:-300}

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# shellcheck disable=SC2086
cc_ensure_packages $CC_BUILD_PACKAGES
cc_ensure_node

# debug 15 builds the installed version; the others the newest offered
installed=""
if [ "$MAJOR" = 15 ]; then
	installed=$(cc_installed_version postgresql-15)
	[ -n "$installed" ] || { cc_log "postgresql-15 is not installed"; exit 1; }
fi
cache=$(cc_cache_dir)
mkdir -p "$cache"
chmod a+rx "$cache"

# One run at a time per cache: a build, or the extension's install into
# the debug prefix, must not race with another.  (The servers the tests
# start do not inherit the lock: see run_part.)
exec 9>"$cache/.lock"
if ! flock -n 9; then
	cc_log "waiting for another run using $cache"
	flock 9
fi

# prefix_for VERSION: the install prefix of the FLAVOR build of VERSION.  Its
# path must contain "postgres": otherwise PostgreSQL appends /postgresql to
# the share and lib directories, and Debian's 50-per-version-dirs.patch
# turns the lib directory into /usr/lib/postgresql/15/lib, the system
# server's.
prefix_for() { echo "$cache/postgresql-$(echo "$1" | tr ':~' '__')-$FLAVOR"; }

# fingerprint VERSION: what the install at prefix_for VERSION is built from.
fingerprint() {
	printf 'version=%s\nconfigure=%s\nCFLAGS=%s\nLDFLAGS=%s\ncontrib=%s\ncompiler=%s\nrecipe=%s\n' \
		"$1" "$BUILD_CONFIGURE" "$BUILD_CFLAGS" "$BUILD_LDFLAGS" "$BUILD_CONTRIB" \
		"$(gcc -dumpfullversion) $(gcc -dumpmachine)" "$BUILD_RECIPE"
}

stamp_name=.cascade_cache-$FLAVOR-build
is_cached() {
	local p
	p=$(prefix_for "$1")
	[ -f "$p/$stamp_name" ] && [ "$(cat "$p/$stamp_name")" = "$(fingerprint "$1")" ]
}

# make_var SRCDIR VAR: the value of a variable of PostgreSQL's makefiles.
make_var() {
	# shellcheck disable=SC2016
	make -s --no-print-directory -C "$1" --eval 'cc-print-%: ; @echo '"'"'$($*)'"'" "cc-print-$2"
}

# fetch_from_pool VERSION DIR: the files of VERSION of the source package
# from the mirror's pool (for a version the package sources do not list),
# unpacked in DIR; their checksums are checked against the .dsc.  Fails if
# the pool does not have them.
fetch_from_pool() {
	local version=$1 dir=$2 upstream pool f
	upstream=${version%-*}
	pool="http://deb.debian.org/debian/pool/main/p/$PKG"
	for f in "${PKG}_$version.dsc" "${PKG}_$upstream.orig.tar.bz2" \
		"${PKG}_$version.debian.tar.xz"; do
		curl -sSf -o "$dir/$f" "$pool/$f" || return 1
	done
	(cd "$dir" && dpkg-source -x "${PKG}_$version.dsc")
}

# build VERSION: download, configure, build and install the FLAVOR build of
# VERSION of the source package; fails (1) if neither the package sources
# nor, for a version they do not list (POOL=1), the mirror's pool have that
# version's files.
build() {
	local version=$1 prefix build src log t0 d
	prefix=$(prefix_for "$version")
	build="$cache/build"
	log="$cache/build-$(basename "$prefix").log"
	rm -rf "$build" "$prefix"
	mkdir -p "$build"
	cc_log "downloading the source package $PKG $version"
	if [ "${POOL:-0}" = 1 ]; then
		if ! fetch_from_pool "$version" "$build" >"$log" 2>&1; then
			rm -rf "$build"
			return 1
		fi
	elif ! (cd "$build" && apt-get source -q "$PKG=$version") >"$log" 2>&1; then
		grep -E '^(E|W):' "$log" | grep -v unsandboxed >&2 || true
		rm -rf "$build"
		return 1
	fi
	src=$(find "$build" -mindepth 1 -maxdepth 1 -type d -name "$PKG-*" | head -n 1)
	cc_log "building PostgreSQL $version with $BUILD_CFLAGS into $prefix (log: $log)"
	t0=$SECONDS
	# shellcheck disable=SC2086
	if ! (cd "$src" &&
		./configure --prefix="$prefix" $BUILD_CONFIGURE \
			--with-extra-version=" (Debian $version, $BUILD_DESCRIPTION)" \
			CFLAGS="$BUILD_CFLAGS" LDFLAGS="$BUILD_LDFLAGS" >>"$log" 2>&1); then
		tail -n 30 "$log" >&2
		return 2
	fi
	# every install directory must lie inside the prefix (see prefix_for)
	for d in bindir pkglibdir datadir pkgincludedir includedir_server pgxsdir; do
		case $(make_var "$src" "$d") in
		"$prefix"/*) ;;
		*)
			cc_log "PostgreSQL's $d would be $(make_var "$src" "$d"), outside $prefix"
			return 2
			;;
		esac
	done
	if ! (
		make -C "$src" -j"$(nproc)" -s && make -C "$src" -s install || exit 1
		for d in $BUILD_CONTRIB; do
			make -C "$src/contrib/$d" -j"$(nproc)" -s install || exit 1
		done
	) >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		return 2
	fi
	# what PGXS's installcheck takes from the install: pg_regress, the
	# isolation tester and its driver, the TAP modules
	for d in src/test/regress/pg_regress src/test/isolation/pg_isolation_regress \
		src/test/isolation/isolationtester src/test/perl/PostgreSQL/Test/Cluster.pm; do
		[ -e "$prefix/lib/pgxs/$d" ] || { cc_log "the install lacks lib/pgxs/$d"; return 2; }
	done
	chmod -R a+rX "$prefix"
	fingerprint "$version" >"$prefix/$stamp_name"
	rm -rf "$build"
	# builds of other versions of this major or configurations of this
	# flavor are of no more use
	for d in "$cache"/postgresql-"$MAJOR".*-"$FLAVOR"; do
		[ "$d" = "$prefix" ] || rm -rf "$d" "$cache/build-$(basename "$d").log"
	done
	cc_log "PostgreSQL $version built and installed in $(elapsed $((SECONDS - t0)))"
}

# deb-src entries for the Debian release that has PKG (17: Debian 13,
# 18: the development suite), in a file of their own: source lines only.
ensure_deb_src_for_major() {
	local file suites security=""
	case $MAJOR in
		17) suites="trixie trixie-updates" security=trixie-security ;;
		18) suites="sid" ;;
		*) return 0 ;;
	esac
	apt-cache showsrc "$PKG" 2>/dev/null | grep -q '^Version:' && return 0
	file=/etc/apt/sources.list.d/cascade_cache-deb-src-${suites%% *}.sources
	cc_log "adding deb-src entries for $suites${security:+ $security} in $file"
	{
		printf '# Added by cascade_cache'"'"'s test/run-built.sh (make test-versions), which\n'
		printf '# builds %s from its source package.  Source lines only.\n' "$PKG"
		printf '# The Release files of the development and security suites are valid\n'
		printf '# for a week; a mirror that keeps a snapshot serves them expired.\n'
		printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\n' "$suites"
		printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		printf 'Check-Valid-Until: no\n'
		if [ -n "$security" ]; then
			printf '\nTypes: deb-src\nURIs: http://deb.debian.org/debian-security\n'
			printf 'Suites: %s\nComponents: main\n' "$security"
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
			printf 'Check-Valid-Until: no\n'
		fi
	} | cc_as_root tee "$file" >/dev/null
	cc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
		cc_log "apt-get update failed"
}

# earlier_minors VERSION: the earlier minor releases of VERSION (M.m-r),
# newest first, with VERSION's Debian revision and with revision 1: where
# to look in the pool when the listed version's files are missing.
earlier_minors() {
	local upstream=${1%-*} rev=${1##*-} minor
	minor=${upstream#*.}
	while [ "$minor" -gt 0 ]; do
		minor=$((minor - 1))
		echo "$MAJOR.$minor-$rev"
		[ "$rev" = 1 ] || echo "$MAJOR.$minor-1"
	done
}

# The version to build.  debug 15: the installed version, or, when the
# package sources do not offer its files (a security update whose source
# is not mirrored, say), the newest version of the source package that
# they do offer.  release 17 and 18: the newest version the package
# sources list, or, when the mirror lacks its files, the newest earlier
# minor release the mirror's pool has.  A version already built is used
# as it is.
version=""
listed=""
pooled=""
if [ "$MAJOR" = 15 ]; then
	if ! is_cached "$installed"; then
		cc_ensure_deb_src postgresql-15 "$installed"
	fi
	listed=$installed
	if [ "${CC_DEBUG_EXACT_VERSION:-}" != 1 ]; then
		listed="$listed $(apt-cache showsrc postgresql-15 | sed -n 's/^Version: //p' |
			grep -vxF "$installed" | sort -u -r -V | tr '\n' ' ')"
	fi
else
	ensure_deb_src_for_major
	listed=$(apt-cache showsrc "$PKG" | sed -n 's/^Version: //p' | sort -u -r -V | tr '\n' ' ')
	[ -n "$listed" ] || { cc_log "the package sources list no $PKG"; exit 1; }
	pooled=$(earlier_minors "${listed%% *}" | tr '\n' ' ')
fi
for v in $listed $pooled; do
	if is_cached "$v"; then
		version=$v
		break
	fi
done
if [ -z "$version" ]; then
	for v in $listed; do
		rc=0
		build "$v" || rc=$?
		[ $rc -eq 0 ] && { version=$v; break; }
		[ $rc -eq 1 ] || exit 1
		cc_log "the package sources have no files for $PKG $v"
	done
fi
if [ -z "$version" ]; then
	for v in $pooled; do
		rc=0
		POOL=1 build "$v" || rc=$?
		[ $rc -eq 0 ] && { version=$v; break; }
		[ $rc -eq 1 ] || exit 1
	done
fi
if [ -z "$version" ]; then
	cc_log "no version of the source package $PKG could be downloaded"
	exit 1
fi
prefix=$(prefix_for "$version")
PG_CONFIG="$prefix/bin/pg_config"
if [ -n "$installed" ] && [ "$version" != "$installed" ]; then
	cc_log "WARNING: the debug build is PostgreSQL $version: the package sources" \
		"offer no source for the installed postgresql-15 $installed"
elif [ -z "$installed" ] && [ "$version" != "${listed%% *}" ]; then
	cc_log "WARNING: $LABEL is $version: the mirror has no files for" \
		"the listed $PKG ${listed%% *}"
fi
cc_log "$LABEL: $("$PG_CONFIG" --version) in $prefix"
if ! cc_as_server_user test -x "$prefix/bin/postgres"; then
	cc_log "the account $(cc_server_user) cannot run $prefix/bin/postgres:" \
		"choose a cache directory it can read (CC_CACHE_DIR)"
	exit 1
fi

# pgTAP is plain SQL: the files of Debian's package for 15 serve every build.
extdir="$("$PG_CONFIG" --sharedir)/extension"
dpkg-query -L postgresql-15-pgtap | grep '^/usr/share/postgresql/15/extension/.' |
	while read -r f; do [ -f "$f" ] && cp "$f" "$extdir/"; done
chmod -R a+rX "$extdir"

# Build in a copy of the tree: the objects of `make test`'s build (against
# the system server) stay apart, and the sources stay as they were at the
# start while the suite runs.
work=$(mktemp -d "${TMPDIR:-/tmp}/cascade_cache-$FLAVOR-$MAJOR.XXXXXX")
keep=${CC_DEBUG_KEEP:-0}
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT
chmod 755 "$work"
cp -a "$top/." "$work/"
t0=$SECONDS
make -C "$work" -s clean PG_CONFIG="$PG_CONFIG"
make -C "$work" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG"
# an install of another tree may have left scripts of versions this one
# does not have (t/010_upgrade.pl checks the newest version)
rm -f "$("$PG_CONFIG" --pkglibdir)/cascade_cache.so" "$extdir"/cascade_cache.control \
	"$extdir"/cascade_cache--*.sql
make -C "$work" -s install PG_CONFIG="$PG_CONFIG" >/dev/null
cc_log "cascade_cache built and installed in $LABEL in $(elapsed $((SECONDS - t0)))"
# pg_regress removes its temporary instance, server log included, when all
# tests passed; a logging collector keeps the regression and isolation
# servers' output, stderr included, in server_log/ for the log check.
for part in regression isolation discard_caches; do
	mkdir -p "$work/server_log/$part"
	cat >"$work/server_log/$part.conf" <<-EOF
	logging_collector = on
	log_directory = '$work/server_log/$part'
	log_filename = 'postmaster-%Y%m%d-%H%M%S.log'
	log_rotation_age = 0
	log_rotation_size = 0
	EOF
done
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$work"; fi

# run_part NAME MAKE-ARGUMENTS...: one part of `make installcheck`
run_part() {
	local name=$1 rc=0 t=$SECONDS
	shift
	cc_log "$LABEL: $name"
	cc_as_server_user env PATH="$prefix/bin:$PATH" ASAN_OPTIONS="$ASAN_OPTIONS" \
		PG_TEST_TIMEOUT_DEFAULT="$PG_TEST_TIMEOUT_DEFAULT" PGCTLTIMEOUT="$PGCTLTIMEOUT" \
		make -C "$work" -s installcheck PG_CONFIG="$PG_CONFIG" "$@" 9>&- || rc=$?
	cc_log "$LABEL: $name $([ $rc -eq 0 ] && echo passed || echo FAILED) in $(elapsed $((SECONDS - t)))"
	[ $rc -eq 0 ] || failed="$failed $name"
}
# stop_leftovers DIR: stop the servers still running from data directories
# under DIR.  A TAP test that bails out in its END block (pg_ctl could not
# stop a node that crashed) leaves its other nodes running.
stop_leftovers() {
	local pid
	for pid in "$1"/t_*_data/pgdata/postmaster.pid; do
		[ -f "$pid" ] || continue
		cc_log "stopping a server the test left running: $(dirname "$pid")"
		cc_as_server_user "$prefix/bin/pg_ctl" -D "$(dirname "$pid")" -m immediate -w stop >/dev/null || true
	done
}
# Every part runs, even when one before failed; and each TAP test on its
# own, since prove stops at a test that bails out (as one does when its
# server crashed), and keeps its logs in tmp_check_<test>/.
failed=""
t0=$SECONDS
run_part regression ISOLATION= TAP_TESTS= \
	EXTRA_REGRESS_OPTS="--temp-config=$work/server_log/regression.conf"
run_part isolation REGRESS= TAP_TESTS= \
	EXTRA_REGRESS_OPTS="--temp-config=$work/server_log/isolation.conf"
# debug: test/discard_caches, which needs an assert-enabled server (it sets
# debug_discard_caches), with its own expected output; then, under the
# same setting, the main suite's core_api and fill_plans (symbolic links in
# test/discard_caches; fill_plans with the expected output of no kept plan)
if [ "$FLAVOR" = debug ]; then
	run_part discard_caches ISOLATION= TAP_TESTS= REGRESS="discard_caches core_api fill_plans" \
		REGRESS_OPTS="--temp-config=test/cascade_cache.conf --temp-instance=./tmp_check_discard --inputdir=test/discard_caches --outputdir=test/discard_caches" \
		EXTRA_REGRESS_OPTS="--temp-config=$work/server_log/discard_caches.conf"
fi
for t in "$work"/t/*.pl; do
	name=$(basename "$t" .pl)
	run_part "$name" REGRESS= ISOLATION= PROVE_TESTS="t/$name.pl" PROVE_FLAGS=--timer
	if [ -d "$work/tmp_check" ]; then
		stop_leftovers "$work/tmp_check"
		mv "$work/tmp_check" "$work/tmp_check_$name"
	fi
done
cc_log "the suite ran against $LABEL in $(elapsed $((SECONDS - t0)))"

status=0
test/check-server-logs.sh "$work" || { status=1; failed="$failed server-logs"; }
[ -z "$failed" ] || status=1

if [ $status -ne 0 ]; then
	keep=1
	cc_print_failures "$work"
	echo "TESTS AGAINST $LABEL FAILED:$failed (logs and results: $work)"
	exit $status
fi
[ "$keep" = 1 ] && cc_log "the tree the suite ran in: $work"
echo "ALL TESTS PASSED AGAINST $LABEL"
