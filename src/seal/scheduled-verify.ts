/** The daemon's scheduled check of the newest sealed set (`watch --verify-every`). */
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { PipelineObserver } from '../observe/observer.js';
import type { Store } from '../store/store.js';
import { verifyAndRecord, type VerificationResult } from '../store/verify.js';

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
  const result = await verifyAndRecord(store, newest, keyring, parallelism);
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
