/**
 * What the watcher reports while it works. observe/metrics.ts turns these calls into Prometheus
 * metrics; tests may record them. Every method must be cheap and must never throw.
 * No argument ever carries key material; file names are not passed (unbounded label values).
 */
export type SealStage = 'wrap' | 'encrypt' | 'verify' | 'shred';

export type SealFailureReason =
  | 'key_provider' // KMS/Vault/local key could not make or wrap a data key
  | 'no_space' // ENOSPC / EDQUOT while writing the encrypted copy
  | 'io' // other file-system errors
  | 'verify' // the published copy did not read back and authenticate
  | 'source_changed' // the snapshot changed or vanished while being sealed
  | 'permission' // the snapshot (or a directory) cannot be read or written by the daemon's user
  | 'store' // a remote store (S3) was unreachable, refused access or failed
  | 'other';

/** Work the daemon does besides sealing; its failures never count as failed seals. */
export type HousekeepingTask = 'retention' | 'orphans' | 'restored';

export interface SealSuccess {
  setId: string;
  format: 'dfs' | 'rdb';
  files: number;
  plaintextBytes: number;
  encryptedBytes: number;
  /** From the start of sealing to plaintext gone. */
  durationSeconds: number;
  /** From the snapshot's completion (mtime of summary / .rdb) to plaintext gone. */
  plaintextLifetimeSeconds: number;
  /** Sizes of each plaintext file, by role. */
  fileSizes: { role: 'shard' | 'summary' | 'rdb'; bytes: number }[];
  /** Unix seconds when the set was sealed. */
  finishedAt: number;
}

/** What the newest sealed set says about the last seal, read from the store at start. */
export interface LastSeal {
  /** Unix seconds when the set was sealed. */
  finishedAt: number;
  /** Unix seconds of its last successful verification, if any. */
  verifiedAt?: number;
  fileSizes: { role: 'shard' | 'summary' | 'rdb'; bytes: number }[];
}

export interface PipelineObserver {
  sealStarted(setId: string): void;
  stageFinished(stage: SealStage, seconds: number): void;
  sealSucceeded(s: SealSuccess): void;
  /** At start: the gauges of the last seal, from the newest sealed set (no counter moves). */
  lastSealFromStore(s: LastSeal): void;
  sealFailed(reason: SealFailureReason): void;
  /** Retention, leftover-shard cleanup or restored-file handling failed (after or besides sealing). */
  housekeepingFailed(task: HousekeepingTask): void;
  /** Sets waiting to be sealed, and the age of the oldest waiting plaintext (0 when none). */
  pending(count: number, oldestAgeSeconds: number): void;
  /** Result of one call to a key provider (provider: local|kms|vault; operation: generate|wrap|unwrap|rewrap|check). */
  keyProviderCall(provider: string, operation: string, seconds: number, ok: boolean): void;
  /** A scheduled or on-demand verification of a sealed set. */
  verification(ok: boolean, atUnixSeconds: number): void;
  /** Broken links the last scheduled chain check found (a set deleted out of order, or replaced). */
  chainChecked(brokenLinks: number): void;
  /** Outcome of restore-on-boot handling: restored set shredded after load, etc. */
  restoreOnBoot(
    outcome:
      'restored' | 'fell_back' | 'skipped' | 'nothing_sealed' | 'failed' | 'shredded_after_load' | 'stale',
  ): void;
  /** Newer sets the last restore into Dragonfly's directory skipped because they failed verification. */
  restoreSkippedSets(count: number): void;
  /** Readiness inputs. */
  watching(active: boolean): void;
  keyProviderReachable(ok: boolean): void;
}

export const noopObserver: PipelineObserver = {
  sealStarted() {},
  stageFinished() {},
  sealSucceeded() {},
  lastSealFromStore() {},
  sealFailed() {},
  housekeepingFailed() {},
  pending() {},
  keyProviderCall() {},
  verification() {},
  chainChecked() {},
  restoreOnBoot() {},
  restoreSkippedSets() {},
  watching() {},
  keyProviderReachable() {},
};
