/**
 * The chain of sealed sets (docs/SECURITY.md "Deleted and replaced sets"): a version-2 manifest names
 * the set that was the newest in the store when it was sealed, with the SHA-256 of that set's stored
 * manifest payload (the bytes after its header, which a rewrap keeps). Following the links finds a set
 * deleted from the middle of the store, or replaced by another one under the same id.
 *
 * Retention removes only the oldest sets, oldest first (seal/retention.ts), so a predecessor that is
 * gone while an older set is still there was not removed by retention. A predecessor gone with nothing
 * older left looks exactly like retention, and is not reported: deleting the oldest sets is not
 * detected here, deleting the newest is what `restore --max-age` notices.
 */
import { createHash } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { readHeader } from '../format/file.js';
import type { ManifestPrevious } from '../format/manifest.js';
import { MANIFEST_FILE } from './names.js';
import { mapLimit } from '../util/map-limit.js';
import type { Store } from './store.js';

export interface ChainLink {
  setId: string;
  /** What the set's manifest names: a link, null (first of a chain) or undefined (version 1, unknown). */
  previous?: ManifestPrevious | null | undefined;
}

export interface ChainBreak {
  /** The set whose link is broken, and the predecessor it names. */
  setId: string;
  previous: string;
  kind: 'missing' | 'replaced';
  /** One line naming both sets and what to do. */
  message: string;
}

const RUNBOOK = 'docs/RUNBOOK.md "chain broken"';

/** Manifests or set.json files read at once while following a chain. */
export const READS_AT_ONCE = 8;

/** Predecessors named by `links` that are still published: their manifest digests are needed. */
export function predecessorsToRead(published: readonly string[], links: readonly ChainLink[]): string[] {
  const present = new Set(published);
  const named = links.flatMap((l) => (l.previous && present.has(l.previous.setId) ? [l.previous.setId] : []));
  return [...new Set(named)];
}

/**
 * The broken links among `links`, given every published set id (any order) and the manifest payload
 * digest of each predecessor that could be read (one that could not is left to its own verification).
 * Ids order as `listSets` orders them: an id that sorts lower is an older set.
 */
export function chainBreaks(
  published: readonly string[],
  links: readonly ChainLink[],
  digests: ReadonlyMap<string, string>,
): ChainBreak[] {
  const present = new Set(published);
  const breaks: ChainBreak[] = [];
  for (const { setId, previous } of links) {
    if (!previous) continue;
    const p = previous.setId;
    if (!present.has(p)) {
      const older = published.filter((id) => id < p).sort();
      if (older.length === 0) continue; // everything older is gone too: retention's doing, or undetectable
      breaks.push({
        setId,
        previous: p,
        kind: 'missing',
        message: `set ${setId} names ${p} as the set sealed before it, but ${p} is gone while ${older.length} older set(s) remain (newest ${older.at(-1)}): it was deleted or quarantined out of order (retention removes only the oldest sets); find out who removed it before trusting this store (${RUNBOOK})`,
      });
      continue;
    }
    const found = digests.get(p);
    if (found !== undefined && found !== previous.manifestSha256) {
      breaks.push({
        setId,
        previous: p,
        kind: 'replaced',
        message: `set ${setId} names ${p} as the set sealed before it with manifest digest ${previous.manifestSha256.slice(0, 16)}…, but ${p}'s manifest now has digest ${found.slice(0, 16)}…: ${p} was replaced after ${setId} was sealed; do not restore ${p} before finding out who wrote it (${RUNBOOK})`,
      });
    }
  }
  return breaks;
}

/** SHA-256 (hex) of a published set's manifest payload: every byte of manifest.sgm after its header. */
export async function manifestPayloadDigest(store: Store, setId: string): Promise<string> {
  const reader = new PullReader(store.read(setId, MANIFEST_FILE));
  try {
    await readHeader(reader, store.where(setId, MANIFEST_FILE));
    const hash = createHash('sha256');
    while ((await reader.fill(64 * 1024)) > 0)
      for (const s of reader.takeSlices(reader.buffered)) hash.update(s);
    return hash.digest('hex');
  } finally {
    await reader.close();
  }
}

/**
 * Reads the digests the links need and returns the broken links. A predecessor whose manifest cannot
 * be read is not judged here (its own verification or listing reports it); `unreadable` says which.
 */
export async function checkChain(
  store: Store,
  published: readonly string[],
  links: readonly ChainLink[],
): Promise<{ breaks: ChainBreak[]; unreadable: { setId: string; error: string }[] }> {
  const digests = new Map<string, string>();
  const unreadable: { setId: string; error: string }[] = [];
  // A few reads at a time: each is a small GET to a bucket, where latency, not bandwidth, is the cost.
  await mapLimit(predecessorsToRead(published, links), READS_AT_ONCE, async (id) => {
    try {
      digests.set(id, await manifestPayloadDigest(store, id));
    } catch (err) {
      unreadable.push({ setId: id, error: errorMessage(err) });
    }
  });
  return { breaks: chainBreaks(published, links, digests), unreadable };
}
