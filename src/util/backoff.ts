/**
 * The one retry policy of the project (the daemon's seal retries, Vault requests and logins): capped
 * exponential backoff with "equal jitter" — half the ceiling fixed, half random — so a retry never
 * comes sooner than half its ceiling (no busy loop) and many clients do not retry in step
 * ("Exponential Backoff And Jitter", AWS Architecture Blog).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next retry; grows with each call until reset(). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `fn` up to `policy.attempts` times while `isTransient(error)` says another try may succeed;
 * throws the last error.
 */
export async function retry<T>(
  policy: RetryPolicy,
  isTransient: (err: unknown) => boolean,
  fn: (attempt: number) => Promise<T>,
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<T> {
  const backoff = new Backoff(policy.baseDelayMs, policy.maxDelayMs);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !isTransient(err)) throw err;
      await wait(backoff.next());
    }
  }
}
