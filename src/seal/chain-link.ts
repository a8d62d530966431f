/**
 * The link a new manifest records (docs/FORMAT.md section 12, `previous`): the newest published set in
 * the store other than the one being sealed, and the SHA-256 of its stored manifest payload. The digest
 * of the set this process sealed last is kept in memory, so a steady-state seal reads no manifest back;
 * after a restart, an adoption or a quarantine the predecessor's manifest is read once from the store
 * (its header is skipped, nothing is decrypted: a write-only host can do it too).
 *
 * One writer per store (its lock), and retention never removes the newest set: so when the set this
 * process sealed last is no longer listed, someone else deleted (or hid) it. The new set still names it:
 * chaining to the next older set instead would close the gap and hide the deletion for good, whereas a
 * link to a missing set is reported by every chain check (verify, list, doctor, watch --verify-every)
 * for as long as an older set remains.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { IntegrityError, errorMessage } from '../errors.js';
import { headerLengthFromPreamble } from '../format/header.js';
import { PREAMBLE_LENGTH } from '../format/limits.js';
import type { ManifestPrevious } from '../format/manifest.js';
import { manifestPayloadDigest } from '../store/chain.js';
import { MANIFEST_FILE } from '../store/names.js';
import type { Store } from '../store/store.js';

/** The set each store's writer sealed last in this process, with its manifest payload digest. */
const lastSealed = new WeakMap<Store, ManifestPrevious>();

export function rememberSealed(store: Store, link: ManifestPrevious): void {
  lastSealed.set(store, link);
}

/** This process moved `setId` out of the store itself (quarantine): its absence is not a deletion. */
export function forgetSealed(store: Store, setId: string): void {
  if (lastSealed.get(store)?.setId === setId) lastSealed.delete(store);
}

/**
 * The predecessor of `setId`: null when the store holds no other set. `published` is the store's
 * listing (newest first) when the caller has just read it. A predecessor whose manifest is damaged or
 * missing is passed over for the next older one (sealing must not stop; its verification reports it);
 * any other failure to read it fails the seal, which is retried.
 */
export async function predecessorFor(
  store: Store,
  setId: string,
  log: Logger,
  published?: readonly string[],
): Promise<ManifestPrevious | null> {
  const candidates = (published ?? (await store.listSets())).filter((id) => id !== setId);
  const cached = lastSealed.get(store);
  if (cached && cached.setId !== setId && !candidates.includes(cached.setId)) {
    log.error(
      { setId: cached.setId, newSet: setId },
      `set ${cached.setId}, the last one this process sealed, is gone from ${store.location}: someone deleted or hid it (retention never removes the newest set). The new set ${setId} names it as its predecessor, so every chain check keeps reporting the gap; find out who removed it (docs/RUNBOOK.md "chain broken")`,
    );
    return cached;
  }
  for (const id of candidates) {
    if (cached?.setId === id) return cached;
    try {
      return { setId: id, manifestSha256: await manifestPayloadDigest(store, id) };
    } catch (err) {
      const files = await store.listFiles(id).catch(() => undefined);
      const damaged =
        err instanceof IntegrityError || (files && !files.some((f) => f.name === MANIFEST_FILE));
      if (!damaged) throw err;
      log.warn(
        { setId: id, err: errorMessage(err) },
        `the manifest of set ${id} is damaged or missing: chaining the new set to the next older set instead; run \`snapshot-guard verify --set ${id}\``,
      );
    }
  }
  return null;
}

/** SHA-256 (hex) of an encrypted file's payload: every byte after its header. */
export function payloadDigestOf(encrypted: Buffer): string {
  const headerLength = headerLengthFromPreamble(encrypted.subarray(0, PREAMBLE_LENGTH));
  return createHash('sha256').update(encrypted.subarray(headerLength)).digest('hex');
}
