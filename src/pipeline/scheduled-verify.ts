/**
 * Verification of sealed sets after the fact: `snapshot-guard verify`, and the daemon's periodic check
 * of the newest set (`watch --verify-every`). Each result is recorded in the set's status.json, which
 * `list` shows. No plaintext is written anywhere.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { IntegrityError, errorMessage } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { Keyring } from '../keys/keyring.js';
import { STATUS_FILE, setDir } from '../store/layout.js';
import { giveToOwnerOf } from '../store/ownership.js';
import { assertManifestOf, sealedSetIds } from '../store/sets.js';
import type { PipelineObserver } from './observer.js';
import { writeStatus } from './seal.js';
import { unwrapSetKey, verifySetWithKey } from './verify-set.js';

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

/** Unwraps the set's key once and authenticates every byte of the set and its manifest. */
export async function verifySealedSet(
  encryptedDir: string,
  setId: string,
  keyring: Keyring,
  parallelism: number,
): Promise<Manifest> {
  const dir = setDir(encryptedDir, setId);
  const { dataKey, header } = await unwrapSetKey(dir, keyring);
  try {
    assertManifestOf(encryptedDir, setId, header.context.setId);
    return await verifySetWithKey(dir, dataKey, undefined, parallelism);
  } finally {
    dataKey.fill(0);
  }
}

/** Verifies one set and records the result in its status.json. Never throws for a bad set. */
export async function verifyAndRecord(
  encryptedDir: string,
  setId: string,
  keyring: Keyring,
  parallelism = 2,
  now: () => Date = () => new Date(),
): Promise<VerificationResult> {
  let result: VerificationResult;
  try {
    result = { setId, ok: true, manifest: await verifySealedSet(encryptedDir, setId, keyring, parallelism) };
  } catch (err) {
    result = { setId, ok: false, error: errorMessage(err), integrity: err instanceof IntegrityError };
  }
  const dir = setDir(encryptedDir, setId);
  try {
    const status = {
      verifiedAt: now().toISOString(),
      ok: result.ok,
      ...(result.error ? { error: result.error } : {}),
    };
    await writeStatus(dir, status);
    await giveToOwnerOf(join(dir, STATUS_FILE), dir);
  } catch (err) {
    result.statusWriteError = `could not record the result in ${join(dir, STATUS_FILE)}: ${errorMessage(err)}`;
  }
  return result;
}

/**
 * The daemon's scheduled check: verifies the newest sealed set, records it in status.json and reports
 * it to the observer (metrics, alerts). Returns undefined when nothing has been sealed yet. Never throws.
 */
export async function verifyLatest(
  encryptedDir: string,
  keyring: Keyring,
  observer: PipelineObserver,
  log: Logger,
  parallelism = 1,
): Promise<VerificationResult | undefined> {
  let ids: string[];
  try {
    ids = await sealedSetIds(encryptedDir);
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'scheduled verification could not list the sealed sets');
    observer.verification(false, Date.now() / 1000);
    return undefined;
  }
  const newest = ids[0];
  if (!newest) {
    log.debug({ dir: encryptedDir }, 'scheduled verification: nothing sealed yet');
    return undefined;
  }
  const result = await verifyAndRecord(encryptedDir, newest, keyring, parallelism);
  observer.verification(result.ok, Date.now() / 1000);
  if (result.ok) log.info({ setId: newest }, 'scheduled verification: the newest sealed set is intact');
  else
    log.error(
      { setId: newest, err: result.error },
      'scheduled verification FAILED for the newest sealed set',
    );
  if (result.statusWriteError) log.warn({ setId: newest }, result.statusWriteError);
  return result;
}
