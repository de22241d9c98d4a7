#!/usr/bin/env bash
# A throwaway PostgreSQL server for the study-store tests (Debian's `postgresql` package): a fresh cluster in a
# folder of its own, listening on 127.0.0.1 only, trust authentication, removed on stop. The tests read its URL
# from SHADERGRAD_TEST_POSTGRES; without one they fail and say why, so CI can never pass them silently.
#
#   scripts/test-postgres.sh start DIR   # creates DIR (must not exist or be empty), prints the URL on stdout
#   scripts/test-postgres.sh stop DIR    # stops the server and removes DIR
#
# The port is SHADERGRAD_PG_PORT, else the first free one from 54329 (another run may hold it). initdb and pg_ctl
# refuse to run as root, so as root the cluster belongs to the `postgres` user the package creates.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${SHADERGRAD_PG_PORT:-}" ]; then port=$SHADERGRAD_PG_PORT; else
  port=54329
  while in_use "$port" && [ "$port" -lt 54359 ]; do port=$((port + 1)); done
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "test-postgres: no PostgreSQL binaries in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || { echo "test-postgres: $dir is not empty" >&2; exit 1; }
    [ "$(id -u)" = 0 ] && chown postgres: "$dir" && chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
      || { echo "test-postgres: initdb failed, see $dir/initdb.log:" >&2; tail -n 5 "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c max_connections=100" start >/dev/null \
      || { echo "test-postgres: the server did not start on 127.0.0.1:$port, see $dir/server.log:" >&2; tail -n 5 "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
