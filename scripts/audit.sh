#!/usr/bin/env bash
# Security audit of the code and of the pinned dependencies (run by scripts/test.sh):
#   bandit: no finding of high severity in coffre's own packages;
#   pip-audit: no known vulnerability in requirements/test.lock (PyPI's advisory service).
# Prints one line for each, with figures; exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/bandit" -q -r vault keys storage webui --severity-level high
echo "bandit: no high-severity finding in vault, keys, storage, webui"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$VENV/bin/pip-audit" --vulnerability-service pypi --requirement requirements/test.lock \
  --require-hashes --disable-pip --progress-spinner off --format json --output "$report" 2>/dev/null ||
  status=$?
"$VENV/bin/python" - "$report" "${status:-0}" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
deps = report["dependencies"]
found = [(d["name"], d["version"], v["id"]) for d in deps for v in d.get("vulns", [])]
unanswered = [d["name"] for d in deps if d.get("skip_reason")]
print(
    f"pip-audit: {len(deps)} pinned packages, {len(found)} known vulnerabilities, "
    f"{len(unanswered)} the advisory service could not answer for"
)
for name, version, vuln in found:
    print(f"  {name} {version}: {vuln}")
sys.exit(1 if found or (sys.argv[2] != "0" and not unanswered) else 0)
PY
