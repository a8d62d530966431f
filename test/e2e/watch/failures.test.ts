/**
 * Failures that must be loud and honest: a snapshot the daemon cannot read is a failure with a reason,
 * backoff and one log line (not "vanished" and a busy loop), costs no data-key request, turns /readyz
 * and `watch --once` red; work after a successful seal (retention) failing is not a failed seal.
 */
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { Daemon, eventually } from '../../helpers/daemon.js';
import { readyz, scrape } from '../../helpers/metrics.js';
import { freePort } from '../../helpers/ports.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';

const NOBODY = { uid: 65534, gid: 65534 };
const rdb = () => Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(2000, 3)]);

let ws: Workspace;
let daemons: Daemon[] = [];
beforeEach(async () => {
  ws = await workspace();
  daemons = [];
});
afterEach(async () => {
  for (const d of daemons) await d.kill();
  await ws.cleanup();
});

/** The daemon runs as nobody; Dragonfly's snapshot is root's, mode 0600: the real permission mistake. */
async function unreadableSnapshot(): Promise<void> {
  await mkdir(ws.out, { mode: 0o700 });
  for (const p of [ws.root, ws.df, ws.out, ws.keyFile]) await chown(p, NOBODY.uid, NOBODY.gid);
  await writeFile(join(ws.df, 'dump.rdb'), rdb(), { mode: 0o600 });
  await chmod(join(ws.df, 'dump.rdb'), 0o600);
}

describe('a snapshot the daemon cannot read', () => {
  it('watch --once fails with the reason and the fix, and keeps the plaintext', async () => {
    await unreadableSnapshot();
    const run = await runCli(['watch', '--once', ...ws.args()], { user: NOBODY });
    expect(run.code).toBe(1);
    const line = run.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('permission denied');
    expect(line).toContain(join(ws.df, 'dump.rdb'));
    expect(line).toMatch(/UMask=/);
    expect(await readdir(ws.df)).toContain('dump.rdb');
  });

  it('the daemon reports it once, backs off, asks for no data key, and is not ready', async () => {
    await unreadableSnapshot();
    const port = await freePort();
    const d = Daemon.start(ws.args('--metrics-addr', `127.0.0.1:${port}`, '--retry-max', '2s'), {}, NOBODY);
    daemons.push(d);
    const failed = await d.waitFor((l) => l.msg.startsWith('could not seal'), 30_000, 'the failure');
    expect(failed.reason).toBe('permission');
    await eventually(
      async () =>
        ((await scrape(port)).get('snapshot_guard_seal_failures_total{reason="permission"}') ?? 0) >= 2,
      30_000,
      'a retry after backoff',
    );
    const metrics = await scrape(port);
    expect(metrics.get('snapshot_guard_seal_failures_total{reason="source_changed"}') ?? 0).toBe(0);
    expect(
      metrics.get(
        'snapshot_guard_key_provider_request_duration_seconds_count{provider="local",operation="generate"}',
      ) ?? 0,
    ).toBe(0);
    expect(await readyz(port)).toBe(503);
    // One error line per change of state, not one per retry.
    expect(d.count((l) => l.msg.startsWith('could not seal'))).toBe(1);
    expect(d.count((l) => l.msg.includes('vanished'))).toBe(0);
  });
});

describe('work after a successful seal', () => {
  it('a failing retention is reported as retention, not as a failed seal, and --once succeeds', async () => {
    await mkdir(ws.out, { mode: 0o700 });
    // An older published set that retention will delete, holding a directory the daemon's user cannot
    // empty (root's, 0755): removing it fails after the set became invisible.
    const old = join(ws.out, '20200101T000000.000Z_dump');
    await mkdir(join(old, 'sub'), { recursive: true });
    await writeFile(join(old, 'sub', 'f'), 'x');
    for (const p of [ws.root, ws.df, ws.out, ws.keyFile, old]) await chown(p, NOBODY.uid, NOBODY.gid);
    await writeFile(join(ws.df, 'dump.rdb'), rdb());
    await chown(join(ws.df, 'dump.rdb'), NOBODY.uid, NOBODY.gid);
    const run = await runCli(['watch', '--once', ...ws.args('--keep-last', '1')], { user: NOBODY });
    const logs = run.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logs.some((l) => l.level === 50 && l.msg.startsWith('retention failed'))).toBe(true);
    expect(logs.some((l) => l.msg.startsWith('could not seal'))).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await readdir(ws.df)).not.toContain('dump.rdb');
  });
});

describe('doctor', () => {
  it('fails on a snapshot the daemon cannot read, with the fix', async () => {
    await unreadableSnapshot();
    const run = await runCli(['doctor', '--dir', ws.df, '--out', ws.out, '--key-file', ws.keyFile], {
      user: NOBODY,
    });
    expect(run.code).toBe(1);
    const fail = run.stdout
      .toString()
      .split('\n')
      .find((l) => l.startsWith('FAIL'));
    expect(fail).toContain(`permission denied reading ${join(ws.df, 'dump.rdb')}`);
    expect(fail).toContain('UMask=0007');
  });
});
