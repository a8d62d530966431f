/**
 * A published set whose files come from two writers (two data keys) must never count as sealed: the
 * listing and the manifest alone do not see it, the check after publishing does.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { checkPublishedFiles, openWithKey, unwrapSetKey } from '../../../src/store/sealed-set.js';
import { restoreWorkspace, sealDfs, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let a: RestoreWorkspace;
let b: RestoreWorkspace;
beforeEach(async () => {
  a = await restoreWorkspace();
  b = await restoreWorkspace();
});
afterEach(async () => {
  await a.cleanup();
  await b.cleanup();
});

it('finds a file of another writer in a published set', async () => {
  const options = { shards: 3, bytesPerShard: 5000, timeSeconds: 1_790_000_000 };
  const mine = await sealDfs(a, options);
  const theirs = await sealDfs(b, options);
  expect(theirs.setId).toBe(mine.setId); // same snapshot, same id: what two writers would both produce

  const store = new LocalStore(a.sealed);
  const keyring = new Keyring([await LocalKeyProvider.fromFile(a.keyA)]);
  const summary = 'dump-2026-11-23T17:40:00-summary.dfs.sg';
  const { dataKey } = await unwrapSetKey(store, mine.setId, keyring);
  const intact = await openWithKey(store, mine.setId, Buffer.from(dataKey));
  await expect(checkPublishedFiles(store, intact)).resolves.toBeUndefined();

  await copyFile(join(b.sealed, theirs.setId, summary), join(a.sealed, mine.setId, summary));
  const mixed = await openWithKey(store, mine.setId, Buffer.from(dataKey)); // manifest and listing look fine
  await expect(checkPublishedFiles(store, mixed)).rejects.toThrow(
    `${join(a.sealed, mine.setId, summary)}: header authentication failed`,
  );
  dataKey.fill(0);
});
