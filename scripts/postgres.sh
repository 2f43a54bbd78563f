#!/usr/bin/env bash
# A PostgreSQL server for the store tests, on a free loopback port, with its
# data in a directory of its own ($CUSTOMS_PG_DIR, default
# /tmp/customs-test-postgres), kept between runs.
#
#   scripts/postgres.sh start   starts it (installing Debian's postgresql
#                               package if no server is installed), creates
#                               the database customs_test and prints its DSN:
#     export CUSTOMS_TEST_POSTGRES=$(bash scripts/postgres.sh start)
#   scripts/postgres.sh stop    stops it.
#
# As root (CI), the server runs as the postgres user.
set -euo pipefail
dir=${CUSTOMS_PG_DIR:-/tmp/customs-test-postgres}
data=$dir/data

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(bindir)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
  bin=$(bindir)
fi
# initdb and the server refuse to run as root.
as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
  major=$("$bin/postgres" --version | sed -E 's/.* ([0-9]+)[.0-9]*.*/\1/')
  if [ -f "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$major" ]; then
    rm -rf "$dir" # made by another major version: start afresh
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  fi
  if as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port=$(cat "$dir/port")
  else
    port=
    for p in $(seq 55432 55531); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
    done
    [ -n "$port" ] || { echo "no free loopback port in 55432-55531" >&2; exit 1; }
    echo "$port" > "$dir/port"
    # Tests only: no fsync, the socket in the data's directory.
    as "$bin/pg_ctl" -D "$data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null \
      || { tail -n 20 "$dir/log" >&2; exit 1; }
  fi
  if ! as "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'customs_test'" | grep -q 1; then
    as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres customs_test
  fi
  echo "postgres://postgres@127.0.0.1:$port/customs_test?sslmode=disable"
  ;;
stop)
  if [ -f "$data/PG_VERSION" ]; then
    as "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2
  ;;
esac
