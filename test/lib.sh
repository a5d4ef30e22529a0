# Shared helpers for test/run-tests.sh, test/demo.sh and bench/run.sh.
# Sourced, not executed.

# Packages the project needs on Debian 12.
CC_PACKAGES="make gcc libc6-dev postgresql-15 postgresql-server-dev-15 \
postgresql-15-pgtap libipc-run-perl libdbd-pg-perl libyaml-libyaml-perl perl gnuplot-nox pgpool2"

cc_log() { printf '== %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else through sudo.
cc_as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Install whatever of CC_PACKAGES is missing.
cc_ensure_packages() {
	local missing="" p
	for p in $CC_PACKAGES; do
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

# Build and install the extension into the system PostgreSQL 15.
cc_build_install() {
	export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
	make -s PG_CONFIG="$PG_CONFIG"
	cc_as_root make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
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
