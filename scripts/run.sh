#!/usr/bin/env bash
# Run coffre on the embedded default: SQLite + a local blob folder + a generated keyring, all in
# ./coffre-data (COFFRE_DATA_DIR to move it). Installs into .venv on first use.
#   bash scripts/run.sh [--host 127.0.0.1] [--port 8000]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/coffre ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e .
fi
exec .venv/bin/coffre serve "$@"
