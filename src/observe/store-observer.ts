/**
 * What stores and the replication of sealed sets (watch --copy-to) report. observe/store-metrics.ts
 * turns these calls into Prometheus metrics. Every method must be cheap and must never throw.
 * `store` and `target` are locations the operator configured (--out, --copy-to): a bounded set.
 */

/** What a store call was doing when it failed: a small fixed set (anything else is "other"). */
export type StoreOperation =
  'upload' | 'download' | 'list' | 'write' | 'delete' | 'check' | 'abort' | 'other';

export interface StoreObserver {
  /** One object (or file) moved to or from the store: its bytes and how long it took. */
  transfer(store: string, direction: 'upload' | 'download', bytes: number, seconds: number): void;
  /** A store call failed (after the client's own retries). */
  storeError(store: string, operation: StoreOperation): void;
  /** Retention wanted a set gone that Object Lock keeps: skipped, tried again later. */
  objectLockSkip(store: string): void;
}

export interface ReplicationObserver {
  /** A set was copied to `target` and proven there. */
  copySucceeded(target: string, bytes: number, seconds: number): void;
  /** A copy (or the target's listing, lock or cleanup) failed; it is retried with backoff. */
  copyFailed(target: string): void;
  /**
   * Sets waiting to be copied to `target`, and the snapshot time (Unix ms) of the oldest of them;
   * undefined when `target` has every set.
   */
  backlog(target: string, sets: number, oldestSetTimeMs: number | undefined): void;
}

export const noopStoreObserver: StoreObserver & ReplicationObserver = {
  transfer() {},
  storeError() {},
  objectLockSkip() {},
  copySucceeded() {},
  copyFailed() {},
  backlog() {},
};

/**
 * An observer to hand to stores opened before the metrics exist (watch opens --out first, to check
 * and lock it): it forwards to whatever `connect()` names later, and drops reports until then.
 */
export function relayObserver(): {
  observer: StoreObserver & ReplicationObserver;
  connect(to: StoreObserver & ReplicationObserver): void;
} {
  let to: StoreObserver & ReplicationObserver = noopStoreObserver;
  return {
    observer: {
      transfer: (...a) => to.transfer(...a),
      storeError: (...a) => to.storeError(...a),
      objectLockSkip: (...a) => to.objectLockSkip(...a),
      copySucceeded: (...a) => to.copySucceeded(...a),
      copyFailed: (...a) => to.copyFailed(...a),
      backlog: (...a) => to.backlog(...a),
    },
    connect: (next) => (to = next),
  };
}
