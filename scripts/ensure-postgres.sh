#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at NEWSFLOW_TEST_PG_DSN (default: the
# local server, database test). Starts the local cluster if it is installed
# but stopped; installs it from Debian's packages if it is missing.
set -euo pipefail
dsn=${NEWSFLOW_TEST_PG_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

ready() { pg_isready -q -d "$dsn" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL client tools missing; installing from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql postgresql-client) >/dev/null
fi

if ready; then
  exit 0
fi

if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
fi

for _ in $(seq 1 30); do
  if ready; then
    # The test database may be missing on a fresh server.
    psql -q -d "${dsn%/*}/postgres?sslmode=disable" -c "CREATE DATABASE test" >/dev/null 2>&1 || true
    exit 0
  fi
  sleep 1
done
echo "PostgreSQL is not answering at $dsn" >&2
exit 1
