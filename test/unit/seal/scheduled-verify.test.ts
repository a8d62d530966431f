/** verifyLatest: the daemon's periodic check of the newest sealed set (watch --verify-every). */
import { LocalStore } from '../../../src/store/local/local-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { AgeKeyProvider } from '../../../src/keys/age/index.js';
import { join } from 'node:path';
import { pino } from 'pino';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { noopObserver, type PipelineObserver } from '../../../src/observe/observer.js';
import { verifyLatest } from '../../../src/seal/scheduled-verify.js';
import { readSetStatus } from '../../helpers/sealed.js';
import { restoreWorkspace, sealDfs, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

function recorder(): {
  observer: PipelineObserver;
  calls: { ok: boolean; at: number }[];
  chain: number[];
} {
  const calls: { ok: boolean; at: number }[] = [];
  const chain: number[] = [];
  return {
    calls,
    chain,
    observer: {
      ...noopObserver,
      verification: (ok, at) => calls.push({ ok, at }),
      chainChecked: (broken) => chain.push(broken),
    },
  };
}

const log = pino({ level: 'silent' });
const errors: string[] = [];
const errorLog = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });

describe('verifyLatest', () => {
  it('verifies the newest set, records status.json and reports to the observer', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { shards: 2, timeSeconds: 1_790_000_000 });
    const newest = await sealDfs(ws, { shards: 2, timeSeconds: 1_790_000_100 });
    const keyring = new Keyring([await LocalKeyProvider.fromFile(ws.keyA)]);
    const rec = recorder();
    const before = Date.now() / 1000;

    const ok = await verifyLatest(new LocalStore(ws.sealed), keyring, rec.observer, log);
    expect(ok).toMatchObject({ setId: newest.setId, ok: true });
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]?.ok).toBe(true);
    expect(rec.calls[0]?.at).toBeGreaterThanOrEqual(Math.floor(before));
    const status = await readSetStatus(join(ws.sealed, newest.setId));
    expect(status?.ok).toBe(true);
    expect(Date.parse(status?.verifiedAt ?? '')).toBeGreaterThanOrEqual(Math.floor(before) * 1000);

    // Damage the newest set: the next check fails, and says which file.
    const fh = await open(join(ws.sealed, newest.setId, 'dump-2026-11-23T17:40:00-0000.dfs.sg'), 'r+');
    const at = (await fh.stat()).size - 20;
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, at);
    await fh.write(Buffer.from([(byte[0] ?? 0) ^ 0x42]), 0, 1, at);
    await fh.close();
    const bad = await verifyLatest(new LocalStore(ws.sealed), keyring, rec.observer, log);
    expect(bad).toMatchObject({ setId: newest.setId, ok: false, integrity: true });
    expect(rec.calls[1]?.ok).toBe(false);
    expect((await readSetStatus(join(ws.sealed, newest.setId)))?.error).toContain('-0000.dfs.sg');
  });

  it('reports nothing when nothing is sealed yet, and a failure when the directory cannot be listed', async () => {
    ws = await restoreWorkspace();
    const keyring = new Keyring([await LocalKeyProvider.fromFile(ws.keyA)]);
    const rec = recorder();
    await mkdir(ws.sealed);
    expect(await verifyLatest(new LocalStore(ws.sealed), keyring, rec.observer, log)).toBeUndefined();
    expect(rec.calls).toEqual([]);
    expect(
      await verifyLatest(new LocalStore(join(ws.root, 'missing')), keyring, rec.observer, log),
    ).toBeUndefined();
    expect(rec.calls.map((c) => c.ok)).toEqual([false]);
  });

  it('follows the chain of every set: a set gone from the middle is one broken link, logged', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { shards: 1, timeSeconds: 1_790_000_000 });
    const middle = await sealDfs(ws, { shards: 1, timeSeconds: 1_790_000_100 });
    const newest = await sealDfs(ws, { shards: 1, timeSeconds: 1_790_000_200 });
    const keyring = new Keyring([await LocalKeyProvider.fromFile(ws.keyA)]);
    const rec = recorder();
    await verifyLatest(new LocalStore(ws.sealed), keyring, rec.observer, log);
    expect(rec.chain).toEqual([0]);

    await rm(join(ws.sealed, middle.setId), { recursive: true });
    errors.length = 0;
    const r = await verifyLatest(new LocalStore(ws.sealed), keyring, rec.observer, errorLog);
    expect(r).toMatchObject({ setId: newest.setId, ok: true });
    expect(rec.chain).toEqual([0, 1]);
    expect(errors.join('\n')).toContain(
      `chain of sealed sets broken: set ${newest.setId} names ${middle.setId} as the set sealed before it, but ${middle.setId} is gone`,
    );
  });

  it('on a write-only host reads the links from set.json: a replaced predecessor is reported', async () => {
    ws = await restoreWorkspace();
    const older = await sealDfs(ws, { shards: 1, timeSeconds: 1_790_000_000 });
    const newest = await sealDfs(ws, { shards: 1, timeSeconds: 1_790_000_100 });
    // A keyring that can seal but not open: an age recipient only.
    const recipient = await identityToRecipient(await generateX25519Identity());
    const writeOnly = new Keyring([new AgeKeyProvider([recipient], [])]);
    const rec = recorder();
    await verifyLatest(new LocalStore(ws.sealed), writeOnly, rec.observer, log);
    expect(rec.chain).toEqual([0]);

    // Another manifest under the older set's id (a replaced set): its payload digest changes.
    const manifest = join(ws.sealed, older.setId, 'manifest.sgm');
    const bytes = await readFile(manifest);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0x01, bytes.length - 1);
    await writeFile(manifest, bytes);
    errors.length = 0;
    await verifyLatest(new LocalStore(ws.sealed), writeOnly, rec.observer, errorLog);
    expect(rec.chain).toEqual([0, 1]);
    expect(errors.join('\n')).toContain(`but ${older.setId}'s manifest now has digest`);
    expect(errors.join('\n')).toContain(`set ${newest.setId} names ${older.setId}`);
  });
});
