/**
 * `watch --audit-every` in a real daemon: /metrics carries snapshot_guard_dragonfly_audit_findings for
 * each open finding and the time of the last audit; a fixed flag file clears its findings at the next
 * run; live probes of a real redis-server feed the same metric.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../../helpers/daemon.js';
import { freePort, RedisServer } from '../../helpers/redis-server.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';
import { fixture } from '../../helpers/audit.js';

let ws: Workspace | undefined;
let daemon: Daemon | undefined;
let redis: RedisServer | undefined;
let redisDir: string | undefined;
afterEach(async () => {
  await daemon?.kill('SIGTERM');
  await redis?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
  await ws?.cleanup();
  ws = daemon = redis = redisDir = undefined;
});

async function auditSeries(port: number): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('snapshot_guard_dragonfly_audit_'));
}

const audits = (d: Daemon): number => d.count((l) => l.msg === 'Dragonfly audit done');

describe('watch --audit-every', () => {
  it('exports the findings of a flag file, and drops them once the file is fixed', async () => {
    ws = await workspace();
    const flags = join(ws.root, 'dragonfly.conf');
    await copyFile(fixture('analyses-current.flags'), flags);
    const port = await freePort();
    daemon = Daemon.start(
      ws.args(
        '--metrics-addr',
        `127.0.0.1:${port}`,
        '--audit-every',
        '500ms',
        '--flagfile',
        flags,
        '--env-file',
        fixture('hardened.env'),
      ),
    );
    await daemon.waitFor((l) => l.msg === 'Dragonfly audit done', 30_000, 'the first audit');
    const before = Math.floor(Date.now() / 1000);
    const series = await auditSeries(port);
    expect(series).toEqual(
      expect.arrayContaining([
        'snapshot_guard_dragonfly_audit_findings{check="flag.snapshot_interval",severity="high"} 1',
        'snapshot_guard_dragonfly_audit_findings{check="flag.maxmemory-policy",severity="high"} 1',
        'snapshot_guard_dragonfly_audit_findings{check="flag.loglevel",severity="high"} 1',
        'snapshot_guard_dragonfly_audit_findings{check="snapshots.schedule",severity="high"} 1',
        'snapshot_guard_dragonfly_audit_findings{check="commands.dangerous",severity="medium"} 1',
        'snapshot_guard_dragonfly_audit_findings{check="resources.maxclients",severity="low"} 1',
      ]),
    );
    const last = Number(
      /^snapshot_guard_dragonfly_audit_last_run_timestamp_seconds (\d+)$/m.exec(series.join('\n'))?.[1],
    );
    expect(Math.abs(last - before)).toBeLessThanOrEqual(5);
    // Each new finding is logged once, with its fix.
    const logged = daemon.logs.find(
      (l) => l.msg === 'Dragonfly audit finding' && l.check === 'flag.snapshot_interval',
    );
    expect(logged?.fix).toBe('--snapshot_cron="*/5 * * * *" (crontab syntax)');

    await copyFile(fixture('hardened.flags'), flags);
    const runs = audits(daemon);
    await eventually(() => audits(daemon!) >= runs + 2, 30_000, 'two more audits');
    expect((await auditSeries(port)).filter((l) => l.includes('_findings{'))).toEqual([]);
    expect(
      daemon.count(
        (l) => l.msg === 'Dragonfly audit finding resolved' && l.check === 'flag.snapshot_interval',
      ),
    ).toBe(1);
    expect(
      daemon.count((l) => l.msg === 'Dragonfly audit finding' && l.check === 'flag.snapshot_interval'),
    ).toBe(1);
  });

  it('live probes of a real redis-server without a password: the authentication finding is exported', async () => {
    ws = await workspace();
    redisDir = await mkdtemp(join(tmpdir(), 'sg-audit-watch-redis-'));
    redis = await RedisServer.start(redisDir);
    const port = await freePort();
    daemon = Daemon.start(
      ws.args('--metrics-addr', `127.0.0.1:${port}`, '--audit-every', '1h', '--dragonfly-url', redis.url),
    );
    await daemon.waitFor((l) => l.msg === 'Dragonfly audit done', 30_000, 'the first audit');
    const series = await auditSeries(port);
    expect(series).toContain(
      'snapshot_guard_dragonfly_audit_findings{check="auth.live-unauthenticated",severity="critical"} 1',
    );
    expect(daemon.logs.find((l) => l.check === 'auth.live-unauthenticated')?.level).toBe(40); // warn
  });

  it('audit inputs without --audit-every are a usage error', async () => {
    ws = await workspace();
    daemon = Daemon.start(ws.args('--flagfile', fixture('hardened.flags')));
    expect(await daemon.wait()).toBe(2);
    expect(daemon.stderr).toMatch(/are audit inputs: add --audit-every/);
  });
});
