/**
 * One connection to Vault shared by every Transit key configured with the same flags: the HTTP client
 * plus the token that keeps itself valid. A request refused with 403 gets one new token and one retry,
 * which covers a token that expired between renewals.
 */
import { VaultHttp, VaultRequestError, type VaultHttpOptions } from './http.js';
import { VaultAuth } from './auth.js';
import type { VaultAuthConfig } from './login.js';

export class VaultSession {
  readonly http: VaultHttp;
  private readonly auth: VaultAuth;
  private users = 0;

  constructor(http: VaultHttpOptions, auth: VaultAuthConfig) {
    this.http = new VaultHttp(http);
    if (auth.method === 'token' && auth.token) this.http.redact(auth.token);
    this.auth = new VaultAuth(this.http, auth);
  }

  get addr(): string {
    return this.http.addr;
  }

  /** Counts one more provider using this session; each calls release() once when closed. */
  retain(): this {
    this.users++;
    return this;
  }

  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0) this.auth.close();
  }

  async call(
    method: 'GET' | 'POST',
    path: string,
    body: object | undefined,
    what: string,
  ): Promise<Record<string, unknown>> {
    const token = await this.auth.token();
    try {
      return await this.http.send(method, path, body, token, what);
    } catch (err) {
      if (!(err instanceof VaultRequestError) || err.status !== 403) throw err;
      if (!(await this.auth.reobtain(token))) throw err;
      return this.http.send(method, path, body, await this.auth.token(), what);
    }
  }
}
