/**
 * Keeps a Vault token valid for as long as the provider is open: renews it two thirds into its
 * lifetime, logs in again (Kubernetes, AppRole) or re-reads the token file when renewal is no longer
 * possible, and lets callers swap a token that Vault rejected. Timers are unref()'d and stopped by close().
 */
import { UserError } from '../../errors.js';
import { isTransientKeyError } from '../errors.js';
import type { VaultHttp } from './http.js';
import {
  login,
  lookupSelf,
  readSecretFile,
  renewSelf,
  type IssuedToken,
  type VaultAuthConfig,
} from './login.js';

/** setTimeout overflows past 2^31-1 ms; long-lived tokens are re-checked daily instead. */
const MAX_TIMER_MS = 24 * 3600 * 1000;

interface TokenState extends IssuedToken {
  /** When the token stops working (ms since epoch); undefined when it never expires. */
  expiresAtMs?: number;
  /** When to renew or log in again; undefined when there is nothing left to do. */
  refreshAtMs?: number;
}

export class VaultAuth {
  private state: TokenState | undefined;
  private busy: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly http: VaultHttp,
    private readonly cfg: VaultAuthConfig,
  ) {}

  private get canLogin(): boolean {
    return this.cfg.method !== 'token';
  }

  /** Whether a rejected token can be replaced: by logging in again or re-reading the token file. */
  get canReobtain(): boolean {
    return this.canLogin || (this.cfg.method === 'token' && this.cfg.tokenFile !== undefined);
  }

  /** A token to use now: obtained on first use, refreshed first if a timer ran late. */
  async token(): Promise<string> {
    if (!this.state) {
      await this.exclusive(async () => {
        if (!this.state) this.adopt(await this.obtain());
      });
    } else if (this.isDue()) {
      await this.exclusive(() => this.refreshIfDue());
    }
    if (!this.state) throw new Error('no Vault token after obtain()');
    return this.state.token;
  }

  /**
   * Vault refused `rejected` (403): obtains another token once. Returns false when none can be had
   * (a token from VAULT_TOKEN, or a token file that still holds the same token).
   */
  async reobtain(rejected: string): Promise<boolean> {
    if (!this.canReobtain || this.closed) return false;
    await this.exclusive(async () => {
      if (this.state?.token !== rejected) return; // another caller already replaced it
      if (this.cfg.method === 'token' && this.cfg.tokenFile) {
        const fresh = await readSecretFile(this.cfg.tokenFile, 'Vault token', '--vault-token-file');
        if (fresh === rejected) return;
      }
      this.adopt(await this.obtain());
    });
    return this.state !== undefined && this.state.token !== rejected;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async obtain(): Promise<IssuedToken> {
    const cfg = this.cfg;
    if (cfg.method !== 'token') return login(this.http, cfg);
    if (cfg.tokenFile) {
      const token = await readSecretFile(cfg.tokenFile, 'Vault token', '--vault-token-file');
      return lookupSelf(this.http, token, `the token file ${cfg.tokenFile}`);
    }
    if (!cfg.token) {
      throw new UserError(
        'no Vault token: set VAULT_TOKEN, pass --vault-token-file, or log in with --vault-auth kubernetes or approle',
        2,
      );
    }
    return lookupSelf(this.http, cfg.token, 'VAULT_TOKEN');
  }

  /** Runs one token operation at a time; later callers wait, then re-check what they needed. */
  private async exclusive(fn: () => Promise<void>): Promise<void> {
    while (this.busy) await this.busy.catch(() => undefined);
    const run = fn().finally(() => {
      if (this.busy === run) this.busy = undefined;
    });
    this.busy = run;
    return run;
  }

  private adopt(issued: IssuedToken, renewed = false): void {
    const now = Date.now();
    const ttlMs = issued.ttlSec * 1000;
    // A renewal that granted less than the usual TTL hit the max TTL: log in again next time instead.
    const capped = renewed && issued.ttlSec < issued.fullTtlSec;
    this.state = {
      ...issued,
      renewable: issued.renewable && !(capped && this.canLogin),
      ...(ttlMs > 0 ? { expiresAtMs: now + ttlMs, refreshAtMs: now + (ttlMs * 2) / 3 } : {}),
    };
    this.schedule();
  }

  private isDue(): boolean {
    return this.state?.refreshAtMs !== undefined && Date.now() >= this.state.refreshAtMs;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.state?.refreshAtMs;
    if (this.closed || at === undefined) return;
    const delay = Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.isDue()) void this.exclusive(() => this.refreshIfDue());
      else this.schedule();
    }, delay);
    this.timer.unref();
  }

  /** Renews or replaces the token; never throws (the next request reports any lasting problem). */
  private async refreshIfDue(): Promise<void> {
    const s = this.state;
    if (this.closed || !s || !this.isDue()) return;
    try {
      if (s.renewable) {
        try {
          this.adopt(await renewSelf(this.http, s.token, s.fullTtlSec), true);
          return;
        } catch (err) {
          if (isTransientKeyError(err) || !this.canReobtain) throw err;
        }
      }
      if (this.canReobtain) {
        const fresh = await this.obtain();
        // A token file that still holds the same non-renewable token: nothing more to do.
        if (fresh.token === s.token && !fresh.renewable) s.refreshAtMs = undefined;
        else this.adopt(fresh);
        return;
      }
      s.refreshAtMs = undefined; // a non-renewable VAULT_TOKEN simply runs out
    } catch (err) {
      if (!isTransientKeyError(err) || s.expiresAtMs === undefined) {
        s.refreshAtMs = undefined;
        return;
      }
      // Vault is unreachable for now: try again within the remaining lifetime.
      const left = s.expiresAtMs - Date.now();
      s.refreshAtMs = Date.now() + Math.min(30_000, Math.max(1000, left / 3));
      this.schedule();
    }
  }
}
