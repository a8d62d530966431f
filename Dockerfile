# snapshot-guard container image.
#   docker build -t snapshot-guard:0.1.0 .
#   docker run --rm snapshot-guard:0.1.0 --help
# Runs as an unprivileged user (uid 10001) under tini, so signals reach Node.js and zombies are reaped.
# In Kubernetes the pod's securityContext decides the uid (deploy/kubernetes runs every container as 999).
# The Node.js major version follows the project's pinned runtime (scripts/setup.sh); a test keeps them in step.

# --- build: compile TypeScript with the dev dependencies --------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, the compiled code, nothing else -------------------------------
FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 snapshot-guard \
 && useradd --system --uid 10001 --gid snapshot-guard --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin snapshot-guard
WORKDIR /opt/snapshot-guard
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
RUN ln -s /opt/snapshot-guard/bin/snapshot-guard /usr/local/bin/snapshot-guard
USER 10001:10001
# The metrics and health endpoints (snapshot-guard watch --metrics-addr 0.0.0.0:9464 in a container).
EXPOSE 9464
# For `docker run` / compose. Kubernetes ignores it and uses the probes in deploy/kubernetes
# (/healthz for liveness, /readyz for readiness). Only meaningful for `watch` with the metrics server on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "snapshot-guard"]
CMD ["--help"]
