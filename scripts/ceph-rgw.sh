#!/usr/bin/env bash
# Throwaway single-node Ceph (Debian 12: pacific) for the tests: 1 mon + 1 memstore OSD + radosgw,
# no systemd, no mgr, no cephx, everything under $CEPH_DIR, all on 127.0.0.1.
#   bash scripts/ceph-rgw.sh start  -> writes the S3 endpoint to $CEPH_DIR/endpoint, exits 0 once
#                                      boto3 can use it (user $S3_ACCESS_KEY / $S3_SECRET_KEY)
#   bash scripts/ceph-rgw.sh stop   -> stops the three daemons by their pid files
#   bash scripts/ceph-rgw.sh start-once -> one attempt of start, no second try
# Needs: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw uuid-runtime curl
# Real Ceph rather than a mock: it is as strict as production S3 (SSE-C, signatures, 5 MB parts).
set -euo pipefail
CEPH_DIR=${CEPH_DIR:-/tmp/coffre-ceph}
PYTHON=${PYTHON:-python3}
free_port() { "$PYTHON" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# Fresh ports at each start: with fixed ones a dying daemon of an earlier run sometimes answered
# for this one ("wrong fsid"), and parallel runs on one machine would collide.
MON_PORT=${MON_PORT:-$(free_port)}
RGW_PORT=${RGW_PORT:-$(free_port)}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-testaccesskey}
S3_SECRET_KEY=${S3_SECRET_KEY:-testsecretkey}
OBJECTSTORE=${OBJECTSTORE:-memstore}   # memstore (RAM, fastest) or bluestore (sparse 10G file)
MEMSTORE_BYTES=${MEMSTORE_BYTES:-4294967296}  # the memstore's size: RAM taken as objects come
CONF=$CEPH_DIR/ceph.conf
export CEPH_CONF=$CONF

stop() {
  local d f p pids=()
  for d in client.rgw.a osd.0 mon.a; do
    f=$CEPH_DIR/run/$d.pid
    [ -f "$f" ] || continue
    p=$(cat "$f")
    rm -f "$f"
    # Only our daemons: a stale pid file may name a pid since reused by another program.
    case "$(cat "/proc/$p/comm" 2>/dev/null)" in ceph-mon | ceph-osd | radosgw) pids+=("$p") ;; esac
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  # The cluster is thrown away: no need for a clean shutdown, which takes ~2 s per daemon.
  kill -9 "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && continue 2; done
    return 0
  done
}

# Right after the monitor starts, a ceph client sometimes sends its first command before it has
# learnt the cluster id, and the monitor refuses it ("wrong fsid", EPERM): try again.
retry() {
  local _
  for _ in $(seq 1 20); do
    "$@" 2>/dev/null && return 0
    sleep 0.25
  done
  "$@"
}

create_user() {
  radosgw-admin user create --uid=test --display-name=test \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null || [ $? = 17 ] # exists
}

fail() { echo "$1, see $CEPH_DIR/log" >&2; tail -n 20 "$CEPH_DIR"/log/*.log >&2 || true; exit 1; }

start_once() {
  stop
  rm -rf "$CEPH_DIR"; mkdir -p "$CEPH_DIR"/{mon.a,osd.0,run,log}
  FSID=$(uuidgen)
  cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
ms bind ipv6 = false
ms bind msgr2 = false
run dir = $CEPH_DIR/run
pid file = $CEPH_DIR/run/\$name.pid
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
osd crush chooseleaf type = 0
[mon]
mon data = $CEPH_DIR/\$name
mon cluster log file = $CEPH_DIR/log/cluster.log
[osd]
osd data = $CEPH_DIR/\$name
osd objectstore = $OBJECTSTORE
memstore device bytes = $MEMSTORE_BYTES
bluestore block path = $CEPH_DIR/\$name.block
bluestore block create = true
bluestore block size = 10737418240
bluestore fsck on mount = false
osd max object size = 134217728
# At boot an OSD would place itself in the CRUSH map by mon commands that it sometimes sends
# before it knows the cluster id: refused ("wrong fsid"), the OSD exits. We place it ourselves.
osd crush update on start = false
osd class update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $CEPH_DIR/rgw.a
rgw dns name = 127.0.0.1
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo=
CONF
  monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$CEPH_DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$CEPH_DIR/monmap"
  ceph-mon -i a                                      # daemonizes, writes run/mon.a.pid
  # Wait for *this* cluster's monitor, recognised by its fsid.
  for _ in $(seq 1 60); do [ "$(timeout 5 ceph fsid 2>/dev/null)" = "$FSID" ] && break; sleep 0.5; done
  [ "$(timeout 5 ceph fsid 2>/dev/null)" = "$FSID" ] || fail "mon.a did not come up"
  OSD_UUID=$(uuidgen)
  OSD_ID=$(retry ceph osd new "$OSD_UUID")           # -> 0
  retry ceph osd crush add "osd.$OSD_ID" 1.0 root=default >/dev/null
  ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" 2>/dev/null
  ceph-osd -i "$OSD_ID"                              # daemonizes, writes run/osd.0.pid
  for _ in $(seq 1 120); do ceph osd stat 2>/dev/null | grep -q "1 up" && break; sleep 0.5; done
  ceph osd stat | grep -q "1 up" || fail "osd.0 not up"
  # Pre-create RGW's pools in parallel: radosgw would create them one by one (~2-4 s more).
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
           default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    { retry ceph osd pool create "$p" 8 8 && retry ceph osd pool application enable "$p" rgw; } >/dev/null 2>&1 &
  done
  wait
  mkdir -p "$CEPH_DIR/rgw.a"
  radosgw -n client.rgw.a                            # daemonizes, writes run/client.rgw.a.pid
  for _ in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 0.5; done
  curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" || fail "radosgw not up"
  retry create_user
  echo "http://127.0.0.1:$RGW_PORT" > "$CEPH_DIR/endpoint"
  echo "S3 endpoint http://127.0.0.1:$RGW_PORT (written to $CEPH_DIR/endpoint)"
}

# Rarely (once in CI, never here) the monitor comes up but no client reaches it for 30 s: the
# whole test run was lost for it. Start again from nothing, on fresh ports, before giving up.
start() {
  local attempt
  for attempt in 1 2 3; do
    bash "$0" start-once && return 0
    echo "Ceph start, attempt $attempt failed: starting again from nothing" >&2
  done
  return 1
}

case "${1:-start}" in
  start) start ;;
  start-once) start_once ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
