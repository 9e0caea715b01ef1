#!/usr/bin/env bash
# pgtest.sh start|stop|url: a throw-away PostgreSQL cluster for the tests.
#
#   eval "$(scripts/pgtest.sh start)"   # prints export LEAKHUNT_TEST_PG=... and PGTEST_DIR=...
#   go test ./store/...
#   scripts/pgtest.sh restart           # restarts it (fast shutdown: connections are cut)
#   scripts/pgtest.sh stop              # stops the cluster and removes its directory
#
# The cluster lives in a new temporary directory (PGTEST_DIR), owned by the
# postgres user when run as root (postgres refuses to run as root), and
# listens only on a unix socket in that directory: no TCP port at all. It
# trusts local connections, so it must never hold anything but test data.
set -euo pipefail

bindir=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bindir="$d"
done
if [ -z "$bindir" ] && command -v initdb >/dev/null; then
  bindir="$(dirname "$(command -v initdb)")"
fi

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  if [ -z "$bindir" ]; then
    echo "pgtest: initdb not found: apt-get install postgresql" >&2
    exit 1
  fi
  dir="$(mktemp -d /tmp/leakhunt-pg.XXXXXX)"
  chmod 0755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  # Unix socket only (listen_addresses empty); fsync stays on: the tests
  # restart the server and expect committed data to be there.
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200 -c shared_buffers=128MB" \
    start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
  }
  echo "export PGTEST_DIR='$dir'"
  echo "export LEAKHUNT_TEST_PG='$(url "$dir")'"
}

url() {
  printf 'postgres://postgres@/postgres?host=%s&sslmode=disable' "$1"
}

stop() {
  dir="${1:-${PGTEST_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    echo "pgtest: no cluster directory given (PGTEST_DIR)" >&2
    exit 1
  fi
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

restart() {
  dir="${1:-${PGTEST_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    echo "pgtest: no cluster directory given (PGTEST_DIR)" >&2
    exit 1
  fi
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
}

case "${1:-}" in
start) start ;;
restart) restart "${2:-}" ;;
stop) stop "${2:-}" ;;
*)
  echo "usage: $0 start | restart [DIR] | stop [DIR]" >&2
  exit 2
  ;;
esac
