#!/usr/bin/env bash
# The test command: `bash scripts/test.sh [pytest arguments]`.
# On a fresh Debian 12 machine, as root: installs the servers the tests need, makes .venv and
# node_modules (axe-core for the browser tests), starts PostgreSQL and Ceph RGW (a real S3) on
# free loopback ports, runs ruff, mypy and pytest against them, and stops the servers whatever
# happens. Exits with the status of the first failure.
# Each run keeps its servers in its own temp folder, so two runs on one machine do not collide.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(postgresql ceph-mon ceph-osd radosgw chromium fonts-noto-color-emoji uuid-runtime curl)
PYTHON=${PYTHON:-python3}
VENV=.venv
START_NS=$(date +%s%N)

log() {
  local ms=$((($(date +%s%N) - START_NS) / 1000000))
  printf '[test.sh %3d.%ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3 python3-venv)
  # Any Node.js with npm will do (NodeSource's nodejs carries npm, Debian's comes apart).
  command -v npm >/dev/null || missing+=(nodejs npm)
  # Skipping apt when all is there keeps the inner loop fast (apt-get update alone takes seconds).
  [ ${#missing[@]} -eq 0 ] && return
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_venv() {
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  # Reinstall only when the pins changed: a no-op `pip install` still costs ~3 s.
  local stamp=$VENV/.coffre-installed want
  want=$(cat pyproject.toml requirements/test.lock | sha256sum | cut -d' ' -f1)
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return
  # Every dependency from the hashed lock (a file that does not match its hash is refused),
  # then coffre itself without dependencies.
  log "pip install --require-hashes -r requirements/test.lock; pip install --no-deps -e ."
  local out
  out=$(mktemp)
  { "$VENV/bin/pip" install -q --require-hashes -r requirements/test.lock &&
    "$VENV/bin/pip" install -q --no-deps -e .; } >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; return 1; }
  rm -f "$out"
  echo "$want" >"$stamp"
}

setup_node_modules() {
  # axe-core for the browser tests, at the version package-lock.json pins. `npm ci` empties
  # node_modules first, so it runs only when the lock changed or the package is missing.
  local stamp=node_modules/.coffre-installed want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f node_modules/axe-core/axe.min.js ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return
  log "npm ci"
  local out
  out=$(mktemp)
  npm ci --no-audit --no-fund >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; return 1; }
  rm -f "$out"
  echo "$want" >"$stamp"
}

log "packages"
install_packages
log "virtualenv"
setup_venv
log "node_modules"
setup_node_modules

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coffre-test.XXXXXX")
chmod 755 "$RUN_DIR" # the postgres user must reach its data folder inside
export CEPH_DIR=$RUN_DIR/ceph PGDIR=$RUN_DIR/pg PYTHON
export S3_ACCESS_KEY=coffretestaccess S3_SECRET_KEY=coffretestsecret
starters=()

cleanup() {
  local status=$?
  trap - EXIT
  # A starter killed half-way may already have daemons up: the pid files find them.
  for pid in "${starters[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "${kms_server:-}" ] && kill "$kms_server" 2>/dev/null || true
  wait 2>/dev/null || true
  bash scripts/ceph-rgw.sh stop >/dev/null 2>&1 || true
  bash scripts/pg.sh stop >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
  log "done, status $status"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting PostgreSQL and Ceph RGW"
bash scripts/pg.sh start >"$RUN_DIR/pg.out" 2>&1 &
pg_starter=$!
bash scripts/ceph-rgw.sh start >"$RUN_DIR/ceph.out" 2>&1 &
ceph_starter=$!
starters=("$pg_starter" "$ceph_starter")
# A KMS speaking the AWS API, for the KMS master-key provider.
KMS_PORT=$("$VENV/bin/python" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$KMS_PORT" >"$RUN_DIR/moto.out" 2>&1 &
kms_server=$!

# The static checks need no server: they run while the servers boot.
log "ruff check"
"$VENV/bin/ruff" check .
log "ruff format --check"
"$VENV/bin/ruff" format --check .
log "mypy"
"$VENV/bin/mypy"
log "bandit, pip-audit"
VENV=$VENV bash scripts/audit.sh

wait "$pg_starter" || { cat "$RUN_DIR/pg.out" >&2; log "PostgreSQL did not start"; exit 1; }
wait "$ceph_starter" || { cat "$RUN_DIR/ceph.out" >&2; log "Ceph RGW did not start"; exit 1; }
log "servers up"

# The contract with tests/conftest.py.
COFFRE_TEST_DATABASE_URL=$(cat "$PGDIR/url")
COFFRE_TEST_S3_ENDPOINT=$(cat "$CEPH_DIR/endpoint")
COFFRE_TEST_KMS_ENDPOINT=http://127.0.0.1:$KMS_PORT
for _ in $(seq 1 100); do curl -s -o /dev/null "$COFFRE_TEST_KMS_ENDPOINT" && break; sleep 0.1; done
export COFFRE_TEST_DATABASE_URL COFFRE_TEST_S3_ENDPOINT COFFRE_TEST_KMS_ENDPOINT
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1 COFFRE_TEST_CHROMIUM=/usr/bin/chromium
# Whatever AWS identity the developer's shell holds must not leak into the tests.
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
# The browser tests' screenshots (every page, 320 and 1280 px, French and Arabic): CI's artefacts.
export COFFRE_TEST_SCREENSHOTS=${COFFRE_TEST_SCREENSHOTS:-$PWD/screenshots}
mkdir -p "$COFFRE_TEST_SCREENSHOTS"

# Each test has its own database, bucket and keyring, so most run in parallel workers (one per
# core by default; README.md has the figures). Those that time something run after, alone.
# pytest exits 5 when a part has no test, as when the arguments name only tests of the other part.
WORKERS=${COFFRE_TEST_WORKERS:-auto}
status=0
log "pytest -n $WORKERS --part shared $*"
"$VENV/bin/pytest" -n "$WORKERS" --part shared "$@" || status=$?
log "pytest --part alone $*"
alone=0
"$VENV/bin/pytest" --part alone "$@" || alone=$?
# The shared part's failure first; a part without tests (5) yields to the other part's status.
if [ "$status" -eq 5 ]; then
  status=$alone
elif [ "$status" -eq 0 ] && [ "$alone" -ne 5 ]; then
  status=$alone
fi
exit "$status"
