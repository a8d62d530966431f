#!/usr/bin/env bash
# Quick start: sets everything up and runs the watcher with a local key file (no cloud account needed).
#   demo/dragonfly  point Dragonfly's --dir (or redis-server's --dir) here
#   demo/sealed     sealed sets appear here
#   demo/key        the local key (back it up: without it nothing sealed can be restored)
# Extra arguments go to `snapshot-guard watch` (for example --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
. scripts/env.sh
umask 077
mkdir -p demo/dragonfly demo/sealed
[ -f demo/key ] || ./bin/snapshot-guard keygen --out demo/key
cat >&2 <<MSG
snapshot-guard demo: watching $(pwd)/demo/dragonfly -> $(pwd)/demo/sealed (Ctrl-C to stop)
  try, in another terminal:  redis-server --port 6390 --dir $(pwd)/demo/dragonfly --save '' &
                             redis-cli -p 6390 set hello world && redis-cli -p 6390 bgsave
  or with Dragonfly:         dragonfly --dir $(pwd)/demo/dragonfly --dbfilename 'dump-{timestamp}'
  then:                      ./bin/snapshot-guard list --from demo/sealed
MSG
exec ./bin/snapshot-guard watch --dir demo/dragonfly --out demo/sealed --key-file demo/key "$@"
