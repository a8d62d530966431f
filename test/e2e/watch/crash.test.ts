/**
 * Crash safety: the daemon is killed with SIGKILL at every step of sealing (deterministic crash points)
 * and at random moments (SG_CRASH_RUNS runs; 50 in CI, more with scripts/crash-soak.sh), restarted,
 * and the no-snapshot-lost invariant is checked after every kill and at the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeDfsSet, writeRdbFile } from '../../helpers/dfs-writer.js';
import { Daemon } from '../../helpers/daemon.js';
import { runCli } from '../../helpers/cli.js';
import { publishedSets } from '../../helpers/sealed.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';
import { checkNothingLost, type WrittenSnapshot } from '../../helpers/watch-invariant.js';

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const POINTS = [
  'after-staging',
  'after-encrypt',
  'after-publish',
  'after-verify',
  'mid-shred',
  'mid-overwrite',
  'after-shred',
];

async function writeSnapshot(
  dir: string,
  label: string,
  kind: 'dfs' | 'rdb',
  shards = 3,
  size = 200_000,
): Promise<WrittenSnapshot> {
  if (kind === 'rdb') {
    const name = `${label}.rdb`;
    return { label, contents: new Map([[name, await writeRdbFile(dir, name, size)]]) };
  }
  const w = await writeDfsSet({ dir, stem: label, shards, bytesPerShard: size });
  return { label, contents: w.contents };
}

async function finishAndCheck(w: Workspace, snapshots: WrittenSnapshot[]): Promise<void> {
  const res = await runCli(['watch', ...w.args('--once')]);
  expect(res.code, `${res.stderr}\n${res.stdout.toString()}`).toBe(0);
  const where = await checkNothingLost(w.df, w.out, w.keyring, snapshots);
  for (const [label, places] of where)
    expect(places, `${label}; log: ${res.stdout.toString()}`).toEqual(['sealed']);
  // No plaintext left, not even an interrupted shred's hidden ".NAME.sg-shred" file.
  expect(await readdir(w.df)).toEqual([]);
  // Each snapshot sealed exactly once; nothing left in staging.
  expect((await publishedSets(w.out)).length).toBe(snapshots.length);
  expect(await readdir(join(w.out, '.staging'))).toEqual([]);
}

describe('crash safety (SIGKILL)', () => {
  it.each(POINTS.flatMap((p) => [[p, 'dfs'] as const, [p, 'rdb'] as const]))(
    'killed %s (%s): nothing lost, finished on restart',
    async (point, kind) => {
      ws = await workspace();
      const snap = await writeSnapshot(ws.df, 'dump-crash', kind);
      const res = await runCli(['watch', ...ws.args('--once')], {
        env: { SNAPSHOT_GUARD_TEST_CRASH_AT: point },
      });
      expect(res.code, `expected SIGKILL at ${point}; stderr: ${res.stderr}`).toBe(137);
      const where = await checkNothingLost(ws.df, ws.out, ws.keyring, [snap]);
      if (point === 'after-staging' || point === 'after-encrypt')
        expect(where.get('dump-crash')).toEqual(['plaintext']);
      if (point === 'after-verify') expect(where.get('dump-crash')).toEqual(['plaintext', 'sealed']);
      if (point === 'mid-shred' || point === 'mid-overwrite' || point === 'after-shred')
        expect(where.get('dump-crash')).toEqual(['sealed']);
      await finishAndCheck(ws, [snap]);
    },
  );

  it('a published set that no longer verifies after a crash is quarantined (never deleted) and sealed again', async () => {
    ws = await workspace();
    const snap = await writeSnapshot(ws.df, 'dump-q', 'dfs');
    const res = await runCli(['watch', ...ws.args('--once')], {
      env: { SNAPSHOT_GUARD_TEST_CRASH_AT: 'after-publish' },
    });
    expect(res.code).toBe(137);
    const [id] = await publishedSets(ws.out);
    const victim = join(ws.out, id!, 'dump-q-0001.dfs.sg');
    const bytes = await readFile(victim);
    bytes[bytes.length - 100]! ^= 1;
    await writeFile(victim, bytes);
    const again = await runCli(['watch', ...ws.args('--once')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.toString()).toContain('published set failed verification; quarantined it');
    const quarantined = await readdir(join(ws.out, '.quarantine'));
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatch(new RegExp(`^${id!.replace('.', '\\.')}-\\d+$`));
    await finishAndCheck(ws, [snap]);
  });

  const runs = Number(process.env.SG_CRASH_RUNS ?? 50);
  it(`random SIGKILLs during sealing (${runs} runs)`, { timeout: 600_000 }, async () => {
    ws = await workspace();
    const snapshots: WrittenSnapshot[] = [];
    const outcomes = new Map<string, number>();
    let maxDelay = 80;
    const verified = new Map<string, Map<string, Buffer>>();
    for (let i = 0; i < runs; i++) {
      const kind = i % 3 === 0 ? 'rdb' : 'dfs';
      snapshots.push(
        await writeSnapshot(
          ws.df,
          `dump-run${String(i).padStart(4, '0')}`,
          kind,
          1 + (i % 4),
          400_000 + ((i * 7919) % 600_000),
        ),
      );
      const d = Daemon.start(ws.args('--log-level', 'info'));
      await d.waitFor((l) => l.msg === 'watching for finished snapshots', 30_000);
      await sleep(Math.random() * maxDelay);
      await d.kill('SIGKILL');
      const where = await checkNothingLost(ws.df, ws.out, ws.keyring, snapshots, verified);
      const key = [...where.values()].at(-1)?.join('+') ?? '';
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // Aim the kills at the sealing window whatever the machine's speed: later after a kill that came
      // too early (plaintext only), earlier after one that came too late (already sealed).
      if (key === 'plaintext') maxDelay *= 1.3;
      else if (key === 'sealed') maxDelay /= 1.3;
    }
    await finishAndCheck(ws, snapshots);
    // The kills must have landed in different phases, or the test proves little.
    console.log(
      `crash runs: ${runs}; state of the newest snapshot right after each kill:`,
      Object.fromEntries(outcomes),
    );
    expect(outcomes.size).toBeGreaterThanOrEqual(runs >= 20 ? 2 : 1);
  });
});
