#!/usr/bin/env bash
# The whole test suite: setup (pinned Node, npm ci, build), system packages, type-check, lint, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
bash scripts/install-system-deps.sh
echo "== type-check"; npm run --silent typecheck
echo "== lint"; npm run --silent lint
echo "== tests"; npx vitest run "$@"
