#!/usr/bin/env bash
# test/system/image.sh IMAGE VERSION: runs the built image's file system as the image's user. `podman run`
# cannot start containers on these machines (crun cannot set the process limit), so the container is
# only created and mounted, and its file system runs under chroot in a PID namespace of its own (the
# health check looks for the watch process in /proc, as it would inside the container).
set -euo pipefail
IMAGE=$1
VERSION=$2
die() { echo "test:system: image: FAIL: $*" >&2; exit 1; }

config() { podman image inspect --format "{{json .Config.$1}}" "$IMAGE"; }
user=$(config User | tr -d '"')
[ "$user" = 10001:10001 ] || die "image user is '$user'"
healthcheck=$(config Healthcheck)
echo "$healthcheck" | grep -q healthcheck.mjs || die "no HEALTHCHECK in the image (built without --format docker?): $healthcheck"
# ["CMD","/usr/lib/snapshot-guard/bin/node","/usr/lib/snapshot-guard/healthcheck.mjs"] -> a command line
check_cmd=$(echo "$healthcheck" | sed -n 's/.*"Test":\["CMD",\(.*\)\],.*/\1/p' | tr -d '"' | tr ',' ' ')
[ -n "$check_cmd" ] || die "cannot read the HEALTHCHECK command: $healthcheck"

work=$(mktemp -d)
container=$(podman create "$IMAGE")
mnt=$(podman mount "$container")
cleanup() {
  podman umount "$container" >/dev/null 2>&1 || true
  podman rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A real RDB snapshot, from the host's redis-server, owned by the image's user.
redis-server --port 0 --unixsocket "$work/redis.sock" --dir "$work" --dbfilename dump.rdb --save '' \
  --daemonize no >/dev/null &
redis_pid=$!
for _ in $(seq 50); do [ -S "$work/redis.sock" ] && break; sleep 0.1; done
redis-cli -s "$work/redis.sock" SET image-key image-value >/dev/null
redis-cli -s "$work/redis.sock" SAVE >/dev/null
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
install -d -m 0700 -o 10001 -g 10001 "$mnt/tmp/sg" "$mnt/tmp/sg/dir"
install -m 0600 -o 10001 -g 10001 "$work/dump.rdb" "$mnt/tmp/sg/dir/dump.rdb"

cat >"$mnt/tmp/sg/run.sh" <<EOF
set -eu
export PATH=/usr/bin:/bin
test "\$(snapshot-guard --version)" = "$VERSION"
echo "image: snapshot-guard --version: \$(snapshot-guard --version) as \$(id -un) (\$(id -u))"
snapshot-guard keygen --out /tmp/sg/key >/dev/null
snapshot-guard watch --once --dir /tmp/sg/dir --out /tmp/sg/sealed --key-file /tmp/sg/key --metrics-addr off \
  --log-level warn
test ! -e /tmp/sg/dir/dump.rdb
sets=\$(ls /tmp/sg/sealed)
test -n "\$sets"
echo "image: one-shot seal: \$sets"
snapshot-guard restore --from /tmp/sg/sealed --latest --to /tmp/sg/restored --key-file /tmp/sg/key >/dev/null
cmp /tmp/sg/restored/dump.rdb /tmp/sg/original.rdb
echo "image: restore gives back the same bytes"
# The HEALTHCHECK asks the port the watch was given, not a fixed 9464.
if $check_cmd >/dev/null; then echo "healthy without a watch process" >&2; exit 1; fi
snapshot-guard watch --dir /tmp/sg/dir --out /tmp/sg/sealed --key-file /tmp/sg/key \
  --metrics-addr 127.0.0.1:19464 --log-level warn &
watch_pid=\$!
i=0
until $check_cmd >/dev/null; do i=\$((i + 1)); test \$i -lt 150; sleep 0.2; done
echo "image: HEALTHCHECK healthy on 127.0.0.1:19464"
kill \$watch_pid
wait \$watch_pid || true
EOF
install -m 0600 -o 10001 -g 10001 "$work/dump.rdb" "$mnt/tmp/sg/original.rdb"
chmod 0644 "$mnt/tmp/sg/run.sh"
unshare --pid --fork --mount --mount-proc="$mnt/proc" \
  sh -c "mount --rbind /dev '$mnt/dev' && exec env -i /usr/sbin/chroot --userspec=10001:10001 '$mnt' /bin/sh /tmp/sg/run.sh" ||
  die "running the image's file system failed"
