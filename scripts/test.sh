#!/usr/bin/env bash
# Set up and run the whole test suite: SQLite, a real PostgreSQL server, and the end-to-end test.
#
# With no arguments the suite runs as two pytest processes side by side: the long tests below (mostly waiting
# on Telegram's rate limits, a killed bot process or a fake API) in one, everything else in the other, so the
# two cores stay busy. Each process starts its own throwaway PostgreSQL server. With arguments it is one plain
# pytest run (`bash scripts/test.sh tests/test_x.py -k y`).
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
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
# Lint first (a second): a line too long once reached main for three commits because only the tests ran here.
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
# Types too (about 15 s from a clean cache): the style guide asks for mypy clean, and only this keeps it so.
.venv/bin/mypy --no-error-summary

LONG=(
  tests/test_walk.py
  tests/test_hostile_updates.py
  tests/test_e2e_crash.py
  tests/test_e2e_crash_webhook.py
  tests/test_e2e_replicas.py
  tests/test_e2e.py
  tests/test_outbox_sender.py
)
ignore=()
for file in "${LONG[@]}"; do ignore+=("--ignore=$file"); done
log="$(mktemp -t branchbot-long-tests.XXXXXX)"
started=$SECONDS
.venv/bin/python -m pytest -q -p no:cacheprovider "${LONG[@]}" >"$log" 2>&1 &
long_pid=$!
trap 'kill "$long_pid" 2>/dev/null' INT TERM
set +e
.venv/bin/python -m pytest -q "${ignore[@]}"
rest=$?
wait "$long_pid"
long=$?
set -e
echo
echo "── the long tests (${LONG[*]}), run beside the rest ──"
cat "$log"
rm -f "$log"
echo "── whole suite: $((SECONDS - started)) s wall; rest exit $rest, long tests exit $long ──"
if [ "$rest" -ne 0 ] || [ "$long" -ne 0 ]; then exit 1; fi
