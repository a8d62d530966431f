/**
 * Key rotation with AWS KMS keys (the real @aws-sdk/client-kms in the CLI, against the KMS emulator over
 * SigV4-signed HTTP on 127.0.0.1): add a KMS copy, move to another KMS key through an alias without
 * losing the old copy, refresh a copy after KMS rotated the key material (ReEncrypt), drop old keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { KmsEmulator } from '../../emulators/kms-emulator.js';
import { PullReader } from '../../../src/format/chunks.js';
import { readHeader } from '../../../src/format/file.js';
import { readChunks } from '../../../src/io/durable.js';
import { restoreWorkspace, sealDfs, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
let kms: KmsEmulator | undefined;
afterEach(async () => {
  await kms?.stop();
  await ws?.cleanup();
  ws = kms = undefined;
});

async function manifestKeys(dir: string): Promise<{ id: string; blob: string }[]> {
  const reader = new PullReader(readChunks(join(dir, 'manifest.sgm')));
  const h = await readHeader(reader);
  await reader.close();
  return h.wrappedKeys.map((w) => ({ id: `${w.provider}:${w.keyId}`, blob: w.blob.toString('hex') }));
}

describe('rewrap with AWS KMS', () => {
  it('adds, moves through an alias, refreshes with ReEncrypt, and drops keys; the set restores with the new key alone', async () => {
    ws = await restoreWorkspace();
    kms = await KmsEmulator.start();
    const k1 = kms.createKey({ alias: 'alias/sg-k1' });
    const k2 = kms.createKey({ alias: 'alias/sg-k2' });
    const env = kms.env();
    const endpoint = ['--kms-endpoint', kms.endpoint];
    const set = await sealDfs(ws, { shards: 2 });
    const dir = join(ws.sealed, set.setId);
    const sg = (args: string[]) => runCli(['rewrap', '--from', ws!.sealed, ...endpoint, ...args], { env });

    const add = await sg(['--key-file', ws.keyA, '--to-key', 'kms:alias/sg-k1']);
    expect(add.code, add.stderr).toBe(0);
    expect(kms.count('Encrypt', { ok: true })).toBe(1);
    expect((await manifestKeys(dir)).map((k) => k.id)).toEqual([`local:${ws.fingerprintA}`, `kms:${k1.arn}`]);

    // alias/sg-k2 may name the key of the existing copy (an alias cannot be resolved locally): KMS
    // re-encrypts it to k2, and the k1 copy stays, since k2 is another key.
    const move = await sg(['--key-file', ws.keyA, '--to-key', 'kms:alias/sg-k2']);
    expect(move.code, move.stderr).toBe(0);
    expect(kms.count('ReEncrypt', { ok: true })).toBe(1);
    expect((await manifestKeys(dir)).map((k) => k.id)).toEqual([
      `local:${ws.fingerprintA}`,
      `kms:${k1.arn}`,
      `kms:${k2.arn}`,
    ]);

    // After KMS rotated k1's material, rewrap to k1 replaces its copy in place.
    kms.rotate(k1.arn);
    const before = await manifestKeys(dir);
    const refresh = await sg(['--key-file', ws.keyA, '--to-key', `kms:${k1.arn}`]);
    expect(refresh.code, refresh.stderr).toBe(0);
    const after = await manifestKeys(dir);
    expect(after.map((k) => k.id)).toEqual(before.map((k) => k.id));
    expect(after[1]?.blob).not.toBe(before[1]?.blob);
    expect(after[2]?.blob).toBe(before[2]?.blob);

    const drop = await sg([
      '--kms-key-id',
      'alias/sg-k2',
      '--drop-key',
      `local:${ws.fingerprintA}`,
      '--drop-key',
      `kms:${k1.arn}`,
    ]);
    expect(drop.code, drop.stderr).toBe(0);
    expect((await manifestKeys(dir)).map((k) => k.id)).toEqual([`kms:${k2.arn}`]);

    const restore = await runCli(
      [
        'restore',
        '--from',
        ws.sealed,
        '--latest',
        '--to',
        ws.target,
        ...endpoint,
        '--kms-key-id',
        'alias/sg-k2',
      ],
      { env },
    );
    expect(restore.code, restore.stderr).toBe(0);
    for (const [name, bytes] of set.contents)
      expect((await readFile(join(ws.target, name))).equals(bytes)).toBe(true);
    const oldLocal = await runCli(['verify', '--from', ws.sealed, '--key-file', ws.keyA]);
    expect(oldLocal.code).toBe(4); // no key that opens it: not damage
    expect(oldLocal.stderr).toContain(`it is wrapped by kms:${k2.arn}`);
  });
});
