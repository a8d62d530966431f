/** Reads sealed sets back in tests, through the library (not the CLI). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PullReader } from '../../src/format/chunks.js';
import { decryptFile, readHeader } from '../../src/format/file.js';
import type { Keyring } from '../../src/keys/keyring.js';
import { readChunks } from '../../src/io/durable.js';
import { isSetId, encryptedNameFor } from '../../src/store/layout.js';
import { unwrapSetKey, verifySet } from '../../src/pipeline/verify-set.js';
import type { Manifest } from '../../src/format/manifest.js';

export async function publishedSets(encryptedDir: string): Promise<string[]> {
  return (await readdir(encryptedDir)).filter(isSetId).sort();
}

/** Verifies the whole set and returns each file's decrypted bytes by name. */
export async function openSealedSet(
  encryptedDir: string,
  setId: string,
  keyring: Keyring,
): Promise<{ manifest: Manifest; files: Map<string, Buffer> }> {
  const dir = join(encryptedDir, setId);
  const manifest = await verifySet(dir, keyring);
  const { dataKey } = await unwrapSetKey(dir, keyring);
  const files = new Map<string, Buffer>();
  try {
    for (const f of manifest.files) {
      const reader = new PullReader(readChunks(join(dir, encryptedNameFor(f.name))));
      const header = await readHeader(reader);
      const parts: Buffer[] = [];
      for await (const c of decryptFile(reader, header, dataKey)) parts.push(c);
      files.set(f.name, Buffer.concat(parts));
    }
  } finally {
    dataKey.fill(0);
  }
  return { manifest, files };
}
