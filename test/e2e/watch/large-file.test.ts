/**
 * A single snapshot file of 64 MiB or more (a dump.rdb) is sealed on every core: segments encrypted
 * by threads at their own offsets, read back by a thread checking tags while the main thread hashes.
 * The sealed set must hold exactly the snapshot's bytes and verify in full, like any other.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { openSealedSet, publishedSets } from '../../helpers/sealed.js';
import { leftInDir, workspace, type Workspace } from '../../helpers/watch-fixtures.js';

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

/** An RDB file as Redis writes it: header, aux field, records (random here), EOF opcode, checksum. */
function rdbFile(bodyBytes: number): Buffer {
  const aux = Buffer.concat([
    Buffer.from([0xfa, 9]),
    Buffer.from('redis-ver'),
    Buffer.from([5]),
    Buffer.from('7.4.0'),
  ]);
  const head = Buffer.concat([Buffer.from('REDIS0012'), aux, Buffer.from([0xfe, 0x00])]);
  return Buffer.concat([head, randomBytes(bodyBytes), Buffer.from([0xff]), Buffer.alloc(8)]);
}

describe('watch, one large file', () => {
  it('seals a 65 MiB dump.rdb on two threads: exact bytes back, set verified, plaintext gone', async () => {
    ws = await workspace(existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
    const rdb = rdbFile(65 * 1024 * 1024 + 12_345); // ragged: the last segment and batch are partial
    await writeFile(join(ws.df, 'dump.rdb.tmp'), rdb, { mode: 0o600 });
    await rename(join(ws.df, 'dump.rdb.tmp'), join(ws.df, 'dump.rdb'));

    const res = await runCli(['watch', ...ws.args('--once', '--parallelism', '2')]);
    expect(res.code, res.stderr).toBe(0);
    expect(await leftInDir(ws.df)).toEqual([]);
    const [id] = await publishedSets(ws.out);
    // openSealedSet authenticates every segment and checks size and payload digest against the manifest.
    const sealed = await openSealedSet(ws.out, id!, ws.keyring);
    expect(sealed.manifest.files.map((f) => [f.name, f.size])).toEqual([['dump.rdb', rdb.length]]);
    expect(sealed.files.get('dump.rdb')?.equals(rdb)).toBe(true);
    const status = JSON.parse(await readFile(join(ws.out, id!, 'status.json'), 'utf8')) as { ok: boolean };
    expect(status.ok).toBe(true);
  });
});
