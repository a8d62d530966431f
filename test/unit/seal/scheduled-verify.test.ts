/** verifyLatest: the daemon's periodic check of the newest sealed set (watch --verify-every). */
import { LocalStore } from '../../../src/store/local/local-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, open } from 'node:fs/promises';
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

function recorder(): { observer: PipelineObserver; calls: { ok: boolean; at: number }[] } {
  const calls: { ok: boolean; at: number }[] = [];
  return { calls, observer: { ...noopObserver, verification: (ok, at) => calls.push({ ok, at }) } };
}

const log = pino({ level: 'silent' });

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
});
