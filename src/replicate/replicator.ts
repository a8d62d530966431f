/**
 * watch --copy-to: every set sealed into the primary store is copied to each further store, one
 * CopyTarget (queue, lock, retries) per target, in the background. The watcher only calls `sealed()`
 * after a set is published and its plaintext shredded; it never waits for a copy.
 */
import type { Logger } from 'pino';
import { UserError } from '../errors.js';
import type { ReplicationObserver } from '../observe/store-observer.js';
import type { Store } from '../store/store.js';
import { CopyTarget } from './copy-target.js';

/** How often each target is compared with the primary besides the passes after each seal. */
export const RESCAN_EVERY_MS = 5 * 60_000;

export interface ReplicatorConfig {
  source: Store;
  targets: Store[];
  observer: ReplicationObserver;
  log: Logger;
  retryInitialMs: number;
  retryMaxMs: number;
  rescanEveryMs?: number;
}

/** A target that is the primary again, or named twice, is a usage error. */
export function checkTargets(source: Store, targets: Store[]): void {
  const seen = new Set([source.location]);
  for (const t of targets) {
    if (seen.has(t.location))
      throw new UserError(
        `--copy-to ${t.location}: ${t.location === source.location ? 'is --out itself' : 'is given twice'}; each copy target must be a different store`,
        2,
      );
    seen.add(t.location);
  }
}

export class Replicator {
  private readonly targets: CopyTarget[];

  constructor(cfg: ReplicatorConfig) {
    checkTargets(cfg.source, cfg.targets);
    this.targets = cfg.targets.map(
      (target) =>
        new CopyTarget({
          source: cfg.source,
          target,
          observer: cfg.observer,
          log: cfg.log,
          rescanEveryMs: cfg.rescanEveryMs ?? RESCAN_EVERY_MS,
          retryInitialMs: cfg.retryInitialMs,
          retryMaxMs: cfg.retryMaxMs,
        }),
    );
  }

  /** Starts the first pass of every target (backfill) without waiting for it. */
  start(): void {
    for (const t of this.targets) t.start();
  }

  /** The hook the watcher calls after a set is sealed and its plaintext gone. */
  sealed(setId: string): void {
    for (const t of this.targets) t.sealed(setId);
  }

  /** For --once: one more pass on every target; returns the failures ("URL: message"). */
  async finish(): Promise<string[]> {
    for (const t of this.targets) t.kick();
    await Promise.all(this.targets.map((t) => t.idle()));
    // A store's own errors already begin with its location.
    return this.targets.flatMap((t) =>
      t.failure ? [t.failure.startsWith(`${t.location}:`) ? t.failure : `${t.location}: ${t.failure}`] : [],
    );
  }

  async stop(timeoutMs: number): Promise<void> {
    await Promise.all(this.targets.map((t) => t.stop(timeoutMs)));
  }
}
