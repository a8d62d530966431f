#!/usr/bin/env bash
# Long crash-safety soak with a bucket as the store: many random SIGKILLs during uploads to a one-node
# Ceph RADOS Gateway (CI runs 20; default here 200). Starts and stops its own Ceph cluster.
# Usage: scripts/s3-soak.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npm run --silent build
SG_S3_CRASH_RUNS="${1:-200}" npx vitest run test/e2e/s3-crash.test.ts -t 'random SIGKILLs'
