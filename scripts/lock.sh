#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml's pins, after any change of a dependency:
#   requirements/app.lock   what coffre runs on (the Dockerfile installs it)
#   requirements/test.lock  that and the test tools (scripts/test.sh installs it)
# pip-tools runs from a throwaway virtualenv so it never mixes with the project's own.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q pip-tools==7.6.2
compile() {
  "$tools/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --no-header "$@" pyproject.toml
}
compile -o requirements/app.lock
compile --extra test -o requirements/test.lock
