/**
 * What a host without a key that opens sets can check of a sealed set. Everything here reads clear-text
 * bytes only, so it proves the set is complete and well-formed — every file of set.json is stored, with
 * the size its plaintext size and segment size imply, and its header names this set, instance and file —
 * but NOT that the bytes are authentic or decrypt: the header MAC, the payload tags and the manifest
 * (which is encrypted) need the data key. Only `verify` with a key proves authenticity.
 */
import { errorMessage } from '../errors.js';
import { payloadLengthFor } from '../format/payload.js';
import { MANIFEST_FILE, encryptedNameFor } from '../store/names.js';
import { readStoredHeader } from '../store/sealed-set.js';
import type { Store } from '../store/store.js';

export interface KeylessResult {
  setId: string;
  ok: boolean;
  /** One line: what is wrong (when not ok). */
  error?: string;
  files: number;
}

export async function checkWithoutKey(store: Store, setId: string): Promise<KeylessResult> {
  const fail = (error: string, files = 0): KeylessResult => ({ setId, ok: false, error, files });
  try {
    const info = await store.readInfo(setId);
    if (!info) return fail(`${store.where(setId, 'set.json')} is missing or damaged`);
    const stored = new Map((await store.listFiles(setId)).map((f) => [f.name, f.size]));
    if (!stored.has(MANIFEST_FILE)) return fail(`${store.where(setId, MANIFEST_FILE)} is missing`);
    const manifestHeader = await readStoredHeader(store, setId, MANIFEST_FILE);
    if (manifestHeader.context.setId !== setId)
      return fail(`${store.where(setId, MANIFEST_FILE)}: names set ${manifestHeader.context.setId}`);
    for (const f of info.files) {
      const name = encryptedNameFor(f.name);
      const what = store.where(setId, name);
      const size = stored.get(name);
      if (size === undefined) return fail(`${what} is missing`);
      if (size !== f.encryptedSize)
        return fail(`${what} is ${size} bytes, set.json says ${f.encryptedSize} (truncated or damaged)`);
      const h = await readStoredHeader(store, setId, name);
      const c = h.context;
      if (c.setId !== setId || c.fileName !== f.name || c.instance !== manifestHeader.context.instance)
        return fail(`${what}: its header names ${c.instance}/${c.setId}/${c.fileName} (swapped file?)`);
      if (h.raw.length + payloadLengthFor(f.size, h.segmentSize) !== size)
        return fail(`${what}: ${size} bytes cannot hold ${f.size} plaintext bytes (truncated or damaged)`);
    }
    return { setId, ok: true, files: info.files.length };
  } catch (err) {
    return fail(errorMessage(err));
  }
}
