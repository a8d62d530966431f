/** `snapshot-guard list`: what is sealed, without any key, in text and JSON. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import type { SetSummary } from '../../../src/store/set-summary.js';
import { restoreWorkspace, sealDfs, sealRdb, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const STEM = 'dump-2026-11-23T17:40:00';

async function listJson(w: RestoreWorkspace): Promise<SetSummary[]> {
  const res = await runCli(['list', '--from', w.sealed, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout.toString()) as SetSummary[];
}

describe('list', () => {
  it('shows every set newest first with times, files, shard count, sizes, keys and the last verification', async () => {
    ws = await restoreWorkspace();
    const dfs = await sealDfs(ws, {
      stem: STEM,
      shards: 8,
      bytesPerShard: 10_000,
      timeSeconds: 1_790_000_000,
    });
    const rdb = await sealRdb(ws, 'dump.rdb');
    // Work in progress and quarantined sets are not listed.
    await mkdir(join(ws.sealed, '.staging', '20261123T000000.000Z_wip'), { recursive: true });
    await mkdir(join(ws.sealed, '.quarantine', '20261123T000000.000Z_bad'), { recursive: true });

    const sets = await listJson(ws);
    expect(sets.map((s) => s.setId)).toEqual([rdb.setId, dfs.setId]);
    const d = sets[1]!;
    expect(d).toMatchObject({
      setId: dfs.setId,
      snapshotTime: new Date(1_790_000_000_000).toISOString(),
      format: 'dfs',
      stem: STEM,
      shardCount: 8,
      instance: 'test-instance',
      wrappedKeys: [{ provider: 'local', keyId: ws.fingerprintA }],
      source: 'set.json',
      problems: [],
    });
    expect(d.files.map((f) => f.name)).toEqual([...dfs.contents.keys()]);
    const plain = [...dfs.contents.values()].reduce((s, b) => s + b.length, 0);
    expect(d.plaintextBytes).toBe(plain);
    let onDisk = (await stat(join(ws.sealed, dfs.setId, 'manifest.sgm'))).size;
    for (const n of dfs.contents.keys()) onDisk += (await stat(join(ws.sealed, dfs.setId, `${n}.sg`))).size;
    expect(d.encryptedBytes).toBe(onDisk);
    // Sealing verifies the set and records it.
    expect(d.lastVerification).toMatchObject({ ok: true });

    const text = await runCli(['list', '--from', ws.sealed]);
    expect(text.code, text.stderr).toBe(0);
    const out = text.stdout.toString();
    expect(out.indexOf(rdb.setId)).toBeLessThan(out.indexOf(dfs.setId));
    expect(out).toContain(`${rdb.setId}   (newest)`);
    expect(out).toContain('dfs, 8 shards + summary, instance test-instance');
    expect(out).toContain(`${STEM}-0000.dfs … ${STEM}-0007.dfs (8 shards), ${STEM}-summary.dfs`);
    expect(out).toContain(`keys           local:${ws.fingerprintA}`);
    expect(out).toMatch(/last verified {2}ok at \d{4}-/);
    expect(out).not.toContain('wip');
  });

  it('falls back to the file headers when set.json is missing, and reports problems', async () => {
    ws = await restoreWorkspace();
    const dfs = await sealDfs(ws, { stem: STEM, shards: 3 });
    const withInfo = (await listJson(ws))[0]!;
    await rm(join(ws.sealed, dfs.setId, 'set.json'));
    await writeFile(join(ws.sealed, dfs.setId, 'stray.rdb.sg'), 'junk');

    const fromHeaders = (await listJson(ws))[0]!;
    expect(fromHeaders.source).toBe('headers');
    expect(fromHeaders.files).toEqual(withInfo.files);
    expect(fromHeaders.plaintextBytes).toBe(withInfo.plaintextBytes);
    expect(fromHeaders).toMatchObject({
      format: 'dfs',
      shardCount: 3,
      stem: STEM,
      instance: 'test-instance',
      wrappedKeys: withInfo.wrappedKeys,
    });
    expect(fromHeaders.problems).toContain('set.json is missing: details were read from the file headers');
    expect(fromHeaders.problems).toContain(
      'stray.rdb.sg: header: too short to be a snapshot-guard encrypted file',
    );
    expect(fromHeaders.problems).toContain('stray.rdb.sg: extra file, not part of this set');
  });

  it('shows a failed verification, and says so when nothing is sealed', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { stem: STEM, shards: 2 });
    await rm(join(ws.sealed, set.setId, `${STEM}-0001.dfs.sg`));
    const verify = await runCli(['verify', '--from', ws.sealed, '--key-file', ws.keyA]);
    expect(verify.code).toBe(3);
    const text = (await runCli(['list', '--from', ws.sealed])).stdout.toString();
    expect(text).toMatch(/last verified {2}FAILED at .*-0001\.dfs\.sg: missing from the set/);
    expect(text).toContain(`problem        ${STEM}-0001.dfs.sg: missing`);

    const empty = join(ws.root, 'empty');
    await mkdir(empty);
    const none = await runCli(['list', '--from', empty]);
    expect(none.stdout.toString()).toBe(`no sealed sets in ${empty}\n`);
    const missing = await runCli(['list', '--from', join(ws.root, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist; pass with --from the directory');
  });
});
