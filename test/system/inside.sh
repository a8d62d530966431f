#!/bin/bash
# Runs inside the booted Debian 12 container (systemd-nspawn -b), as a oneshot unit, once the system is
# up. It installs the package and checks the units for real: users and directories, systemd-analyze
# verify and security, a redis-server standing in for Dragonfly, snapshots sealed and shredded by the
# service, the restore unit bringing the newest one back before the server starts, and a provoked
# error in `journalctl -p err`. Results go to /root/sg-result (PASS or FAIL: step) and /root/sg-report.
set -euo pipefail
export LC_ALL=C.UTF-8
RESULT=/root/sg-result
REPORT=/root/sg-report
SNAPSHOTS=/var/lib/dragonfly/snapshots
SEALED=/var/lib/snapshot-guard/sealed
: >"$REPORT"
step=start
journal() { journalctl -b --no-pager -n 60 -o short-monotonic -u snapshot-guard -u snapshot-guard-restore -u dragonfly >&2 || true; }
trap 'echo "FAIL: $step" >"$RESULT"; journal' ERR

say() { echo "== $*"; step=$*; }
note() { echo "$*" | tee -a "$REPORT"; }
fail() {
  echo "FAIL: $step: $*" >&2
  echo "FAIL: $step: $*" >"$RESULT"
  journal
  exit 1
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for() {
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${limit}s waiting for $what"
}
sets() { find "$SEALED" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort; }
have_sets() { [ -n "$(sets)" ]; }
redis() { redis-cli -h 127.0.0.1 -p 6379 "$@"; }

say "install the package beside Debian's own Node.js $(node --version)"
system_node=$(readlink -f "$(command -v node)")
dpkg -i /root/snapshot-guard.deb
[ "$(readlink -f "$(command -v node)")" = "$system_node" ] || fail "the system's node changed"
version=$(snapshot-guard --version)
[ "$version" = "$(cat /root/sg-version)" ] || fail "snapshot-guard --version printed '$version'"
note "snapshot-guard --version: $version (system node: $(node --version))"

say "sysusers and tmpfiles applied by the package"
id -nG snapshot-guard | grep -qw dragonfly || fail "snapshot-guard is not in group dragonfly"
id dragonfly >/dev/null
[ "$(stat -c '%a %U:%G' "$SNAPSHOTS")" = "2770 dragonfly:dragonfly" ] || fail "$SNAPSHOTS: $(stat -c '%a %U:%G' "$SNAPSHOTS")"
[ "$(stat -c '%a %U:%G' "$SEALED")" = "700 snapshot-guard:snapshot-guard" ] || fail "$SEALED: $(stat -c '%a %U:%G' "$SEALED")"
[ "$(stat -c '%a %U' /etc/snapshot-guard)" = "700 root" ] || fail "/etc/snapshot-guard: $(stat -c '%a %U' /etc/snapshot-guard)"

say "systemd-analyze verify of the installed units is clean"
out=$(systemd-analyze verify snapshot-guard.service snapshot-guard-restore.service 2>&1) || fail "$out"
[ -z "$out" ] || fail "verify printed: $out"

say "systemd-analyze security of the installed units"
for unit in snapshot-guard.service snapshot-guard-restore.service; do
  note "$(systemd-analyze security --no-pager "$unit" | grep 'Overall exposure level')"
done

say "a redis-server as Dragonfly's stand-in, with the package's drop-in"
systemctl disable --now redis-server.service >/dev/null 2>&1 || true
cat >/etc/systemd/system/dragonfly.service <<'EOF'
[Unit]
Description=redis-server standing in for Dragonfly
[Service]
User=dragonfly
Group=dragonfly
# No save points: nothing is written at shutdown, so only a restore can bring the data back.
ExecStart=/usr/bin/redis-server --bind 127.0.0.1 --port 6379 --dir /var/lib/dragonfly/snapshots --dbfilename dump.rdb --save "" --appendonly no
EOF
mkdir -p /etc/systemd/system/dragonfly.service.d
cp /usr/share/doc/snapshot-guard/examples/dragonfly.service.d/10-snapshot-guard-restore.conf /etc/systemd/system/dragonfly.service.d/
systemctl daemon-reload

say "the service starts with a new key"
snapshot-guard keygen --out /etc/snapshot-guard/snapshot-guard.key
echo 'SNAPSHOT_GUARD_DRAGONFLY_URL=redis://127.0.0.1:6379' >>/etc/snapshot-guard/snapshot-guard.env
systemctl enable --now snapshot-guard.service
systemctl start dragonfly.service
wait_for 30 "the stand-in answering" redis ping
wait_for 30 "snapshot-guard's /healthz" /usr/lib/snapshot-guard/bin/node -e \
  "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

say "a snapshot is sealed and its plaintext shredded by the service"
redis SET guard-key sealed-value >/dev/null
redis SAVE >/dev/null
wait_for 60 "a sealed set" have_sets
wait_for 60 "the plaintext removed" test ! -e "$SNAPSHOTS/dump.rdb"
note "sealed: $(sets | xargs -n1 basename | tr '\n' ' ')"
journalctl -b -u snapshot-guard --no-pager -o cat | grep -q '"msg":"sealed' || fail "no 'sealed' line in the journal"
sealed_before=$(sets | wc -l)

say "stop and start: the restore unit brings the snapshot back before the server starts"
systemctl stop dragonfly.service
# No snapshot left (the service's lock file, a dot file, stays).
[ -z "$(ls "$SNAPSHOTS")" ] || fail "a snapshot is left in $SNAPSHOTS after stop: $(ls "$SNAPSHOTS")"
systemctl start dragonfly.service
wait_for 30 "the stand-in answering" redis ping
[ "$(redis GET guard-key)" = sealed-value ] || fail "the key did not come back"
restore_end=$(systemctl show -P ExecMainExitTimestampMonotonic snapshot-guard-restore.service)
server_start=$(systemctl show -P ExecMainStartTimestampMonotonic dragonfly.service)
[ "$restore_end" -gt 0 ] && [ "$restore_end" -le "$server_start" ] ||
  fail "restore ended at $restore_end, the server started at $server_start"
note "restore finished $(((server_start - restore_end) / 1000)) ms before the server started"
# The service removes the restored plaintext once the server has loaded it, without sealing it again.
wait_for 60 "the restored plaintext removed" test ! -e "$SNAPSHOTS/dump.rdb"
[ "$(sets | wc -l)" = "$sealed_before" ] || fail "the restored snapshot was sealed again"

say "a provoked error (the restore with a key that cannot open the sets) shows in journalctl -p err"
systemctl stop dragonfly.service
mv /etc/snapshot-guard/snapshot-guard.key /root/right.key
snapshot-guard keygen --out /etc/snapshot-guard/snapshot-guard.key
since=$(date '+%Y-%m-%d %H:%M:%S')
if systemctl start dragonfly.service 2>/dev/null; then fail "the server started although the restore failed"; fi
errors=$(journalctl -p err --no-pager -o cat --since "$since")
note "journalctl -p err after the provoked failure:"
note "$(echo "$errors" | sed 's/^/    /')"
echo "$errors" | grep -q 'Failed to start snapshot-guard-restore.service' ||
  fail "no error naming snapshot-guard-restore.service"
# The program's own line ("none of the configured keys ...") reaches the journal at priority err only
# once the program marks its stderr lines for the journal; until then the report says so.
if echo "$errors" | grep -q 'none of the configured keys'; then
  note "snapshot-guard's own error line is at priority err"
else
  note "snapshot-guard's own error line is NOT at priority err (logged at info)"
fi
mv /root/right.key /etc/snapshot-guard/snapshot-guard.key
systemctl reset-failed snapshot-guard-restore.service dragonfly.service
systemctl start dragonfly.service
wait_for 30 "the stand-in answering" redis ping
[ "$(redis GET guard-key)" = sealed-value ] || fail "the key did not come back with the right key"

say "remove and purge keep the key and the sealed sets"
systemctl stop dragonfly.service
dpkg --purge snapshot-guard
[ -f /etc/snapshot-guard/snapshot-guard.key ] || fail "purge removed the key"
[ "$(sets | wc -l)" = "$sealed_before" ] || fail "purge touched the sealed sets"
[ ! -e /usr/bin/snapshot-guard ] || fail "/usr/bin/snapshot-guard still there"

step=done
echo PASS >"$RESULT"
