#!/usr/bin/env bash
# Set up and open the offline demo: a demo branch in ./data/demo.sqlite3, chatting as its secretary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/branchbot demo "$@"
