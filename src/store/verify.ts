/**
 * Verification of a sealed set after the fact (`snapshot-guard verify`, and the daemon's scheduled
 * check): authenticate every byte, then record the result in the set's status.json, which `list` shows.
 * No plaintext is written anywhere.
 */
import { IntegrityError, errorMessage } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { Keyring } from '../keys/keyring.js';
import { STATUS_FILE } from './names.js';
import { verifySealedSet } from './sealed-set.js';
import type { Store } from './store.js';

export interface VerificationResult {
  setId: string;
  ok: boolean;
  /** Set when ok is false: one line naming the file and what is wrong with it. */
  error?: string;
  /** True when the failure is about the data itself (tampering, missing files), not about keys or I/O. */
  integrity?: boolean;
  manifest?: Manifest;
  /** Set when status.json could not be written (read-only copy of the sets, for example). */
  statusWriteError?: string;
}

/** Verifies one set and records the result in its status.json. Never throws for a bad set. */
export async function verifyAndRecord(
  store: Store,
  setId: string,
  keyring: Keyring,
  parallelism = 2,
  now: () => Date = () => new Date(),
): Promise<VerificationResult> {
  let result: VerificationResult;
  try {
    result = { setId, ok: true, manifest: await verifySealedSet(store, setId, keyring, parallelism) };
  } catch (err) {
    result = { setId, ok: false, error: errorMessage(err), integrity: err instanceof IntegrityError };
  }
  try {
    const status = {
      verifiedAt: now().toISOString(),
      ok: result.ok,
      ...(result.error ? { error: result.error } : {}),
    };
    await store.writeStatus(setId, status);
  } catch (err) {
    result.statusWriteError = `could not record the result in ${store.where(setId, STATUS_FILE)}: ${errorMessage(err)}`;
  }
  return result;
}
