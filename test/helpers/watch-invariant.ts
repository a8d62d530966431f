/**
 * The no-snapshot-lost invariant (no snapshot is ever lost), checked from the outside: for every snapshot
 * written, either all its plaintext is still present and intact, or a published set holds it and
 * verifies; and every published set verifies (no half-written set is ever visible as published).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Keyring } from '../../src/keys/keyring.js';
import { openSealedSet, publishedSets } from './sealed.js';

export interface WrittenSnapshot {
  label: string;
  contents: Map<string, Buffer>;
}

async function plaintextIntact(dir: string, s: WrittenSnapshot): Promise<boolean> {
  for (const [name, bytes] of s.contents) {
    try {
      if (!(await readFile(join(dir, name))).equals(bytes)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Returns, per snapshot, where it survives: "plaintext", "sealed" or both. */
export async function checkNothingLost(
  dragonflyDir: string,
  encryptedDir: string,
  keyring: Keyring,
  snapshots: WrittenSnapshot[],
  /** Published sets already verified by an earlier call (published sets never change). */
  verified = new Map<string, Map<string, Buffer>>(),
): Promise<Map<string, string[]>> {
  const sealed: Map<string, Buffer>[] = [];
  for (const id of await publishedSets(encryptedDir)) {
    // Throws if any published set is incomplete or fails authentication.
    let files = verified.get(id);
    if (!files) {
      files = (await openSealedSet(encryptedDir, id, keyring)).files;
      verified.set(id, files);
    }
    sealed.push(files);
  }
  const where = new Map<string, string[]>();
  for (const s of snapshots) {
    const places: string[] = [];
    if (await plaintextIntact(dragonflyDir, s)) places.push('plaintext');
    const inSet = sealed.some((files) => [...s.contents].every(([n, b]) => files.get(n)?.equals(b)));
    if (inSet) places.push('sealed');
    expect(places, `snapshot ${s.label} is neither intact in plaintext nor sealed`).not.toEqual([]);
    where.set(s.label, places);
  }
  return where;
}
