/**
 * A snapshot file changed in place after it was sealed (same inode, new bytes) is not shredded: the
 * sealed copy holds the old bytes, so the plaintext stays and is sealed again.
 */
import { appendFile, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { noopObserver } from '../../../src/observe/observer.js';
import { encryptAndPublish, shredSet, type SealConfig } from '../../../src/seal/seal.js';
import { scanDirectory } from '../../../src/snapshots/scan.js';
import { SourceChangedError } from '../../../src/snapshots/source-changed.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { setIdFor } from '../../../src/store/names.js';
import { writeRdbFile } from '../../helpers/dfs-writer.js';
import { restoreWorkspace, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace;
beforeEach(async () => {
  ws = await restoreWorkspace();
});
afterEach(async () => ws.cleanup());

it('keeps a file that changed in place after sealing, and says it changed', async () => {
  await writeRdbFile(ws.source, 'dump.rdb', 20_000);
  const cfg: SealConfig = {
    keyring: new Keyring([await LocalKeyProvider.fromFile(ws.keyA)]),
    store: new LocalStore(ws.sealed),
    instance: 'test',
    segmentSize: 4096,
    shredMode: 'overwrite',
    parallelism: 1,
    observer: noopObserver,
    log: pino({ level: 'silent' }),
  };
  const [set] = (await scanDirectory(ws.source)).sets;
  if (!set) throw new Error('no set');
  await encryptAndPublish(set, setIdFor(set.snapshotTimeMs, set.stem), cfg);

  const path = join(ws.source, 'dump.rdb');
  const inode = (await stat(path)).ino;
  await appendFile(path, Buffer.from('written after the seal'));
  await utimes(path, new Date(), new Date(set.snapshotTimeMs + 5000));
  expect((await stat(path)).ino).toBe(inode);

  await expect(shredSet(set, ws.source, cfg)).rejects.toBeInstanceOf(SourceChangedError);
  expect((await readFile(path)).subarray(-22).toString()).toBe('written after the seal');
});
