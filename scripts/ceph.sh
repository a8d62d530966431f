#!/usr/bin/env bash
# A one-node Ceph cluster on 127.0.0.1 for the S3 store tests: one monitor, one OSD keeping objects in
# memory (memstore), one RADOS Gateway (beast frontend) speaking S3, and one S3 user.
#
#   scripts/ceph.sh start [DIR]   start it under DIR (default: a new temp dir); prints shell exports:
#                                 CEPH_DIR, AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                                 AWS_REGION, SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE
#   scripts/ceph.sh stop DIR      stops the three daemons by their pid files and removes DIR
#   scripts/ceph.sh start-gateway DIR PORT    starts one more radosgw on PORT (its own pid file), for
#                                             outage tests that must not disturb other tests
#   scripts/ceph.sh stop-gateway DIR PORT     stops that gateway by its pid file
#
# Ports: CEPH_MON_PORT (default 16789), CEPH_RGW_PORT (default 17480). cephx keys are used on purpose:
# with "auth = none" radosgw hangs for minutes at start. Installs the packages when they are missing.
set -euo pipefail

MON_PORT="${CEPH_MON_PORT:-16789}"
RGW_PORT="${CEPH_RGW_PORT:-17480}"
ACCESS_KEY="${CEPH_ACCESS_KEY:-sgtestaccesskey0001}"
SECRET_KEY="${CEPH_SECRET_KEY:-sgtestsecretkey0000000000000000000000001}"

need_packages() {
  local missing=()
  for p in ceph-mon ceph-osd radosgw; do command -v "$p" >/dev/null || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ceph.sh: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd >&2
}

wait_for() { # what, seconds, command...
  local what="$1" secs="$2"
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "ceph.sh: $what did not come up within ${secs}s (logs in $DIR/log)" >&2
      return 1
    fi
    sleep 0.2
  done
}

rgw_answers() { curl -s -o /dev/null "http://127.0.0.1:$1/"; }

start_gateway() {
  radosgw -c "$DIR/ceph.conf" -n client.rgw.local --keyring "$DIR/rgw.keyring" >&2
  wait_for radosgw 120 rgw_answers "$RGW_PORT"
}

start_extra_gateway() { # port
  local port="$1"
  radosgw -c "$DIR/ceph.conf" -n client.rgw.local --keyring "$DIR/rgw.keyring" \
    --rgw-frontends "beast endpoint=127.0.0.1:$port" --pid-file "$DIR/run/rgw-$port.pid" \
    --admin-socket "$DIR/run/rgw-$port.asok" --log-file "$DIR/log/rgw-$port.log" >&2
  wait_for "radosgw on port $port" 120 rgw_answers "$port"
}

stop_pidfile() { # pid file: TERM, then KILL after 10 s
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}

start() {
  need_packages
  DIR="${1:-$(mktemp -d /tmp/sg-ceph.XXXXXX)}"
  mkdir -p "$DIR"/{mon,osd,run,log}
  chmod 700 "$DIR"
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  cat >"$DIR/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
ms bind msgr1 = false
ms bind port min = $((MON_PORT + 10))
ms bind port max = $((MON_PORT + 60))
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/admin.keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail crit = 0
mon data avail warn = 0
[mon.a]
mon data = $DIR/mon
[osd.0]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-4294967296}
[client.rgw.local]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
EOF
  local c=(-c "$DIR/ceph.conf")
  ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/osd.keyring" --gen-key -n osd.0 \
    --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool --create-keyring "$DIR/rgw.keyring" --gen-key -n client.rgw.local \
    --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  cp "$DIR/mon.keyring" "$DIR/mon-all.keyring"
  for k in admin osd rgw; do ceph-authtool "$DIR/mon-all.keyring" --import-keyring "$DIR/$k.keyring" >/dev/null; done
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon-all.keyring"
  ceph-mon "${c[@]}" -i a
  wait_for ceph-mon 60 ceph "${c[@]}" --connect-timeout 2 mon stat

  local uuid
  uuid="$(cat /proc/sys/kernel/random/uuid)"
  ceph "${c[@]}" osd new "$uuid" 0 >/dev/null
  cp "$DIR/osd.keyring" "$DIR/osd/keyring"
  ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$uuid" --keyring "$DIR/osd/keyring" >/dev/null 2>&1
  ceph-osd "${c[@]}" -i 0 --keyring "$DIR/osd/keyring" 2>>"$DIR/log/osd-start.log"
  osd_up() { ceph "${c[@]}" osd stat | grep -q '1 up'; }
  wait_for ceph-osd 60 osd_up

  start_gateway
  radosgw-admin "${c[@]}" user create --uid=snapshot-guard-test --display-name="snapshot-guard tests" \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null
  cat <<EOF
export CEPH_DIR=$DIR
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$RGW_PORT
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=us-east-1
export SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE=true
EOF
}

stop() {
  DIR="${1:?usage: ceph.sh stop DIR}"
  [ -f "$DIR/ceph.conf" ] || { echo "ceph.sh: $DIR holds no cluster" >&2; return 1; }
  for f in "$DIR"/run/rgw-*.pid "$DIR"/run/client.rgw.local.pid "$DIR"/run/osd.0.pid "$DIR"/run/mon.a.pid; do
    stop_pidfile "$f"
  done
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  start-gateway) DIR="${2:?}"; start_extra_gateway "${3:?usage: ceph.sh start-gateway DIR PORT}" ;;
  stop-gateway) DIR="${2:?}"; stop_pidfile "$DIR/run/rgw-${3:?usage: ceph.sh stop-gateway DIR PORT}.pid" ;;
  *) echo "usage: scripts/ceph.sh start [DIR] | stop DIR | start-gateway DIR PORT | stop-gateway DIR PORT" >&2; exit 2 ;;
esac
