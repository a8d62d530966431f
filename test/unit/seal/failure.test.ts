/** What counts as which failure in the daemon loop (seal/failure.ts). */
import { describe, expect, it } from 'vitest';
import { IntegrityError, UserError } from '../../../src/errors.js';
import { KeyProviderError } from '../../../src/keys/errors.js';
import { failureReason } from '../../../src/seal/failure.js';
import { StoreError } from '../../../src/store/errors.js';
import { openFailure, SourceChangedError } from '../../../src/snapshots/source-changed.js';
import { Backoff, retry } from '../../../src/util/backoff.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('failureReason', () => {
  it('a snapshot that disappeared is "changed" (rescan), not a failure to fix', () => {
    expect(failureReason(openFailure(errno('ENOENT'), '/d/dump.rdb', 'dump.rdb'))).toBe('source_changed');
    expect(failureReason(new SourceChangedError('x'))).toBe('source_changed');
  });

  it('a snapshot the daemon may not read is "permission", with the fix in the message', () => {
    for (const code of ['EACCES', 'EPERM', 'ELOOP']) {
      const err = openFailure(errno(code), '/d/dump.rdb', 'dump.rdb');
      expect(failureReason(err)).toBe('permission');
      expect(err.message).toContain('/d/dump.rdb');
    }
    expect(openFailure(errno('EACCES'), '/d/dump.rdb', 'dump.rdb').message).toContain('UMask=0007');
  });

  it('other open errors (EMFILE) are "io", never "changed"', () => {
    expect(failureReason(openFailure(errno('EMFILE'), '/d/x', 'x'))).toBe('io');
  });

  it('classifies key, space, integrity and other errors', () => {
    expect(failureReason(new KeyProviderError('KMS throttled', true))).toBe('key_provider');
    expect(failureReason(errno('ENOSPC'))).toBe('no_space');
    expect(failureReason(errno('EDQUOT'))).toBe('no_space');
    expect(failureReason(new IntegrityError('tag mismatch'))).toBe('verify');
    expect(failureReason(errno('EIO'))).toBe('io');
    expect(failureReason(new StoreError('s3://b/p: cannot reach the S3 endpoint'))).toBe('store');
    expect(failureReason(new UserError('something else'))).toBe('other');
  });
});

describe('Backoff', () => {
  it('grows exponentially with equal jitter up to the cap, and resets after a success', () => {
    const top = new Backoff(1000, 8000, () => 1);
    expect([top.next(), top.next(), top.next(), top.next(), top.next()]).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ]);
    expect(top.failures).toBe(5);
    top.reset();
    expect(top.next()).toBe(1000);
    const bottom = new Backoff(1000, 8000, () => 0);
    expect([bottom.next(), bottom.next()]).toEqual([500, 1000]); // never below half the ceiling
  });
});

describe('retry', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };
  it('retries transient failures with growing waits, up to the attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    const out = await retry(
      policy,
      () => true,
      () => (++calls < 4 ? Promise.reject(new Error('busy')) : Promise.resolve('ok')),
      (ms) => Promise.resolve(waits.push(ms)),
    );
    expect(out).toBe('ok');
    expect(waits).toHaveLength(3);
    expect(
      waits.every((w, i) => w >= Math.min(250, 100 * 2 ** i) / 2 && w <= Math.min(250, 100 * 2 ** i)),
    ).toBe(true);
  });

  it('throws at once on a failure that is not transient, and the last error after the attempts', async () => {
    let calls = 0;
    const wait = () => Promise.resolve();
    await expect(
      retry(
        policy,
        () => false,
        () => {
          calls++;
          return Promise.reject(new Error('denied'));
        },
        wait,
      ),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
    await expect(
      retry(
        policy,
        () => true,
        (n) => Promise.reject(new Error(`try ${n}`)),
        wait,
      ),
    ).rejects.toThrow('try 4');
  });
});
