/** Key rotation with `snapshot-guard rewrap`: headers change, payload bytes do not, old keys can go. */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { PullReader } from '../../../src/format/chunks.js';
import { readHeader } from '../../../src/format/file.js';
import { readChunks } from '../../../src/io/durable.js';
import { readSetInfo } from '../../helpers/sealed.js';
import { restoreWorkspace, sealDfs, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

/** Each encrypted file split into its header and its payload. */
async function split(dir: string): Promise<Map<string, { header: Buffer; payload: Buffer; keys: string[] }>> {
  const out = new Map<string, { header: Buffer; payload: Buffer; keys: string[] }>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.sg') || n.endsWith('.sgm'))) {
    const bytes = await readFile(join(dir, name));
    const reader = new PullReader(readChunks(join(dir, name)));
    const h = await readHeader(reader);
    await reader.close();
    out.set(name, {
      header: bytes.subarray(0, h.raw.length),
      payload: bytes.subarray(h.raw.length),
      keys: h.wrappedKeys.map((w) => `${w.provider}:${w.keyId}`),
    });
  }
  return out;
}

describe('rewrap', () => {
  it('moves sets from one local key to another without touching payload bytes; the old key stops working', async () => {
    ws = await restoreWorkspace();
    const one = await sealDfs(ws, { shards: 4, timeSeconds: 1_790_000_000 });
    const two = await sealDfs(ws, { shards: 2, timeSeconds: 1_790_000_100 });
    const before = new Map([
      [one.setId, await split(join(ws.sealed, one.setId))],
      [two.setId, await split(join(ws.sealed, two.setId))],
    ]);

    const res = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--all',
      '--key-file',
      ws.keyA,
      '--to-key',
      `file:${ws.keyB}`,
      '--drop-key',
      `file:${ws.keyA}`,
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toContain(
      `rewrapped  ${one.setId}  6 headers rewritten; keys now local:${ws.fingerprintB}`,
    );
    expect(res.stdout.toString()).toContain(`rewrapped  ${two.setId}`);

    for (const id of [one.setId, two.setId]) {
      const after = await split(join(ws.sealed, id));
      const old = before.get(id)!;
      expect([...after.keys()].sort()).toEqual([...old.keys()].sort());
      for (const [name, f] of after) {
        expect(f.payload.equals(old.get(name)!.payload), `${name} payload`).toBe(true);
        expect(f.header.equals(old.get(name)!.header), `${name} header`).toBe(false);
        expect(f.keys).toEqual([`local:${ws.fingerprintB}`]);
      }
      expect((await readSetInfo(join(ws.sealed, id)))?.wrappedKeys).toEqual([
        { provider: 'local', keyId: ws.fingerprintB },
      ]);
      // No temporary file left in the set directory.
      expect((await readdir(join(ws.sealed, id))).filter((n) => n.startsWith('.'))).toEqual([]);
    }

    const withNew = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--set',
      one.setId,
      '--to',
      ws.target,
      '--key-file',
      ws.keyB,
    ]);
    expect(withNew.code, withNew.stderr).toBe(0);
    for (const [name, bytes] of one.contents)
      expect((await readFile(join(ws.target, name))).equals(bytes)).toBe(true);
    const verifyNew = await runCli(['verify', '--from', ws.sealed, '--all', '--key-file', ws.keyB]);
    expect(verifyNew.code, verifyNew.stdout.toString()).toBe(0);

    const withOld = await runCli(['verify', '--from', ws.sealed, '--set', two.setId, '--key-file', ws.keyA]);
    expect(withOld.code).toBe(4); // no key that opens it: not damage
    expect(withOld.stderr).toContain(`wrapped by local:${ws.fingerprintB}`);
    const restoreOld = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--set',
      two.setId,
      '--to',
      join(ws.root, 'r2'),
      '--key-file',
      ws.keyA,
    ]);
    expect(restoreOld.code).toBe(1);
    expect(restoreOld.stderr).toMatch(/none of the configured keys .* wrapped this data key/);
  });

  it('adds a second key (both work), then drops the first by key id', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { shards: 2 });
    const add = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--set',
      set.setId,
      '--key-file',
      ws.keyA,
      '--to-key',
      `file:${ws.keyB}`,
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect((await split(join(ws.sealed, set.setId))).get('manifest.sgm')?.keys).toEqual([
      `local:${ws.fingerprintA}`,
      `local:${ws.fingerprintB}`,
    ]);
    for (const key of [ws.keyA, ws.keyB]) {
      const v = await runCli(['verify', '--from', ws.sealed, '--key-file', key]);
      expect(v.code, v.stdout.toString()).toBe(0);
    }
    const again = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--key-file',
      ws.keyA,
      '--to-key',
      `file:${ws.keyB}`,
    ]);
    expect(again.stdout.toString()).toContain(`unchanged  ${set.setId}`);

    const drop = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--key-file',
      ws.keyB,
      '--drop-key',
      `local:${ws.fingerprintA}`,
    ]);
    expect(drop.code, drop.stderr).toBe(0);
    expect((await split(join(ws.sealed, set.setId))).get('manifest.sgm')?.keys).toEqual([
      `local:${ws.fingerprintB}`,
    ]);
  });

  it('refuses to drop the last wrapping key, a --drop-key that matches nothing and an unknown key spec as usage errors (exit 2), changing nothing', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { shards: 1 });
    const before = await split(join(ws.sealed, set.setId));
    const last = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--key-file',
      ws.keyA,
      '--drop-key',
      ws.fingerprintA,
    ]);
    expect(last.code).toBe(2); // usage errors exit 2
    expect(last.stderr).toContain(`refusing to drop the last wrapping key of set ${set.setId}`);
    const unknown = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--key-file',
      ws.keyA,
      '--to-key',
      `file:${ws.keyB}`,
      '--drop-key',
      'local:0000000000000000',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      '--drop-key local:0000000000000000 matches no wrapping key of the chosen sets',
    );
    const none = await runCli(['rewrap', '--from', ws.sealed, '--key-file', ws.keyA]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('nothing to do');
    const badSpec = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--key-file',
      ws.keyA,
      '--to-key',
      'gpg:me',
    ]);
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr).toContain('key spec "gpg:me" is not understood');
    const after = await split(join(ws.sealed, set.setId));
    for (const [name, f] of after) expect(f.header.equals(before.get(name)!.header)).toBe(true);
  });

  it('refuses to rewrap a set whose payload does not match its manifest, leaving the file as it was', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { shards: 2 });
    const path = join(ws.sealed, set.setId, 'dump-2026-11-23T17:40:00-0001.dfs.sg');
    const bytes = await readFile(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3);
    await writeFile(path, bytes);
    const res = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--key-file',
      ws.keyA,
      '--to-key',
      `file:${ws.keyB}`,
    ]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`${path}: payload digest differs from the manifest`);
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });
});
