/**
 * watch --copy-to: opens each copy target (usage errors before anything starts) and the Replicator
 * that copies every sealed set there. Targets are only contacted later, in the background, so an
 * unreachable one never stops watch from starting or sealing.
 */
import { hostname } from 'node:os';
import { relative } from 'node:path';
import type { Logger } from 'pino';
import { UserError } from '../errors.js';
import type { ReplicationObserver, StoreObserver } from '../observe/store-observer.js';
import { Replicator } from '../replicate/replicator.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { s3SettingsFrom, type S3SettingsInput } from './s3-options.js';

export interface CopyTo {
  replicator: Replicator;
  targets: Store[];
}

export async function copyTargetsFrom(
  opts: S3SettingsInput & { copyTo: string[]; retryMax: number },
  primary: Store,
  dragonflyDir: string,
  observer: StoreObserver & ReplicationObserver,
  log: Logger,
): Promise<CopyTo | undefined> {
  if (opts.copyTo.length === 0) return undefined;
  // Copies go under the same instance name as the sets they copy.
  const settings = { ...s3SettingsFrom(opts), instance: opts.instance ?? hostname(), observer };
  const targets = await Promise.all(opts.copyTo.map((url) => openStore(url, '--copy-to', settings)));
  for (const t of targets) {
    const rel = relative(dragonflyDir, t.location);
    if (t.local && (rel === '' || !rel.startsWith('..')))
      throw new UserError(
        `--copy-to ${t.location} is inside Dragonfly's --dir ${dragonflyDir}; put copies elsewhere`,
        2,
      );
  }
  const replicator = new Replicator({
    source: primary,
    targets,
    observer,
    log,
    retryInitialMs: 1000,
    retryMaxMs: opts.retryMax,
  });
  return { replicator, targets };
}
