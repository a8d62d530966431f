/**
 * Verification of a sealed set after the fact (`snapshot-guard verify`, and the daemon's scheduled
 * check): authenticate every byte, then record the result in the set's status.json, which `list` shows.
 * No plaintext is written anywhere.
 */
import { IntegrityError, errorMessage } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { Keyring } from '../keys/keyring.js';
import { STATUS_FILE } from './names.js';
import { openWithKey, unwrapSetKey, verifyOpened, type OpenedSet } from './sealed-set.js';
import type { Store } from './store.js';

export interface VerificationResult {
  setId: string;
  ok: boolean;
  /** Set when ok is false: one line naming the file and what is wrong with it. */
  error?: string;
  /** True when the failure is about the data itself (tampering, missing files), not about keys or I/O. */
  integrity?: boolean;
  /** True when no configured key could open the set: nothing was checked, and nothing was recorded. */
  noKey?: boolean;
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
  let opened: OpenedSet;
  try {
    const { dataKey } = await unwrapSetKey(store, setId, keyring);
    opened = await openWithKey(store, setId, dataKey).catch((err: unknown) => {
      dataKey.fill(0);
      throw err;
    });
  } catch (err) {
    // A key that cannot open the set says nothing about the set: record nothing (list and doctor
    // trust status.json). A manifest that does not authenticate is damage, and is recorded.
    if (!(err instanceof IntegrityError)) return { setId, ok: false, error: errorMessage(err), noKey: true };
    return record(store, setId, { setId, ok: false, error: errorMessage(err), integrity: true }, now);
  }
  let result: VerificationResult;
  try {
    await verifyOpened(store, opened, parallelism);
    result = { setId, ok: true, manifest: opened.manifest };
  } catch (err) {
    result = { setId, ok: false, error: errorMessage(err), integrity: err instanceof IntegrityError };
  } finally {
    opened.close();
  }
  return record(store, setId, result, now);
}

async function record(
  store: Store,
  setId: string,
  result: VerificationResult,
  now: () => Date,
): Promise<VerificationResult> {
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
