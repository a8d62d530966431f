#!/bin/sh
# /usr/bin/snapshot-guard: runs snapshot-guard on the Node.js runtime shipped in this package, never on
# the system's Node.js (which may be missing or too old).
exec /usr/lib/snapshot-guard/bin/node /usr/lib/snapshot-guard/app/dist/cli/main.js "$@"
