/** The readiness state behind /readyz, and the fan-out that feeds it together with the metrics. */
import { describe, expect, it } from 'vitest';
import { fanOut } from '../../../src/observe/fan-out.js';
import { ReadinessState } from '../../../src/observe/readiness.js';
import { noopObserver, type PipelineObserver } from '../../../src/observe/observer.js';

describe('ReadinessState', () => {
  it('is ready only once watching and the key provider answered', () => {
    const r = new ReadinessState();
    expect(r.check()).toEqual({
      ready: false,
      reasons: ['not watching the snapshot directory (yet)', 'key provider not checked yet'],
    });
    r.watching(true);
    r.keyProviderReachable(true);
    expect(r.check()).toEqual({ ready: true, reasons: [] });
    r.watching(false);
    expect(r.check().ready).toBe(false);
  });

  it('turns not ready when the oldest pending plaintext passes the stuck threshold, even without new reports', () => {
    let nowMs = 5_000_000;
    const r = new ReadinessState({ stuckAfterSeconds: 120, now: () => nowMs });
    r.watching(true);
    r.keyProviderReachable(true);
    r.pending(1, 100);
    expect(r.check().ready).toBe(true);
    nowMs += 30_000; // 130 s old now
    expect(r.check()).toEqual({
      ready: false,
      reasons: ['oldest pending plaintext snapshot is 130s old (stuck threshold 120s)'],
    });
    r.pending(0, 0);
    expect(r.check().ready).toBe(true);
    expect(r.oldestPendingAgeSeconds()).toBe(0);
  });

  it('uses 600 s as the default stuck threshold', () => {
    expect(new ReadinessState().stuckAfterSeconds).toBe(600);
  });
});

describe('ReadinessState and failing seals', () => {
  it('is not ready while seals fail, except for a snapshot that changed under the sealer', () => {
    const r = new ReadinessState();
    r.watching(true);
    r.keyProviderReachable(true);
    r.sealFailed('source_changed');
    expect(r.check().ready).toBe(true);
    r.sealFailed('permission');
    expect(r.check()).toEqual({
      ready: false,
      reasons: ['sealing fails (permission); the plaintext is kept, see the log for the fix'],
    });
    r.housekeepingFailed();
    r.sealSucceeded();
    expect(r.check().ready).toBe(true);
  });
});

describe('fanOut', () => {
  it('forwards every PipelineObserver method to every observer, even if one throws', () => {
    const calls: string[] = [];
    const methods = Object.keys(noopObserver) as (keyof PipelineObserver)[];
    const recorder = Object.fromEntries(
      methods.map((m) => [m, (...args: unknown[]) => calls.push(`${m}(${args.length})`)]),
    ) as unknown as PipelineObserver;
    const thrower = Object.fromEntries(
      methods.map((m) => [
        m,
        () => {
          throw new Error('observer bug');
        },
      ]),
    ) as unknown as PipelineObserver;
    const both = fanOut(thrower, recorder);
    both.sealStarted('id');
    both.stageFinished('encrypt', 1);
    both.sealSucceeded({
      setId: 'id',
      format: 'rdb',
      files: 1,
      plaintextBytes: 1,
      encryptedBytes: 1,
      durationSeconds: 1,
      plaintextLifetimeSeconds: 1,
      fileSizes: [],
      finishedAt: 1,
    });
    both.sealFailed('io');
    both.housekeepingFailed('retention');
    both.pending(1, 2);
    both.keyProviderCall('local', 'wrap', 0, true);
    both.verification(true, 1);
    both.chainChecked(0);
    both.restoreOnBoot('skipped');
    both.restoreSkippedSets(0);
    both.lastSealFromStore({ finishedAt: 1, fileSizes: [] });
    both.watching(true);
    both.keyProviderReachable(true);
    expect(calls.map((c) => c.replace(/\(.*/, '')).sort()).toEqual([...methods].sort());
    expect(calls).toContain('keyProviderCall(4)');
  });
});
