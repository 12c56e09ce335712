#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the test suite, from Debian's packages.
# Installs the server when it is missing (needs root), then prints the TESSERA_PG_*
# variables the tests read. Idempotent: a running cluster is reused.
set -euo pipefail

data_dir=${TESSERA_PG_DATA:-/tmp/tessera-pg}
port=${TESSERA_PG_PORT:-55432}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ]; then
  echo "postgres.sh: installing PostgreSQL from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin=$(pg_bin)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$data_dir"
  mkdir -p "$data_dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$data_dir"
  as_postgres "$bin/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 >/dev/null
  as_postgres "$bin/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
fi
"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qtAc \
  "select 1 from pg_database where datname = 'tessera_it'" | grep -q 1 ||
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres tessera_it

echo "export TESSERA_PG_HOST=127.0.0.1 TESSERA_PG_PORT=$port TESSERA_PG_USER=postgres" \
     "TESSERA_PG_PASSWORD=postgres TESSERA_PG_DBNAME=tessera_it"
