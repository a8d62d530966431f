#!/usr/bin/env bash
# npm run test:system [-- --short]: the Debian package and the container image, tested for real.
#
#  1. npm run package, then lintian on the .deb: no error, no warning (overrides carry their reasons).
#  2. A minimal Debian 12 root made with debootstrap (cached in $SNAPSHOT_GUARD_TEST_CACHE, default
#     /var/cache/snapshot-guard-test, and reused while its package list is unchanged), copied and booted
#     with `systemd-nspawn -b`; test/system/inside.sh runs in it as a unit: install the .deb, seal,
#     shred, restore before the server starts, journalctl -p err, systemd-analyze verify and security.
#  3. The container image: podman builds the Dockerfile offline (--pull=never) on a base imported from
#     the same root, then its file system runs `snapshot-guard --version`, a one-shot seal and the
#     health check as the image's user, with chroot (podman run cannot start containers here).
#
# --short (CI): the package is compressed faster and lintian skips its informational tags; every check
# runs. Needs root; installs debootstrap, systemd-container, podman, buildah, lintian and dpkg-dev when
# they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SHORT=0
[ "${1:-}" = --short ] && SHORT=1
started=$(date +%s)
elapsed() { echo "$(($(date +%s) - started))s"; }
log() { echo "test:system [$(elapsed)] $*"; }
die() { echo "test:system: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, systemd-nspawn, podman); run it as root or in CI"

# --- tools ---------------------------------------------------------------------------------------------
missing=()
for tool in debootstrap:debootstrap systemd-nspawn:systemd-container podman:podman buildah:buildah \
  lintian:lintian dpkg-shlibdeps:dpkg-dev script:bsdutils redis-server:redis-server; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

WORK=$(mktemp -d /var/tmp/snapshot-guard-system.XXXXXX)
cleanup() {
  [ -n "${LINTIAN_PID:-}" ] && kill "$LINTIAN_PID" 2>/dev/null
  [ -n "${NSPAWN_TMPFS:-}" ] && umount /run/systemd/nspawn 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- 1. the package and lintian ------------------------------------------------------------------------
if [ -n "${SNAPSHOT_GUARD_TEST_DEB:-}" ]; then
  DEB=$SNAPSHOT_GUARD_TEST_DEB # a package built before, e.g. while working on the tests themselves
else
  log "npm run package"
  SNAPSHOT_GUARD_DEB_COMPRESSION=$([ $SHORT = 1 ] && echo 1 || echo 6) bash scripts/package.sh
  DEB=$(ls build/snapshot-guard_*_amd64.deb)
fi
VERSION=$(dpkg-deb -f "$DEB" Version)
# lintian takes a minute or two: it runs while the container boots, and is waited for below.
log "lintian $DEB (in the background)"
lintian_args=(--fail-on error,warning)
[ $SHORT = 1 ] || lintian_args+=(--display-info)
lintian "${lintian_args[@]}" "$DEB" >"$WORK/lintian.txt" 2>&1 &
LINTIAN_PID=$!

# --- 2. a Debian 12 root, cached ---------------------------------------------------------------------------
CACHE=${SNAPSHOT_GUARD_TEST_CACHE:-/var/cache/snapshot-guard-test}
# Debian's Node.js (18) is on PATH on purpose: the package must not use it. tini serves the image base.
INCLUDE=systemd,systemd-sysv,dbus,redis-server,nodejs,tini,libstdc++6
BASE_ID=bookworm-$(echo "$INCLUDE" | sha256sum | cut -c1-12)
BASE_ROOT=$CACHE/$BASE_ID
if [ ! -d "$BASE_ROOT" ]; then
  # The Debian mirror this machine's apt uses, else debootstrap's default.
  mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  log "debootstrap Debian 12 into $BASE_ROOT (once; later runs reuse it)"
  mkdir -p "$CACHE"
  rm -rf "$BASE_ROOT.tmp"
  debootstrap --variant=minbase --include="$INCLUDE" bookworm "$BASE_ROOT.tmp" ${mirror:+"$mirror"} \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  mv "$BASE_ROOT.tmp" "$BASE_ROOT"
fi

# --- 2b. boot it with the package and the test inside ------------------------------------------------------
log "booting a copy of $BASE_ID with systemd-nspawn -b"
ROOT=$WORK/root
cp -a "$BASE_ROOT" "$ROOT"
cp "$DEB" "$ROOT/root/snapshot-guard.deb"
echo "$VERSION" >"$ROOT/root/sg-version"
install -m 0755 test/system/inside.sh "$ROOT/root/inside.sh"
cat >"$ROOT/etc/systemd/system/sg-system-test.service" <<'EOF'
[Unit]
Description=snapshot-guard system test
[Service]
Type=oneshot
ExecStart=/root/inside.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=10min
ExecStopPost=/bin/systemctl --no-block poweroff
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/sg-system-test.service "$ROOT/etc/systemd/system/multi-user.target.wants/"
# nspawn refuses to clean up its propagation directory unless it is on a tmpfs (/run is not one here).
if [ "$(stat -f -c %T /run)" != tmpfs ] && ! mountpoint -q /run/systemd/nspawn; then
  mkdir -p /run/systemd/nspawn && mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
  NSPAWN_TMPFS=1
fi
# A terminal for the container's console (script): with a pipe, systemd 252 here stops at once.
boot_started=$(date +%s)
timeout 900 script -qec "systemd-nspawn -q -D '$ROOT' -b --register=no --keep-unit --private-network" \
  "$WORK/console.log" >/dev/null </dev/null || true
boot_seconds=$(($(date +%s) - boot_started))
if [ "$(cat "$ROOT/root/sg-result" 2>/dev/null)" != PASS ]; then
  tr -d '\r' <"$WORK/console.log" | grep -av '^\[' | tail -60
  die "inside the booted container: $(cat "$ROOT/root/sg-result" 2>/dev/null || echo 'no result')"
fi
log "booted test passed in ${boot_seconds}s:"
sed 's/^/    /' "$ROOT/root/sg-report"
rm -rf "$ROOT"

log "waiting for lintian"
lintian_rc=0
wait "$LINTIAN_PID" || lintian_rc=$?
unset LINTIAN_PID
grep -v 'running with root privileges' "$WORK/lintian.txt" | sed 's/^/    lintian: /' || true
grep -qE '^[EW]:' "$WORK/lintian.txt" || log "lintian: no errors, no warnings"
[ "$lintian_rc" = 0 ] || die "lintian reported errors or warnings (above)"

# --- 3. the container image --------------------------------------------------------------------------------
BASE_IMAGE=localhost/snapshot-guard-test-base:$BASE_ID
IMAGE=localhost/snapshot-guard:system-test
if ! podman image exists "$BASE_IMAGE"; then
  log "podman import $BASE_ID as $BASE_IMAGE"
  tar -C "$BASE_ROOT" -c . | podman import - "$BASE_IMAGE" >/dev/null
fi
log "podman build --pull=never --format docker --build-arg BASE=$BASE_IMAGE"
# chroot isolation: RUN steps cannot start a container runtime here (cgroup and process limits).
podman build -q --isolation chroot --pull=never --format docker --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE" . \
  >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; die "podman build failed"; }
bash test/system/image.sh "$IMAGE" "$VERSION"
podman rmi -f "$IMAGE" >/dev/null

log "passed in $(elapsed) (package $(du -h "$DEB" | cut -f1))"
