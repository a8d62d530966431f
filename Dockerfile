# snapshot-guard container image, made from the Debian package, so the image runs exactly what the .deb
# installs: the pinned Node.js runtime and the application under /usr/lib/snapshot-guard.
#   npm run package                                              # build/snapshot-guard_<version>_amd64.deb
#   podman build --format docker -t snapshot-guard:0.1.0 .      # or: docker build -t snapshot-guard:0.1.0 .
#   docker run --rm snapshot-guard:0.1.0 --help
# --format docker (podman, buildah): the OCI image format has no HEALTHCHECK and they drop it silently.
# BASE: any Debian 12 image. Offline, from a local base: --build-arg BASE=localhost/my-debian --pull=never;
# a base that already holds tini at TINI_VERSION needs no network at all.
# Runs as an unprivileged user (uid 10001) under tini, so signals reach Node.js and zombies are reaped.
# In Kubernetes the pod's securityContext decides the uid (deploy/kubernetes runs every container as 999).
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG TINI_VERSION=0.19.0-1+b3
RUN if [ "$(dpkg-query -W -f '${Version}' tini 2>/dev/null)" != "$TINI_VERSION" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends "tini=$TINI_VERSION" \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --system --gid 10001 snapshot-guard \
 && useradd --system --uid 10001 --gid snapshot-guard --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin snapshot-guard
# Only the runtime, the application and its licenses from the package: no systemd units or users.
COPY build/snapshot-guard_*_amd64.deb /tmp/deb/
RUN set -- /tmp/deb/*.deb \
 && [ "$#" -eq 1 ] \
 && dpkg-deb --fsys-tarfile "$1" | tar -x -C / ./usr/bin/snapshot-guard ./usr/lib/snapshot-guard \
      ./usr/share/doc/snapshot-guard/copyright ./usr/share/doc/snapshot-guard/node.LICENSE.gz \
 && rm -rf /tmp/deb \
 && snapshot-guard --version
COPY deploy/container/healthcheck.mjs /usr/lib/snapshot-guard/healthcheck.mjs
USER 10001:10001
# The metrics and health endpoints, with `watch --metrics-addr 0.0.0.0:9464` in a container.
EXPOSE 9464
# For `docker run` / compose; Kubernetes ignores it and uses the probes in deploy/kubernetes. It asks
# /healthz at the address the running `watch` was given (--metrics-addr or SNAPSHOT_GUARD_METRICS_ADDR).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/lib/snapshot-guard/bin/node", "/usr/lib/snapshot-guard/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "snapshot-guard"]
CMD ["--help"]
