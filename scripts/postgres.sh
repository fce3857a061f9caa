#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 for the tests (called by `make test`).
# Does nothing when a server answers and the current user can connect. Otherwise, on Debian/Ubuntu:
# installs postgresql (+ contrib, for pg_trgm), creates and starts a cluster, creates a role for
# the current user (allowed to create databases) and lets it connect over TCP on 127.0.0.1 with
# trust authentication (a local development/test machine only). Idempotent.
set -euo pipefail
HOST=127.0.0.1
PORT=5432
me="$(id -un)"

answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT"; }
connects() { psql -h "$HOST" -p "$PORT" -d postgres -w -Atc 'select 1' >/dev/null 2>&1; }

if answers && connects; then exit 0; fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "biaoge: PostgreSQL is not running on $HOST:$PORT and there is no apt-get here; install and start it by hand" >&2
    exit 1
  fi
  echo "biaoge: installing PostgreSQL (for the tests of the PostgreSQL store)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  $sudo pg_createcluster "$version" main >/dev/null
fi
if ! answers; then
  $sudo pg_ctlcluster "$version" main start 2>/dev/null || $sudo service postgresql start
  for _ in $(seq 1 30); do answers && break; sleep 1; done
fi
answers || { echo "biaoge: PostgreSQL $version did not start on $HOST:$PORT" >&2; exit 1; }

if ! connects; then
  if [ "$(as_postgres psql -Atc "select 1 from pg_roles where rolname = '$me'")" != 1 ]; then
    as_postgres createuser --createdb "$me"
  fi
  hba="$(as_postgres psql -Atc 'show hba_file')"
  line="host all $me 127.0.0.1/32 trust"
  if ! $sudo grep -qxF "$line" "$hba"; then
    # first matching line wins: put ours before the defaults (which ask for a password)
    $sudo sed -i "1i $line   # added by biaoge scripts/postgres.sh" "$hba"
    as_postgres psql -Atc 'select pg_reload_conf()' >/dev/null
  fi
fi
connects || { echo "biaoge: cannot connect to PostgreSQL on $HOST:$PORT as $me" >&2; exit 1; }
echo "biaoge: PostgreSQL $version is running on $HOST:$PORT"
