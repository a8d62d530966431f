/**
 * Prometheus metrics of the stores (S3 transfers, errors, Object Lock skips) and of watch --copy-to,
 * on the daemon's registry (observe/metrics.ts). The `store` and `target` labels are the locations
 * the operator configured (--out, --copy-to): a handful per daemon, never a set id or file name.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReplicationObserver, StoreObserver, StoreOperation } from './store-observer.js';

/** 10 ms … 30 min: a small object over a LAN, up to a multi-GiB file to another region. */
export const TRANSFER_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

const OPERATIONS: readonly StoreOperation[] = [
  'upload',
  'download',
  'list',
  'write',
  'delete',
  'check',
  'abort',
  'other',
];

const guard = (record: () => void): void => {
  try {
    record();
  } catch {
    // metrics must never break sealing or copying
  }
};

const isCount = (n: number): boolean => Number.isFinite(n) && n >= 0;

export class StoreMetrics implements StoreObserver, ReplicationObserver {
  private readonly bytes: Counter<'store' | 'direction'>;
  private readonly duration: Histogram<'store' | 'direction'>;
  private readonly errors: Counter<'store' | 'operation'>;
  private readonly lockSkips: Counter<'store'>;
  private readonly copies: Counter<'target'>;
  private readonly copyFailures: Counter<'target'>;
  private readonly copiedBytes: Counter<'target'>;
  private readonly queued: Gauge<'target'>;
  /** Per target: snapshot time (ms) of the oldest set not yet copied; absent when caught up. */
  private readonly oldest = new Map<string, number | undefined>();

  constructor(
    registry: Registry,
    private readonly now: () => number = Date.now,
  ) {
    const registers = [registry];
    this.bytes = new Counter({
      name: 'snapshot_guard_store_transfer_bytes_total',
      help: 'Bytes uploaded to or downloaded from a remote store (S3), by store and direction',
      labelNames: ['store', 'direction'],
      registers,
    });
    this.duration = new Histogram({
      name: 'snapshot_guard_store_transfer_duration_seconds',
      help: 'Seconds each object upload or download took, by store and direction',
      labelNames: ['store', 'direction'],
      buckets: TRANSFER_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'snapshot_guard_store_errors_total',
      help: 'Remote store calls that failed after the client retries, by store and operation',
      labelNames: ['store', 'operation'],
      registers,
    });
    this.lockSkips = new Counter({
      name: 'snapshot_guard_object_lock_skips_total',
      help: 'Sets retention wanted to delete that S3 Object Lock still keeps (skipped, tried again later)',
      labelNames: ['store'],
      registers,
    });
    this.copies = new Counter({
      name: 'snapshot_guard_copies_total',
      help: 'Sealed sets copied to a --copy-to target and proven there (read back, SHA-256 equal)',
      labelNames: ['target'],
      registers,
    });
    this.copyFailures = new Counter({
      name: 'snapshot_guard_copy_failures_total',
      help: 'Failed copy passes to a --copy-to target (retried with backoff; sealing is not affected)',
      labelNames: ['target'],
      registers,
    });
    this.copiedBytes = new Counter({
      name: 'snapshot_guard_copied_bytes_total',
      help: 'Bytes of sealed (encrypted) files copied to a --copy-to target',
      labelNames: ['target'],
      registers,
    });
    this.queued = new Gauge({
      name: 'snapshot_guard_replication_queue_sets',
      help: 'Sealed sets known to be missing on a --copy-to target',
      labelNames: ['target'],
      registers,
    });
    const oldest = this.oldest;
    const now2 = () => this.now();
    new Gauge({
      name: 'snapshot_guard_replication_lag_seconds',
      help: 'Age of the oldest sealed set not yet copied to a --copy-to target, at scrape time; 0 when caught up',
      labelNames: ['target'],
      registers,
      // Computed at scrape time, so the lag keeps growing while a target stays down.
      collect() {
        for (const [target, since] of oldest)
          this.set({ target }, since === undefined ? 0 : Math.max(0, (now2() - since) / 1000));
      },
    });
  }

  /** Makes a target's series exist at 0 from the start (alerts use increase() on them). */
  addTarget(target: string): void {
    guard(() => {
      this.copies.inc({ target }, 0);
      this.copyFailures.inc({ target }, 0);
      this.copiedBytes.inc({ target }, 0);
      this.queued.set({ target }, 0);
      if (!this.oldest.has(target)) this.oldest.set(target, undefined);
    });
  }

  /** The same for a remote store's error series. */
  addStore(store: string): void {
    guard(() => {
      for (const operation of OPERATIONS) this.errors.inc({ store, operation }, 0);
      this.lockSkips.inc({ store }, 0);
    });
  }

  transfer(store: string, direction: 'upload' | 'download', bytes: number, seconds: number): void {
    guard(() => {
      if (isCount(bytes)) this.bytes.inc({ store, direction }, bytes);
      if (isCount(seconds)) this.duration.observe({ store, direction }, seconds);
    });
  }

  storeError(store: string, operation: StoreOperation): void {
    guard(() => this.errors.inc({ store, operation: OPERATIONS.includes(operation) ? operation : 'other' }));
  }

  objectLockSkip(store: string): void {
    guard(() => this.lockSkips.inc({ store }));
  }

  copySucceeded(target: string, bytes: number, _seconds: number): void {
    guard(() => {
      this.copies.inc({ target });
      if (isCount(bytes)) this.copiedBytes.inc({ target }, bytes);
    });
  }

  copyFailed(target: string): void {
    guard(() => this.copyFailures.inc({ target }));
  }

  backlog(target: string, sets: number, oldestSetTimeMs: number | undefined): void {
    guard(() => {
      if (isCount(sets)) this.queued.set({ target }, sets);
      this.oldest.set(target, sets > 0 ? oldestSetTimeMs : undefined);
    });
  }
}
