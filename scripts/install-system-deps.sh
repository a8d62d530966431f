#!/usr/bin/env bash
# Debian packages the test suite uses, installed only when missing:
#   redis-server (real snapshot producer/consumer), python3-cryptography (independent decoder),
#   prometheus (promtool), age (benchmark comparison),
#   radosgw ceph-mon ceph-osd (a one-node Ceph cluster for the S3 store tests: scripts/ceph.sh).
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v promtool >/dev/null || missing+=(prometheus)
command -v age >/dev/null || missing+=(age)
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
/usr/bin/python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml) # deploy tests read YAML (alerts, kustomize output)
command -v systemd-analyze >/dev/null || missing+=(systemd) # deploy tests: systemd-analyze verify/security
for p in radosgw ceph-mon ceph-osd; do command -v "$p" >/dev/null || missing+=("$p"); done # S3 store tests
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-system-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# promtool's package starts a Prometheus server under systemd-less containers only if asked; nothing to stop.
