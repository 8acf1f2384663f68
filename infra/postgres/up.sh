#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster the tests use and make it answer as they expect:
# trust auth on 127.0.0.1:5432 and a database `test`. Idempotent: a second run changes nothing.
# Installing the server is the caller's step (`.ci/run`, `make postgres`): it needs root and apt.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: run 'apt-get update && apt-get install -y postgresql' (or 'make postgres')." >&2
  exit 1
fi

version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$version" ]; then
  # The package was installed without its default cluster (e.g. create_main_cluster = false).
  version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
  pg_createcluster "$version" main
fi
conf=/etc/postgresql/$version/main
hba=$conf/pg_hba.conf

# Trust for loopback TCP only: the tests connect as `postgres` without a password. The rule goes
# first because pg_hba.conf is read top-down and the Debian default asks for a password.
rule="host all all 127.0.0.1/32 trust"
if ! grep -qxF "$rule" "$hba"; then
  { echo "# interlink tests: trust on loopback (infra/postgres/up.sh)"; echo "$rule"; cat "$hba"; } >"$hba.new"
  mv "$hba.new" "$hba"
  chown postgres:postgres "$hba"
  reload=1
fi
grep -qE "^port *= *5432" "$conf/postgresql.conf" || sed -i 's/^#\?port *=.*/port = 5432/' "$conf/postgresql.conf"

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
elif [ "${reload:-0}" = 1 ]; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi
pg_isready -h 127.0.0.1 -p 5432

if [ "$(psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
  psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test"
fi
echo "PostgreSQL $version answers on 127.0.0.1:5432 (trust), database test present."
