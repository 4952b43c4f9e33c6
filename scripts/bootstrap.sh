#!/usr/bin/env bash
# Create .venv and install the project with its test tools; repeated runs only reinstall when pyproject changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    found=$("$PYTHON" -c 'import platform; print("Python", platform.python_version())' 2>/dev/null) || found="not a Python"
    echo "Python 3.11 or newer is needed; $PYTHON is $found. Run again with PYTHON=/path/to/python3.11 (or newer)." >&2
    exit 1
  fi
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  # pip's own chatter goes to a log, shown only when the installation fails.
  log=.venv/install.log
  echo "Installing the project into .venv (the first time takes a few minutes; log: $log)…" >&2
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip \
      && .venv/bin/python -m pip install --quiet -e ".[dev]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "The installation failed (see above, or $log)." >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# The measures' search indexes, built once and kept (bot/measures/index_cache.py): `branchbot ask` and the bot's first
# answer load them instead of building them (about a second). Optional: without it the first use builds them.
.venv/bin/python -c 'from bot.measures import get_index; get_index("zh"); get_index("en")' \
  || echo "Could not build the measures' indexes now; the first question will." >&2
# Charts (ledger feature) need a Simplified Chinese font: Debian's fonts-wqy-microhei (文泉驿微米黑), installed here,
# never downloaded at run time. Without root, say how; the ledgers are still written, without their pictures.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ -z "${BRANCHBOT_CHART_FONT:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the Chinese font for charts (Debian package fonts-wqy-microhei)…" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; } \
      || echo "Could not install fonts-wqy-microhei; charts will be refused until it is installed." >&2
  else
    echo "Charts need a Chinese font: sudo apt-get install fonts-wqy-microhei (or set BRANCHBOT_CHART_FONT)." >&2
  fi
fi
