/** Reads sealed sets back in tests, through the library (not the CLI). */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PullReader } from '../../src/format/chunks.js';
import { decryptFile, readHeader } from '../../src/format/file.js';
import type { Keyring } from '../../src/keys/keyring.js';
import { readChunks } from '../../src/io/durable.js';
import { isSetId, encryptedNameFor } from '../../src/store/names.js';
import { LocalStore } from '../../src/store/local/local-store.js';
import { verifyOpened, withSealedSet } from '../../src/store/sealed-set.js';
import type { Manifest } from '../../src/format/manifest.js';
import type { SetInfo, SetStatus } from '../../src/store/set-info.js';

export async function publishedSets(encryptedDir: string): Promise<string[]> {
  return (await readdir(encryptedDir)).filter(isSetId).sort();
}

/** Verifies the whole set and returns each file's decrypted bytes by name. */
export function openSealedSet(
  encryptedDir: string,
  setId: string,
  keyring: Keyring,
): Promise<{ manifest: Manifest; files: Map<string, Buffer> }> {
  const store = new LocalStore(encryptedDir);
  return withSealedSet(store, setId, keyring, async (set) => {
    await verifyOpened(store, set, 2);
    const files = new Map<string, Buffer>();
    for (const f of set.manifest.files) {
      const reader = new PullReader(readChunks(join(encryptedDir, setId, encryptedNameFor(f.name))));
      const header = await readHeader(reader);
      const parts: Buffer[] = [];
      for await (const c of decryptFile(reader, header, set.dataKey)) parts.push(c);
      files.set(f.name, Buffer.concat(parts));
    }
    return { manifest: set.manifest, files };
  });
}

/** status.json and set.json of a set directory in a local store, as the tests inspect them. */
async function note<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export const readSetStatus = (setDir: string) => note<SetStatus>(join(setDir, 'status.json'));
export const readSetInfo = (setDir: string) => note<SetInfo>(join(setDir, 'set.json'));
