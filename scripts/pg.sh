#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the tests, in $PGDIR on 127.0.0.1, trust auth, no systemd.
#   bash scripts/pg.sh start  -> writes the SQLAlchemy URL to $PGDIR/url and prints it
#   bash scripts/pg.sh stop   -> stops the server (pg_ctl, through its postmaster.pid)
#   bash scripts/pg.sh resume -> starts again, data kept, the server of the last `start` (the
#                                fault tests restart PostgreSQL in the middle of requests)
# Needs: apt-get install --no-install-recommends postgresql
# Durability is off (fsync, synchronous_commit, full_page_writes): the data is thrown away.
# PG_SERVER_OPTIONS adds server settings, e.g. "-c shared_buffers=2GB" (bench/rotation.py).
set -euo pipefail
PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR=${PGDIR:-/tmp/coffre-pg}
PYTHON=${PYTHON:-python3}
PGPORT=${PGPORT:-$("$PYTHON" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}

# PostgreSQL refuses to run as root: as root, run it as the postgres user the package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

run_server() { # the server options, kept in $PGDIR/options for `resume`
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 -o "$1" start >/dev/null ||
    { tail -n 20 "$PGDIR/log" >&2; exit 1; }
}

case "${1:-start}" in
start)
  if [ -f "$PGDIR/data/postmaster.pid" ]; then # left running by an earlier start
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PGDIR"
  if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres "$PGDIR"; else mkdir -p "$PGDIR"; fi
  as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  options="-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${PG_SERVER_OPTIONS:-}"
  echo "$options" > "$PGDIR/options"
  run_server "$options"
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres coffre_test
  echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/coffre_test" > "$PGDIR/url"
  echo "PostgreSQL $(cat "$PGDIR/url") (written to $PGDIR/url)" ;;
stop)
  if [ -f "$PGDIR/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
  fi ;;
resume)
  run_server "$(cat "$PGDIR/options")" ;;
*) echo "usage: $0 start|stop|resume" >&2; exit 2 ;;
esac
