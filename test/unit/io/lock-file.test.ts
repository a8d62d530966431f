/** When a lock's holder counts as gone (io/lock-file.ts), decided without any process or clock. */
import { describe, expect, it } from 'vitest';
import { STALE_MS, staleReason, type LockHolder } from '../../../src/io/lock-file.js';

const self: LockHolder = {
  pid: process.pid,
  host: 'this-host',
  bootId: 'boot-1',
  startTicks: 0,
  since: '2026-12-01T00:00:00.000Z',
  purpose: 'watch',
};

describe('staleReason', () => {
  it('a holder on this host whose pid runs nothing is gone at once, however fresh the file', () => {
    const dead = { ...self, pid: 2 ** 22 + 7 }; // above pid_max: never a running process
    expect(staleReason(dead, 0, self)).toContain('is no longer running');
  });

  it('a holder on this host whose pid now runs another process is gone', () => {
    const reused = { ...self, pid: 1, startTicks: 123_456_789 };
    expect(staleReason(reused, 0, self)).toContain('now belongs to another process');
  });

  it('a lock from before a reboot of this host is gone', () => {
    expect(staleReason({ ...self, bootId: 'boot-0' }, 0, self)).toBe('it is from before a reboot');
  });

  it('a holder on another host counts until it stops refreshing the lock', () => {
    const remote = { ...self, host: 'other-pod' };
    expect(staleReason(remote, STALE_MS - 1, self)).toBeUndefined();
    expect(staleReason(remote, STALE_MS + 1000, self)).toContain('was not refreshed');
  });

  it('a lock being written (no holder yet) counts until it is old', () => {
    expect(staleReason(undefined, 1000, self)).toBeUndefined();
    expect(staleReason(undefined, STALE_MS + 1, self)).toBeDefined();
  });
});
