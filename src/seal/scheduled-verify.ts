/** The daemon's scheduled check of the newest sealed set (`watch --verify-every`). */
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { PipelineObserver } from '../observe/observer.js';
import type { Store } from '../store/store.js';
import { verifyAndRecord, type VerificationResult } from '../store/verify.js';
import { daemonOpener } from './daemon-keys.js';
import { checkWithoutKey } from './keyless-check.js';

/**
 * The daemon's scheduled check: verifies the newest sealed set, records it in status.json and reports
 * it to the observer (metrics, alerts). Returns undefined when nothing has been sealed yet. Never throws.
 */
export async function verifyLatest(
  store: Store,
  keyring: Keyring,
  observer: PipelineObserver,
  log: Logger,
  parallelism = 1,
): Promise<VerificationResult | undefined> {
  let ids: string[];
  try {
    ids = await store.listSets();
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'scheduled verification could not list the sealed sets');
    observer.verification(false, Date.now() / 1000);
    return undefined;
  }
  const newest = ids[0];
  if (!newest) {
    log.debug({ store: store.location }, 'scheduled verification: nothing sealed yet');
    return undefined;
  }
  const opener = daemonOpener(keyring);
  if (!opener) {
    // Write-only host: completeness only. Nothing is recorded in status.json and no success is reported,
    // because authenticity was not checked; a structural failure is real damage and is reported.
    const keyless = await checkWithoutKey(store, newest);
    if (keyless.ok)
      log.info(
        { setId: newest, files: keyless.files },
        'scheduled check (write-only host, no key here opens sets): the newest set is complete and well-formed; its bytes are NOT authenticated here, run `snapshot-guard verify` where the key is for that',
      );
    else {
      observer.verification(false, Date.now() / 1000);
      log.error({ setId: newest, err: keyless.error }, 'scheduled check FAILED for the newest sealed set');
    }
    return { setId: newest, ok: keyless.ok, ...(keyless.error ? { error: keyless.error } : {}) };
  }
  const result = await verifyAndRecord(store, newest, opener, parallelism);
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
