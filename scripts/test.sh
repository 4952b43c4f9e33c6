#!/usr/bin/env bash
# Set up and run the whole test suite: SQLite, a real PostgreSQL server, and the end-to-end test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# PostgreSQL: the tests start a throwaway server on 127.0.0.1 (as the postgres user when root).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL (Debian package) for the storage tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
fi
export REQUIRE_POSTGRES="${REQUIRE_POSTGRES:-${CI:-}}"
exec .venv/bin/python -m pytest -q "$@"
