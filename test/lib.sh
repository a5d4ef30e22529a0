# Shared helpers for test/run-tests.sh, test/run-debug.sh, test/demo.sh and
# bench/run.sh.
# Sourced, not executed.

# Packages the project needs on Debian 12.
CC_PACKAGES="make gcc libc6-dev postgresql-15 postgresql-server-dev-15 \
postgresql-15-pgtap libipc-run-perl libdbd-pg-perl libyaml-libyaml-perl perl gnuplot-nox pgpool2 \
pgbouncer prometheus-postgres-exporter prometheus python3-psycopg curl procps gdb"

cc_log() { printf '== %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else through sudo.
cc_as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Install whatever of the given packages (default: CC_PACKAGES) is missing.
cc_ensure_packages() {
	local missing="" p packages=${*:-$CC_PACKAGES}
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
			|| missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	cc_log "installing:$missing"
	# Debian's postgresql-common would create and start a 'main' cluster;
	# the project only ever uses throwaway clusters of its own.
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		cc_as_root mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" | cc_as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
	fi
	cc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	cc_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# Node.js and npm, for the GraphQL example (t/017_graphql.pl) and the app
# benchmark: Debian's nodejs and npm when there is no npm at all.  They are
# not in CC_PACKAGES because a machine may have Node.js from elsewhere
# (NodeSource's nodejs brings its own npm, with which Debian's npm package
# conflicts): whatever node and npm are found are used.
# Node.js trusts only the certificate authorities it was built with; npm
# then fails behind a TLS-inspecting proxy whose authority the system
# trusts.  Unless told otherwise, it also trusts the system's.
cc_ensure_node() {
	if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
		export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	fi
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
	cc_ensure_packages nodejs npm
}

# Build and install the extension into the system PostgreSQL 15.
cc_build_install() {
	export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
	make -s PG_CONFIG="$PG_CONFIG"
	cc_as_root make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# Print what failed in a test run in DIR (where `make installcheck` ran):
# the regression and isolation diffs, the end of each failed TAP test's log.
cc_print_failures() {
	local f
	for f in "$1"/regression.diffs "$1"/output_iso/regression.diffs "$1"/test/discard_caches/regression.diffs; do
		[ -s "$f" ] && { echo "---- $f"; cat "$f"; }
	done
	for f in "$1"/tmp_check*/log/regress_log_*; do
		[ -f "$f" ] && grep -q "not ok\|Bail out\|died" "$f" && { echo "---- $f"; tail -n 60 "$f"; }
	done
	return 0
}

# The unprivileged account that runs servers when we are root (initdb
# refuses to run as root).  Debian's postgresql-common creates 'postgres'.
cc_server_user() {
	if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# Run a command as the server user.
cc_as_server_user() {
	if [ "$(id -u)" = 0 ]; then
		# from /, which the server account can always enter (the clone may
		# sit in root's home); paths given to it must be absolute
		runuser -u postgres -- env -C / PATH="/usr/lib/postgresql/15/bin:$PATH" "$@"
	else
		env PATH="/usr/lib/postgresql/15/bin:$PATH" "$@"
	fi
}

# The installed version of a Debian package ('' if it is not installed).
cc_installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		sed -n 's/^install ok installed //p'
}

# Make `apt-get source PACKAGE=VERSION` possible where the package sources
# offer it: when apt knows no such source package, add deb-src entries for
# the Debian release (main, updates, security) in a file of their own and
# update the package lists.  Whether VERSION can then be had is for the
# caller to find out (apt-get source fails).
cc_ensure_deb_src() {
	local pkg=$1 version=$2 file=/etc/apt/sources.list.d/cascade_cache-deb-src.sources codename
	apt-cache showsrc "$pkg" 2>/dev/null | grep -qx "Version: $version" && return 0
	if [ ! -e "$file" ]; then
		codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
		cc_log "adding deb-src entries for $codename in $file"
		cc_as_root tee "$file" >/dev/null <<-EOF
		# Added by cascade_cache's test/run-debug.sh (make test-debug), which
		# builds PostgreSQL from Debian's source package.
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: $codename $codename-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb-src
		URIs: http://deb.debian.org/debian-security
		Suites: $codename-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	cc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
		cc_log "apt-get update failed"
}

# The directory for build results that outlive a run (the debug build of
# PostgreSQL), outside the repository: CC_CACHE_DIR if set; as root
# /var/cache/cascade_cache, which the server account can read; else
# ${XDG_CACHE_HOME:-$HOME/.cache}/cascade_cache.
cc_cache_dir() {
	if [ -n "${CC_CACHE_DIR:-}" ]; then
		echo "$CC_CACHE_DIR"
	elif [ "$(id -u)" = 0 ]; then
		echo /var/cache/cascade_cache
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/cascade_cache"
	fi
}
