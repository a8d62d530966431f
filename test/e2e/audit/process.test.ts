/**
 * --pid against real processes: a process whose argv is a Dragonfly command line with a relative
 * --flagfile (read from the process's own working directory) and whose environment carries
 * DFLY_PASSWORD; and --dir against real directories (the daemon's permission checks, owner, tmpfs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../../helpers/redis-server.js';
import { auditJson, byId, idsOf } from '../../helpers/audit.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function tempDir(prefix: string, parent = tmpdir()): Promise<string> {
  const d = await mkdtemp(join(parent, prefix));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** A sleeping process whose /proc/PID/cmdline reads "dragonfly sleeper.mjs ARGS…". */
async function fakeDragonfly(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<ChildProcess> {
  await writeFile(
    join(cwd, 'sleeper.mjs'),
    "process.stdout.write('up\\n'); setInterval(() => {}, 1 << 30);\n",
  );
  const child = spawn(process.execPath, ['sleeper.mjs', ...args], {
    cwd,
    argv0: 'dragonfly',
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`sleeper exited ${code}`)));
  });
  cleanup.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  });
  return child;
}

describe('audit --pid', () => {
  it('reads the command line, the --flagfile it names (relative to its cwd) and DFLY_PASSWORD from its environment', async () => {
    const cwd = await tempDir('sg-audit-pid-');
    await mkdir(join(cwd, 'conf'));
    await writeFile(
      join(cwd, 'conf', 'dragonfly.conf'),
      [
        '# flag file of the running server',
        '--dir=/var/lib/dragonfly/snapshots',
        '--snapshot_interval=300',
        '--maxmemory=1gb',
        '--maxclients=1000',
      ].join('\n'),
    );
    const child = await fakeDragonfly(
      cwd,
      ['--flagfile=conf/dragonfly.conf', '--bind', '127.0.0.1', '--snapshot_cron=*/5 * * * *'],
      { DFLY_PASSWORD: 'pid-test-secret' },
    );
    const { r, report } = await auditJson(['--pid', String(child.pid)]);
    expect(report.server).toBe('dragonfly');
    expect(report.sources[0]).toBe(`--pid ${child.pid} (dragonfly)`);
    expect(idsOf(report.findings)).toEqual(['commands.dangerous medium', 'flag.snapshot_interval high']);
    expect(byId(report.findings, 'flag.snapshot_interval').evidence).toContain(
      `${cwd}/conf/dragonfly.conf:3`,
    );
    expect(r.code).toBe(1);
    expect(JSON.stringify(report)).not.toContain('pid-test-secret');
  });

  it('without DFLY_PASSWORD in its environment the process has no authentication', async () => {
    const cwd = await tempDir('sg-audit-pid-');
    const child = await fakeDragonfly(cwd, ['--bind=0.0.0.0', '--dir=/d', '--snapshot_cron=*/5 * * * *'], {});
    const { report } = await auditJson(['--pid', String(child.pid)]);
    expect(byId(report.findings, 'auth.password').severity).toBe('critical');
    expect(byId(report.findings, 'network.bind').severity).toBe('high');
  });
});

describe('audit --pid of a real redis-server', () => {
  it('knows it is Redis, says its flags cannot be read from /proc, and takes the live values instead', async () => {
    const dir = await tempDir('sg-audit-redis-');
    const redis = await RedisServer.start(dir, ['--maxmemory', '32mb']);
    cleanup.push(() => redis.stop());
    const pidOnly = await auditJson(['--pid', String(redis.child.pid)]);
    expect(pidOnly.report.server).toBe('redis');
    expect(pidOnly.report.sources[0]).toMatch(
      /\(redis-server\): Redis rewrites its command line, so its flags are unknown/,
    );
    expect(pidOnly.report.findings).toEqual([]);
    const both = await auditJson(['--pid', String(redis.child.pid), '--dragonfly-url', redis.url]);
    expect(idsOf(both.report.findings)).toEqual([
      'auth.live-unauthenticated critical',
      'auth.password medium',
      'commands.dangerous high',
      'resources.maxclients low',
      'snapshots.schedule high',
    ]);
  });
});

describe('audit --dir', () => {
  it("reports the daemon's own permission warnings: an open directory and world-readable snapshots", async () => {
    const dir = await tempDir('sg-audit-dir-');
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'dump-2026-01-01T00:00:00-summary.dfs'), 'x', { mode: 0o644 });
    await chmod(join(dir, 'dump-2026-01-01T00:00:00-summary.dfs'), 0o644);
    const { report } = await auditJson(['--dir', dir]);
    expect(idsOf(report.findings)).toEqual(['snapshots.dir-mode high', 'snapshots.files-readable high']);
    expect(byId(report.findings, 'snapshots.dir-mode').evidence).toBe(
      `--dir ${dir} is accessible by others (mode 0755)`,
    );
    expect(byId(report.findings, 'snapshots.dir-mode').fix).toMatch(/^chmod 700 /);
    expect(byId(report.findings, 'snapshots.files-readable').fix).toMatch(/UMask=0077/);

    await chmod(dir, 0o700);
    await chmod(join(dir, 'dump-2026-01-01T00:00:00-summary.dfs'), 0o600);
    expect((await auditJson(['--dir', dir])).report.findings).toEqual([]);
    await chmod(dir, 0o770);
    expect(idsOf((await auditJson(['--dir', dir])).report.findings)).toEqual(['snapshots.dir-mode low']);
    expect((await auditJson(['--dir', dir, '--allow-group-access'])).report.findings).toEqual([]);
  });

  it('a memory-backed --dir smaller than --maxmemory: a full snapshot does not fit', async () => {
    const dir = await tempDir('sg-audit-shm-', '/dev/shm');
    await chmod(dir, 0o700);
    const { report } = await auditJson(['--dir', dir, '--cmdline', `--dir=${dir} --maxmemory=64tb`]);
    const f = byId(report.findings, 'resources.memory-backed-dir');
    expect(f.severity).toBe('high');
    expect(f.evidence).toMatch(/is memory-backed with [\d.]+ GiB, less than --maxmemory=64tb/);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'with --pid: a directory another account owns, and a server running as root',
    async () => {
      const cwd = await tempDir('sg-audit-pid-');
      const dir = await tempDir('sg-audit-dir-');
      await chmod(dir, 0o700);
      await chown(dir, 65534, 65534);
      const child = await fakeDragonfly(cwd, [`--dir=${dir}`], {});
      const { report } = await auditJson(['--pid', String(child.pid), '--dir', dir]);
      expect(byId(report.findings, 'snapshots.dir-owner').evidence).toMatch(
        /belongs to (nobody|65534) but the server runs as uid 0/,
      );
      expect(byId(report.findings, 'process.root').severity).toBe('medium');
    },
  );
});
