/**
 * The daemon's scheduled check (`watch --verify-every`): the newest sealed set, and the chain of every
 * published set (a set deleted from the middle of the store, or replaced).
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { PipelineObserver } from '../observe/observer.js';
import type { Store } from '../store/store.js';
import { verifyAndRecord, type VerificationResult } from '../store/verify.js';
import { READS_AT_ONCE, checkChain, type ChainLink } from '../store/chain.js';
import { mapLimit } from '../util/map-limit.js';
import { claimedPrevious } from '../store/set-info.js';
import { previousOf } from '../format/manifest.js';
import { daemonOpener } from './daemon-keys.js';
import { checkWithoutKey } from './keyless-check.js';

/**
 * The daemon's scheduled check: verifies the newest sealed set, records it in status.json and reports
 * it to the observer (metrics, alerts); then checks the chain (scheduledChainCheck). Returns undefined
 * when nothing has been sealed yet. Never throws.
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
    await scheduledChainCheck(store, ids, undefined, observer, log);
    return { setId: newest, ok: keyless.ok, ...(keyless.error ? { error: keyless.error } : {}) };
  }
  const result = await verifyAndRecord(store, newest, opener, parallelism);
  await scheduledChainCheck(store, ids, result.manifest && previousOf(result.manifest), observer, log);
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

/**
 * Follows the links of every published set (store/chain.ts). They come from each set's set.json, which
 * anyone who can write the store can change, except the newest set's link when it was just read from
 * its authenticated manifest (`newestLink`): a cheap alarm between full `verify --all` runs, which
 * authenticate every link. Each broken link is logged; the count goes to the observer
 * (snapshot_guard_chain_broken_links). A listing or read that fails leaves the count as it was.
 */
async function scheduledChainCheck(
  store: Store,
  ids: string[],
  newestLink: ChainLink['previous'],
  observer: PipelineObserver,
  log: Logger,
): Promise<void> {
  try {
    const links: ChainLink[] = await mapLimit(ids, READS_AT_ONCE, async (setId) => ({
      setId,
      previous:
        setId === ids[0] && newestLink !== undefined
          ? newestLink
          : claimedPrevious(await store.readInfo(setId).catch(() => undefined)),
    }));
    const { breaks } = await checkChain(store, ids, links);
    for (const b of breaks)
      log.error(
        { setId: b.setId, previous: b.previous, kind: b.kind },
        `chain of sealed sets broken: ${b.message}`,
      );
    observer.chainChecked(breaks.length);
    if (breaks.length === 0)
      log.debug(
        { sets: ids.length },
        'scheduled check: the chain of sealed sets has no gap and no replaced set',
      );
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'scheduled check could not follow the chain of sealed sets');
  }
}
