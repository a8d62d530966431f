/**
 * Dockerfile and .dockerignore, checked without a container engine (test:system builds the image with
 * podman): the image is made from the Debian package on a Debian 12 base given as a build argument,
 * tini is pinned, a non-root user, and a HEALTHCHECK that asks /healthz at the address the running
 * `watch` was configured with (its --metrics-addr, else SNAPSHOT_GUARD_METRICS_ADDR, else the default).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_ADDR } from '../../../src/observe/listen-address.js';
import { PrometheusObserver } from '../../../src/observe/metrics.js';
import { startObserveServer } from '../../../src/observe/server.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions, with line continuations joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const op = m[1].toUpperCase();
    const args = m[2].trim().replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const f = /^(\S+)(?: AS (\S+))?$/i.exec(args);
      stages.push({ from: f?.[1] ?? args, name: f?.[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op, args });
    }
  }
  return stages;
}

const stages = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const runtime = stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('is one stage on a Debian 12 base given as a build argument, the Node.js runtime coming from the package', () => {
    expect(stages).toHaveLength(1);
    expect(runtime.from).toBe('${BASE}');
    const text = readFileSync('Dockerfile', 'utf8');
    expect(text).toMatch(/^ARG BASE=debian:bookworm-slim$/m);
    // No node:* image: the Node.js inside is the one the package bundles (scripts/setup.sh's NODE_PIN).
    expect(text).not.toMatch(/FROM node:/);
    expect(readFileSync('scripts/package.sh', 'utf8')).toContain('NODE_PIN=$(sed -n');
    // OCI-format builds drop HEALTHCHECK: the file says to build with --format docker.
    expect(text).toContain('--format docker');
  });

  it('installs the package payload: the wrapper and /usr/lib/snapshot-guard, nothing else of it', () => {
    expect(ops(runtime, 'COPY')).toContain('build/snapshot-guard_*_amd64.deb /tmp/deb/');
    const run = ops(runtime, 'RUN').join(' ');
    expect(run).toMatch(
      /dpkg-deb --fsys-tarfile "\$1" \| tar -x -C \/ \.\/usr\/bin\/snapshot-guard \.\/usr\/lib\/snapshot-guard /,
    );
    expect(run).toContain('snapshot-guard --version');
  });

  it('pins tini and installs it only when the base lacks that version', () => {
    expect(ops(runtime, 'ARG')).toContainEqual(
      expect.stringMatching(/^TINI_VERSION=\d+\.\d+\.\d+-\d+(\+b\d+)?$/),
    );
    expect(ops(runtime, 'RUN').join(' ')).toContain(
      'apt-get install -y --no-install-recommends "tini=$TINI_VERSION"',
    );
  });

  it('runs as a non-root user under tini with snapshot-guard as the entry point', () => {
    const users = ops(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).toMatch(/^[1-9]\d{3,}(:\d+)?$/); // a numeric uid, so runAsNonRoot can verify it
    const entrypoint = JSON.parse(ops(runtime, 'ENTRYPOINT')[0] ?? 'null') as string[];
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', 'snapshot-guard']);
    // USER comes after every RUN: nothing runs as root after it.
    const lastRun = runtime.instructions.map((i) => i.op).lastIndexOf('RUN');
    expect(runtime.instructions.findIndex((i) => i.op === 'USER')).toBeGreaterThan(lastRun);
  });

  it('exposes the default metrics port and runs the health check script on the bundled Node', () => {
    expect(ops(runtime, 'EXPOSE')).toEqual([DEFAULT_METRICS_ADDR.split(':')[1]]);
    const hc = ops(runtime, 'HEALTHCHECK')[0] ?? '';
    expect(JSON.parse(hc.slice(hc.indexOf('CMD ') + 4))).toEqual([
      '/usr/lib/snapshot-guard/bin/node',
      '/usr/lib/snapshot-guard/healthcheck.mjs',
    ]);
    expect(ops(runtime, 'COPY')).toContain(
      'deploy/container/healthcheck.mjs /usr/lib/snapshot-guard/healthcheck.mjs',
    );
  });
});

describe('the image health check follows the configured metrics address', () => {
  const run = promisify(execFile);
  let proc = '';
  let live: Awaited<ReturnType<typeof startObserveServer>>;
  let deadPort = 0;
  beforeAll(async () => {
    live = await startObserveServer({
      port: 0,
      metrics: new PrometheusObserver({ version: 'test', defaultMetrics: false }),
      readiness: () => ({ ready: true, reasons: [] }),
    });
    const probe = await startObserveServer({
      port: 0,
      metrics: new PrometheusObserver({ version: 'test', defaultMetrics: false }),
      readiness: () => ({ ready: true, reasons: [] }),
    });
    deadPort = probe.address.port;
    await probe.close();
  });
  afterAll(async () => {
    await live.close();
  });
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'sg-fake-proc-'));
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  /** A process in the fake /proc: its command line and environment, NUL-separated as the kernel has them. */
  function processWith(pid: number, argv: string[], env: string[] = []): void {
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
    writeFileSync(join(proc, String(pid), 'environ'), env.map((e) => `${e}\0`).join(''));
  }
  const watch = (...flags: string[]) => [
    '/usr/lib/snapshot-guard/bin/node',
    '/usr/lib/snapshot-guard/app/dist/cli/main.js',
    'watch',
    '--dir',
    '/data',
    ...flags,
  ];
  async function check(): Promise<{ code: number; out: string }> {
    try {
      const r = await run(process.execPath, ['deploy/container/healthcheck.mjs'], {
        env: { ...process.env, SNAPSHOT_GUARD_HEALTHCHECK_PROC: proc },
      });
      return { code: 0, out: r.stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string };
      return { code: e.code, out: e.stdout };
    }
  }

  it('asks the port given with --metrics-addr (not a fixed 9464)', async () => {
    processWith(1, ['/usr/bin/tini', '--', 'snapshot-guard', 'watch']);
    processWith(7, watch('--metrics-addr', `0.0.0.0:${live.address.port}`));
    expect(await check()).toEqual({ code: 0, out: '' });
  });

  it('asks the address in SNAPSHOT_GUARD_METRICS_ADDR, and the flag wins over it', async () => {
    processWith(7, watch(), [`SNAPSHOT_GUARD_METRICS_ADDR=127.0.0.1:${live.address.port}`]);
    expect((await check()).code).toBe(0);
    rmSync(join(proc, '7'), { recursive: true });
    processWith(8, watch(`--metrics-addr=127.0.0.1:${deadPort}`), [
      `SNAPSHOT_GUARD_METRICS_ADDR=127.0.0.1:${live.address.port}`,
    ]);
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.out).toBe(`unhealthy: http://127.0.0.1:${deadPort}/healthz: ECONNREFUSED\n`);
  });

  it('is unhealthy without a watch process, and healthy with the metrics server off', async () => {
    processWith(1, ['/usr/bin/tini', '--', 'snapshot-guard', 'restore', '--latest']);
    expect(await check()).toEqual({
      code: 1,
      out: 'unhealthy: no `snapshot-guard watch` process is running\n',
    });
    processWith(9, watch('--metrics-addr', 'off'));
    expect((await check()).code).toBe(0);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync('.dockerignore', 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('is an allow-list: everything is excluded unless named', () => {
    expect(lines[0]).toBe('*');
    for (const l of lines.slice(1)) expect(l.startsWith('!'), l).toBe(true);
  });

  it('lets in exactly what the Dockerfile copies from the build context', () => {
    const allowed = new Set(lines.slice(1).map((l) => l.slice(1).replace(/\/$/, '')));
    const sources = stages
      .flatMap((s) => ops(s, 'COPY'))
      .filter((c) => !c.startsWith('--from'))
      .flatMap((c) => c.split(' ').slice(0, -1));
    expect(new Set(sources)).toEqual(allowed);
  });
});
