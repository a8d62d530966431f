/** Several wrapping keys at once: one data key, one wrapped copy per provider; any one can unwrap. */
import { UserError, errorMessage } from '../errors.js';
import { KeyProviderError, isTransientKeyError } from './errors.js';
import type { KeyContext, KeyProvider, WrappedKey } from './provider.js';

export interface SetDataKey {
  /** 32 plaintext bytes; zero them with `.fill(0)` when done. */
  plaintext: Buffer;
  wrapped: WrappedKey[];
}

/** Observer for metrics: called after every provider call with its outcome. */
export type ProviderCallObserver = (
  provider: string,
  operation: string,
  seconds: number,
  error: unknown,
) => void;

export class Keyring {
  private observer: ProviderCallObserver | undefined;

  constructor(readonly providers: KeyProvider[]) {}

  onCall(observer: ProviderCallObserver): void {
    this.observer = observer;
  }

  describe(): string {
    return this.providers.map((p) => p.description).join(', ');
  }

  private async timed<T>(p: KeyProvider, operation: string, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      const out = await fn();
      this.observer?.(p.type, operation, Number(process.hrtime.bigint() - start) / 1e9, undefined);
      return out;
    } catch (err) {
      this.observer?.(p.type, operation, Number(process.hrtime.bigint() - start) / 1e9, err);
      throw err;
    }
  }

  /** One generate call on the first provider, one wrap call on each further provider. */
  async newDataKey(ctx: KeyContext): Promise<SetDataKey> {
    const [first, ...rest] = this.providers;
    if (!first)
      throw new UserError('no wrapping key configured: pass --key-file, --kms-key-id or --vault-key');
    const generated = await this.timed(first, 'generate', () => first.generateDataKey(ctx));
    const wrapped = [generated.wrapped];
    try {
      for (const p of rest) wrapped.push(await this.timed(p, 'wrap', () => p.wrap(generated.plaintext, ctx)));
    } catch (err) {
      generated.plaintext.fill(0);
      throw err;
    }
    return { plaintext: generated.plaintext, wrapped };
  }

  /**
   * Tries each wrapped copy with a provider that claims it, local providers first (no network), then in
   * the configured order. When none works, the error lists every key tried and why it failed.
   */
  async unwrap(wrapped: WrappedKey[], ctx: KeyContext, what = 'file'): Promise<Buffer> {
    const failures: { text: string; transient: boolean }[] = [];
    const ordered = [...this.providers].sort(
      (a, b) => Number(b.type === 'local') - Number(a.type === 'local'),
    );
    for (const p of ordered) {
      for (const w of wrapped.filter((x) => p.canUnwrap(x))) {
        try {
          const key = await this.timed(p, 'unwrap', () => p.unwrap(w, ctx));
          if (key.length !== 32)
            throw new UserError(`${p.description} returned a data key of the wrong size`);
          return key;
        } catch (err) {
          // Provider errors already name their key; others get the provider's name in front.
          const text =
            err instanceof KeyProviderError ? errorMessage(err) : `${p.description}: ${errorMessage(err)}`;
          failures.push({ text, transient: isTransientKeyError(err) });
        }
      }
    }
    const inFile = wrapped.map((w) => `${w.provider}:${w.keyId}`).join(', ');
    if (failures.length === 0) {
      throw new UserError(
        `${what}: none of the configured keys (${this.describe() || 'none'}) wrapped this data key; it is wrapped by ${inFile}. Pass one of those keys`,
      );
    }
    const message = `${what}: could not unwrap the data key; tried ${failures.map((f) => f.text).join('; ')}`;
    // Only "try again later" when every attempt failed for a passing reason (outage, throttling).
    throw new KeyProviderError(
      message,
      failures.every((f) => f.transient),
    );
  }

  /** Whether any configured key could open a set here (false on a write-only host: age recipients only). */
  canOpen(): boolean {
    return this.providers.some((p) => p.writeOnly !== true);
  }

  /** For restore, decrypt, verify, doctor: one line saying that this host cannot open sets, and what to use. */
  assertCanOpen(command: string): void {
    if (this.canOpen()) return;
    throw new UserError(
      `${command}: this host holds no key that can open sealed sets (only age recipients, which seal but never open: a write-only host); run ${command} where the age identity is, with --age-identity PATH (for example the restore unit or init container)`,
    );
  }

  /** Readiness: every provider that offers a cheap check answers. Throws the first failure. */
  async check(): Promise<void> {
    for (const p of this.providers) {
      const check = p.check?.bind(p);
      if (check) await this.timed(p, 'check', check);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map(async (p) => p.close?.()));
  }
}
