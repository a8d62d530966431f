/**
 * One writer at a time into an output file that several threads fill at their own offsets.
 *
 * The kernel serialises buffered writes to one file anyway (each takes the inode's lock), but a thread
 * that finds that lock taken spins on it while the holder runs, burning its core and slowing the
 * holder. Taking this lock first makes the loser sleep in a futex instead. Measured on 2 cores, 1 GiB
 * into tmpfs: one-shot encrypt 0.64–0.70 s → 0.58 s wall, about 0.15 s less system time
 * (`perf` showed ~10 % of samples in rwsem_spin_on_owner before).
 */

/** A lock shared between threads: pass it in workerData (its SharedArrayBuffer is shared, not copied). */
export type WriteLock = Int32Array;

const FREE = 0;
const HELD = 1;

export function newWriteLock(): WriteLock {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Runs `write` holding `lock` (or without a lock when none is given), releasing it however `write` ends. */
export function withWriteLock<T>(lock: WriteLock | undefined, write: () => T): T {
  if (!lock) return write();
  while (Atomics.compareExchange(lock, 0, FREE, HELD) !== FREE) Atomics.wait(lock, 0, HELD);
  try {
    return write();
  } finally {
    Atomics.store(lock, 0, FREE);
    Atomics.notify(lock, 0, 1);
  }
}
