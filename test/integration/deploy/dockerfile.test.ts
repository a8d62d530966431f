/**
 * Dockerfile and .dockerignore, checked without a Docker engine (none runs on these machines; hadolint
 * is not packaged in Debian): the structure of both stages, the Node.js major kept in step with the
 * project's pinned runtime and package.json, a non-root user, tini as PID 1, and a HEALTHCHECK whose
 * command really tells a live /healthz from a dead one.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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

/** The Node.js version scripts/setup.sh pins (it installs it when the system's Node is too old). */
function pinnedNodeMajor(): number {
  const m = /^NODE_PIN=(\d+)\.\d+\.\d+$/m.exec(readFileSync('scripts/setup.sh', 'utf8'));
  if (!m?.[1]) throw new Error('no NODE_PIN=X.Y.Z in scripts/setup.sh');
  return Number(m[1]);
}

describe('Dockerfile', () => {
  it('is multi-stage on the pinned Node.js LTS major, bookworm-slim, pinned by tag', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const major = pinnedNodeMajor();
    expect(major).toBe(24);
    for (const s of stages) expect(s.from).toBe(`node:${major}-bookworm-slim`);
    // package.json's engines range must accept that major.
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } })
      .engines.node;
    const min = /^>=(\d+)/.exec(engines);
    expect(min?.[1], `engines.node "${engines}"`).toBeDefined();
    expect(major).toBeGreaterThanOrEqual(Number(min![1]));
  });

  it('builds with dev dependencies and ships only production ones', () => {
    const build = stages[0]!;
    expect(ops(build, 'RUN')).toContain('npm ci --no-audit --no-fund --loglevel=error');
    expect(ops(build, 'RUN')).toContain('npm run build');
    expect(ops(runtime, 'RUN').some((r) => r.startsWith('npm ci --omit=dev'))).toBe(true);
    expect(ops(runtime, 'RUN').join(' ')).not.toMatch(/npm (ci|install)(?! --omit=dev)/);
  });

  it('copies bin/ and the compiled dist/ side by side, as bin/snapshot-guard expects', () => {
    const copies = ops(runtime, 'COPY');
    expect(copies).toContain('--from=build /src/dist ./dist');
    expect(copies).toContain('bin ./bin');
    expect(readFileSync('bin/snapshot-guard', 'utf8')).toContain("'../dist/cli/main.js'");
    // dist/cli/program.js reads ../../package.json for --version.
    expect(copies).toContain('package.json package-lock.json ./');
  });

  it('runs as a non-root user under tini with snapshot-guard as the entry point', () => {
    const users = ops(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).toMatch(/^[1-9]\d{3,}(:\d+)?$/); // a numeric uid, so runAsNonRoot can verify it
    expect(ops(runtime, 'RUN').some((r) => /apt-get install .*\btini\b/.test(r))).toBe(true);
    const entrypoint = JSON.parse(ops(runtime, 'ENTRYPOINT')[0] ?? 'null') as string[];
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', 'snapshot-guard']);
    expect(ops(runtime, 'RUN').some((r) => r.includes('/usr/local/bin/snapshot-guard'))).toBe(true);
    // USER comes after every RUN: nothing runs as root after it.
    const lastRun = runtime.instructions.map((i) => i.op).lastIndexOf('RUN');
    expect(runtime.instructions.findIndex((i) => i.op === 'USER')).toBeGreaterThan(lastRun);
  });

  it('exposes the metrics port and has a HEALTHCHECK on /healthz of the default address', () => {
    const port = DEFAULT_METRICS_ADDR.split(':')[1];
    expect(ops(runtime, 'EXPOSE')).toEqual([port]);
    const hc = ops(runtime, 'HEALTHCHECK')[0] ?? '';
    expect(hc).toContain(`http://127.0.0.1:${port}/healthz`);
  });

  it('the HEALTHCHECK command exits 0 against a live /healthz and 1 when nothing listens', async () => {
    const hc = ops(runtime, 'HEALTHCHECK')[0] ?? '';
    const cmd = JSON.parse(hc.slice(hc.indexOf('CMD ') + 4)) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    const server = await startObserveServer({
      port: 0,
      metrics: new PrometheusObserver({ version: 'test', defaultMetrics: false }),
      readiness: () => ({ ready: true, reasons: [] }),
    });
    const script = cmd[2]!.replace(':9464/', `:${server.address.port}/`);
    const run = promisify(execFile);
    try {
      await expect(run(process.execPath, ['-e', script])).resolves.toBeDefined();
    } finally {
      await server.close();
    }
    await expect(run(process.execPath, ['-e', script])).rejects.toMatchObject({ code: 1 });
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
