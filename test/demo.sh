#!/usr/bin/env bash
# make demo / make demo-stop: a throwaway cluster with cascade_cache
# preloaded, the demo schema, and a walk through a miss, a hit, a write and
# its invalidation.  The cluster keeps running until `make demo-stop`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib.sh

DEMO_DIR=${CC_DEMO_DIR:-/tmp/cascade_cache_demo}
DEMO_PORT=${CC_DEMO_PORT:-5490}
PGBIN=/usr/lib/postgresql/15/bin

psql_demo() {
	cc_as_server_user psql -X -h "$DEMO_DIR" -p "$DEMO_PORT" -d postgres "$@"
}

stop() {
	if [ -f "$DEMO_DIR/data/postmaster.pid" ]; then
		cc_as_server_user "$PGBIN/pg_ctl" -D "$DEMO_DIR/data" -m fast -w stop >/dev/null
		cc_log "demo cluster stopped"
	fi
	cc_as_root rm -rf "$DEMO_DIR"
}

start() {
	cc_ensure_packages
	cc_build_install
	stop
	mkdir -p "$DEMO_DIR"
	[ "$(id -u)" = 0 ] && chown "$(cc_server_user)": "$DEMO_DIR"
	cc_log "creating a throwaway cluster in $DEMO_DIR (port $DEMO_PORT)"
	cc_as_server_user "$PGBIN/initdb" -D "$DEMO_DIR/data" -A trust -U postgres >/dev/null
	cat <<CONF | cc_as_server_user tee -a "$DEMO_DIR/data/postgresql.conf" >/dev/null
shared_preload_libraries = 'cascade_cache'
port = $DEMO_PORT
listen_addresses = ''
unix_socket_directories = '$DEMO_DIR'
cascade_cache.max_memory = '256MB'
max_connections = 100
CONF
	cc_as_server_user "$PGBIN/pg_ctl" -D "$DEMO_DIR/data" -l "$DEMO_DIR/server.log" -w start >/dev/null
	psql_demo -q -c 'CREATE EXTENSION cascade_cache'
	psql_demo -f bench/demo.sql
	cat <<MSG

The demo cluster is still running.  Explore it with:

    $( [ "$(id -u)" = 0 ] && printf 'runuser -u postgres -- ' )psql -h $DEMO_DIR -p $DEMO_PORT -U postgres postgres

    SET search_path = public, cascade_cache;
    SELECT cached_query('SELECT data FROM v_user WHERE id = \$1', '[7]');
    SELECT * FROM cache_stats();

Stop it with: make demo-stop
MSG
}

case "${1:-start}" in
	start) start ;;
	stop) stop ;;
	*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
