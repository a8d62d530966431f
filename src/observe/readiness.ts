/**
 * Readiness of the daemon (what /readyz answers). It listens to the same PipelineObserver calls as the
 * metrics, so the daemon updates both with one call:
 *  - watching(true) once the snapshot directory is watched;
 *  - keyProviderReachable(ok) after each reachability check: until the first check it is not ready,
 *    because an unchecked key provider is exactly what a fresh deployment gets wrong;
 *  - sealFailed(reason) / sealSucceeded(): not ready while seals fail (other than a snapshot that
 *    changed under the sealer, which is simply sealed again);
 *  - pending(count, oldestAge): ready turns false while the oldest pending plaintext is older than
 *    the stuck threshold (the age keeps growing between reports, so a hung pipeline is noticed too).
 */
import type { PipelineObserver, SealFailureReason } from '../observe/observer.js';

export interface ReadinessReport {
  ready: boolean;
  /** Why not ready, one short sentence each; empty when ready. Never contains secrets or paths. */
  reasons: string[];
}

export interface ReadinessOptions {
  /** Plaintext waiting longer than this makes the daemon not ready (default 600 s). */
  stuckAfterSeconds?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export const DEFAULT_STUCK_AFTER_SECONDS = 600;

export class ReadinessState implements PipelineObserver {
  readonly stuckAfterSeconds: number;
  private readonly now: () => number;
  private isWatching = false;
  private keyProvider: 'unchecked' | 'reachable' | 'unreachable' = 'unchecked';
  private oldestPendingSince: number | undefined;
  private failingSeal: SealFailureReason | undefined;

  constructor(opts: ReadinessOptions = {}) {
    this.stuckAfterSeconds = opts.stuckAfterSeconds ?? DEFAULT_STUCK_AFTER_SECONDS;
    this.now = opts.now ?? Date.now;
  }

  /** The readiness function for startObserveServer (an arrow so it can be passed around unbound). */
  readonly check = (): ReadinessReport => {
    const reasons: string[] = [];
    if (!this.isWatching) reasons.push('not watching the snapshot directory (yet)');
    if (this.keyProvider === 'unchecked') reasons.push('key provider not checked yet');
    if (this.keyProvider === 'unreachable') reasons.push('key provider unreachable at the last check');
    // A snapshot changing under the sealer is normal (it is sealed again); anything else needs a look.
    if (this.failingSeal && this.failingSeal !== 'source_changed')
      reasons.push(`sealing fails (${this.failingSeal}); the plaintext is kept, see the log for the fix`);
    const age = this.oldestPendingAgeSeconds();
    if (age > this.stuckAfterSeconds) {
      reasons.push(
        `oldest pending plaintext snapshot is ${Math.floor(age)}s old (stuck threshold ${this.stuckAfterSeconds}s)`,
      );
    }
    return { ready: reasons.length === 0, reasons };
  };

  oldestPendingAgeSeconds(): number {
    const since = this.oldestPendingSince;
    return since === undefined ? 0 : Math.max(0, (this.now() - since) / 1000);
  }

  watching(active: boolean): void {
    this.isWatching = active;
  }

  keyProviderReachable(ok: boolean): void {
    this.keyProvider = ok ? 'reachable' : 'unreachable';
  }

  pending(count: number, oldestAgeSeconds: number): void {
    const valid = Number.isFinite(oldestAgeSeconds) && oldestAgeSeconds >= 0;
    this.oldestPendingSince = count > 0 && valid ? this.now() - oldestAgeSeconds * 1000 : undefined;
  }

  sealFailed(reason: SealFailureReason): void {
    this.failingSeal = reason;
  }

  sealSucceeded(): void {
    this.failingSeal = undefined;
  }

  // The rest of the pipeline's reports do not change readiness.
  sealStarted(): void {}
  stageFinished(): void {}
  housekeepingFailed(): void {}
  keyProviderCall(): void {}
  verification(): void {}
  chainChecked(): void {}
  restoreOnBoot(): void {}
  restoreSkippedSets(): void {}
  lastSealFromStore(): void {}
}
