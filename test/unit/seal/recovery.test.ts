/**
 * Recovery decisions after a crash (seal/recovery.ts adoptPublished): a published set of the same
 * snapshot that verifies is adopted as it is; one that fails verification (or lacks its manifest) is
 * quarantined and sealed again; a set of another snapshot under the same id is left alone.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { noopObserver } from '../../../src/observe/observer.js';
import { adoptPublished } from '../../../src/seal/recovery.js';
import { encryptAndPublish, type SealConfig } from '../../../src/seal/seal.js';
import { scanDirectory, type SnapshotSet } from '../../../src/snapshots/scan.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { setIdFor } from '../../../src/store/names.js';
import { writeRdbFile } from '../../helpers/dfs-writer.js';
import { restoreWorkspace, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace;
let cfg: SealConfig;
let set: SnapshotSet;
let setId: string;

beforeEach(async () => {
  ws = await restoreWorkspace();
  cfg = {
    keyring: new Keyring([await LocalKeyProvider.fromFile(ws.keyA)]),
    store: new LocalStore(ws.sealed),
    instance: 'test',
    segmentSize: 4096,
    shredMode: 'unlink',
    parallelism: 1,
    observer: noopObserver,
    log: pino({ level: 'silent' }),
  };
  await writeRdbFile(ws.source, 'dump.rdb', 10_000);
  const found = (await scanDirectory(ws.source)).sets[0];
  if (!found) throw new Error('no set');
  set = found;
  setId = setIdFor(set.snapshotTimeMs, set.stem);
  await encryptAndPublish(set, setId, cfg);
});
afterEach(async () => ws.cleanup());

const quarantined = () => readdir(join(ws.sealed, '.quarantine')).catch(() => []);

describe('adoptPublished', () => {
  it('adopts a published set of the same snapshot that verifies, without sealing again', async () => {
    const before = await readdir(join(ws.sealed, setId));
    const manifest = await adoptPublished(set, setId, cfg);
    expect(manifest?.setId).toBe(setId);
    expect(await quarantined()).toEqual([]);
    expect(await readdir(join(ws.sealed, setId))).toEqual(before);
  });

  it('quarantines a damaged published set and seals the snapshot again', async () => {
    await writeFile(join(ws.sealed, setId, 'dump.rdb.sg'), 'not what was sealed');
    const manifest = await adoptPublished(set, setId, cfg);
    expect(manifest?.setId).toBe(setId);
    expect(await quarantined()).toHaveLength(1);
    expect(await readdir(join(ws.sealed, setId))).toContain('dump.rdb.sg');
  });

  it('quarantines a set published without its manifest and seals again', async () => {
    await rm(join(ws.sealed, setId, 'manifest.sgm'));
    expect((await adoptPublished(set, setId, cfg))?.setId).toBe(setId);
    expect(await quarantined()).toHaveLength(1);
  });

  it('leaves a set of another snapshot alone (the caller picks another id)', async () => {
    const other = { ...set, files: set.files.map((f) => ({ ...f, size: f.size + 1 })) };
    expect(await adoptPublished(other, setId, cfg)).toBeUndefined();
    expect(await quarantined()).toEqual([]);
  });

  it('does not quarantine when no configured key opens the set: that is not damage', async () => {
    const other = { ...cfg, keyring: new Keyring([await LocalKeyProvider.fromFile(ws.keyB)]) };
    await expect(adoptPublished(set, setId, other)).rejects.toThrow('none of the configured keys');
    expect(await quarantined()).toEqual([]);
  });
});
