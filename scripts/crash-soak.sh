#!/usr/bin/env bash
# Long crash-safety soak: many random SIGKILLs during sealing (CI runs 50; default here 500).
# Usage: scripts/crash-soak.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npm run --silent build
SG_CRASH_RUNS="${1:-500}" npx vitest run test/e2e/watch/crash.test.ts -t 'random SIGKILLs'
