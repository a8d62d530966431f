/**
 * Damaged sealed sets: `verify` and `restore` must fail with one line naming the bad file, `restore`
 * must leave Dragonfly's directory exactly as it was, and `verify` records the failure in status.json.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFile, mkdir, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { readHeaderAt } from '../../../src/files/encrypted-file.js';
import { readSetStatus } from '../../helpers/sealed.js';
import {
  restoreWorkspace,
  sealDfs,
  snapshotOfDir,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const STEM = 'dump-2026-11-23T17:40:00';
const shardSg = (i: number) => `${STEM}-${String(i).padStart(4, '0')}.dfs.sg`;

async function flipByte(path: string, fromEnd: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, size - fromEnd);
    buf[0] = (buf[0] ?? 0) ^ 0x01;
    await fh.write(buf, 0, 1, size - fromEnd);
  } finally {
    await fh.close();
  }
}

/** Replaces the payload of `to` (everything after its header) with the payload of `from`. */
async function graft(from: string, to: string): Promise<void> {
  const [src, dst] = [await readFile(from), await readFile(to)];
  const [srcHeader, dstHeader] = [await readHeaderAt(from), await readHeaderAt(to)];
  await writeFile(
    to,
    Buffer.concat([dst.subarray(0, dstHeader.raw.length), src.subarray(srcHeader.raw.length)]),
  );
}

interface Damage {
  name: string;
  /** Damages the set `setId` (another sealed set, `otherId`, is available as a donor). */
  apply: (w: RestoreWorkspace, setId: string, otherId: string) => Promise<void>;
  /** What the one-line error must say, and the file it must name. */
  message: RegExp;
  file: string;
}

const damages: Damage[] = [
  {
    name: 'a flipped payload byte',
    apply: (w, id) => flipByte(join(w.sealed, id, shardSg(1)), 5000),
    message: /authentication failed in segment \d+/,
    file: shardSg(1),
  },
  {
    name: 'a missing file',
    apply: (w, id) => unlink(join(w.sealed, id, shardSg(2))),
    message: /missing from the set/,
    file: shardSg(2),
  },
  {
    name: 'an extra file',
    apply: (w, id) => copyFile(join(w.sealed, id, shardSg(0)), join(w.sealed, id, `${STEM}-0009.dfs.sg`)),
    message: /extra file not in the set manifest/,
    file: `${STEM}-0009.dfs.sg`,
  },
  {
    name: 'a manifest swapped from another set',
    apply: (w, id, other) =>
      copyFile(join(w.sealed, other, 'manifest.sgm'), join(w.sealed, id, 'manifest.sgm')),
    message: /belongs to set .*manifest swapped/,
    file: 'manifest.sgm',
  },
  // Restore does not recompute payload digests (docs/SECURITY.md, "What restore checks"): a payload
  // moved under another file's authentic header must fail its tags all the same.
  {
    name: "another file's payload under this file's header (both of this set)",
    apply: (w, id) => graft(join(w.sealed, id, shardSg(2)), join(w.sealed, id, shardSg(1))),
    message: /authentication failed in segment 0/,
    file: shardSg(1),
  },
  {
    name: "the same file's payload from another set under this file's header",
    apply: (w, id, other) => graft(join(w.sealed, other, shardSg(1)), join(w.sealed, id, shardSg(1))),
    message: /authentication failed in segment 0/,
    file: shardSg(1),
  },
  {
    name: 'a shard swapped from another set of the same name',
    apply: (w, id, other) => copyFile(join(w.sealed, other, shardSg(1)), join(w.sealed, id, shardSg(1))),
    message: /belongs to another file or set/,
    file: shardSg(1),
  },
];

describe('damaged sealed sets', () => {
  for (const d of damages) {
    it(`verify and restore refuse ${d.name}, naming the file, and restore leaves the directory untouched`, async () => {
      ws = await restoreWorkspace();
      const older = await sealDfs(ws, { stem: STEM, shards: 3, timeSeconds: 1_790_000_000 });
      const victim = await sealDfs(ws, { stem: STEM, shards: 3, timeSeconds: 1_790_000_100 });
      await d.apply(ws, victim.setId, older.setId);

      const verify = await runCli([
        'verify',
        '--from',
        ws.sealed,
        '--set',
        victim.setId,
        '--key-file',
        ws.keyA,
      ]);
      expect(verify.code).toBe(3);
      const line = verify.stdout.toString();
      expect(line).toMatch(new RegExp(`^FAILED\\s+${victim.setId}\\s`));
      expect(line).toMatch(d.message);
      expect(line).toContain(d.file);
      expect(verify.stderr).toContain('1 of 1 sealed sets failed verification');
      const status = await readSetStatus(join(ws.sealed, victim.setId));
      expect(status?.ok).toBe(false);
      expect(status?.error).toContain(d.file);

      await mkdir(ws.target, { mode: 0o700 });
      await writeFile(join(ws.target, 'unrelated.txt'), 'keep me');
      const before = await snapshotOfDir(ws.target);
      // Automatic (the files side by side on pool threads), streaming, and with each file's segments
      // split between worker threads.
      for (const threads of ['auto', '1', '3']) {
        const restore = await runCli([
          'restore',
          '--from',
          ws.sealed,
          '--set',
          victim.setId,
          '--to',
          ws.target,
          '--key-file',
          ws.keyA,
          ...(threads === 'auto' ? [] : ['--threads', threads]),
        ]);
        expect(restore.code, `--threads ${threads}`).toBe(3);
        const lines = restore.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('snapshot-guard:'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(d.message);
        expect(lines[0]).toContain(d.file);
        expect(await snapshotOfDir(ws.target)).toEqual(before);
      }

      // The undamaged set still verifies and restores.
      const good = await runCli(['verify', '--from', ws.sealed, '--set', older.setId, '--key-file', ws.keyA]);
      expect(good.code, good.stdout.toString()).toBe(0);
    });
  }

  it('a restore into a directory that did not exist leaves no directory behind on failure', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { stem: STEM, shards: 2 });
    await flipByte(join(ws.sealed, set.setId, shardSg(0)), 100);
    const restore = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--to',
      ws.target,
      '--key-file',
      ws.keyA,
    ]);
    expect(restore.code).toBe(3);
    await expect(stat(ws.target)).rejects.toThrow(/ENOENT/);
  });

  it('verify with a key that did not wrap the set says which keys did, exit 4 (not damage)', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { stem: STEM, shards: 1 });
    const res = await runCli(['verify', '--from', ws.sealed, '--key-file', ws.keyB]);
    expect(res.code).toBe(4);
    expect(res.stdout.toString()).toContain(`NO KEY  ${set.setId}`);
    expect(res.stderr).toContain(`none of the configured keys (local key ${ws.fingerprintB}`);
    expect(res.stderr).toContain(`wrapped by local:${ws.fingerprintA}`);
  });

  it('verify --all checks every set, reports each, and fails if any is damaged', async () => {
    ws = await restoreWorkspace();
    const a = await sealDfs(ws, { stem: STEM, shards: 2, timeSeconds: 1_790_000_000 });
    const b = await sealDfs(ws, { stem: STEM, shards: 2, timeSeconds: 1_790_000_100 });
    const ok = await runCli(['verify', '--from', ws.sealed, '--all', '--key-file', ws.keyA]);
    expect(ok.code, ok.stdout.toString()).toBe(0);
    const lines = ok.stdout.toString().trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^ok\\s+${b.setId}\\s+3 files`));
    expect(lines[1]).toMatch(new RegExp(`^ok\\s+${a.setId}\\s+3 files`));
    expect((await readSetStatus(join(ws.sealed, a.setId)))?.ok).toBe(true);

    await flipByte(join(ws.sealed, a.setId, shardSg(0)), 10);
    const bad = await runCli(['verify', '--from', ws.sealed, '--all', '--key-file', ws.keyA]);
    expect(bad.code).toBe(3);
    expect(bad.stdout.toString()).toMatch(new RegExp(`^ok\\s+${b.setId}`, 'm'));
    expect(bad.stdout.toString()).toMatch(new RegExp(`^FAILED\\s+${a.setId}`, 'm'));
    expect(bad.stderr).toContain('1 of 2 sealed sets failed verification');
    expect(JSON.parse(await readFile(join(ws.sealed, a.setId, 'status.json'), 'utf8'))).toMatchObject({
      ok: false,
    });
  });
});
