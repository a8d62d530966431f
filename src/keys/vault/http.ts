/**
 * HTTP layer of the Vault provider: one node-vault client, retries of temporary failures with backoff,
 * and every failure turned into a one-line KeyProviderError. Tokens travel only in request headers and
 * never appear in messages.
 */
import NodeVault from 'node-vault';
import { errnoCode } from '../../errors.js';
import { retry, type RetryPolicy } from '../../util/backoff.js';
import { KeyProviderError } from '../errors.js';

export type { RetryPolicy };

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 2000 };

export interface VaultHttpOptions {
  addr: string;
  namespace?: string;
  /** PEM CA bundle that signs the server certificate (VAULT_CACERT). */
  caCert?: Buffer;
  timeoutMs?: number;
  retry?: RetryPolicy;
}

/** A failed Vault request; `status` and `vaultMessage` let callers refine the message of a 400. */
export class VaultRequestError extends KeyProviderError {
  constructor(
    message: string,
    transient: boolean,
    readonly status: number | undefined,
    readonly vaultMessage: string,
  ) {
    super(message, transient);
    this.name = 'VaultRequestError';
  }
}

/** Network errors worth retrying: the server may come back. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
/** HTTP statuses worth retrying: throttled, sealed, standby, overloaded, or a proxy in between. */
const TRANSIENT_STATUSES = new Set([412, 429, 500, 502, 503, 504]);
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/;

interface Failure {
  status?: number;
  code?: string;
  /** Vault's own error text, on one line. */
  message: string;
}

/** Vault's `{"errors": [...]}` as one line ("2 errors occurred: * a * b" becomes "a; b"). */
export function vaultErrorText(body: unknown): string {
  const errors =
    typeof body === 'object' && body !== null && 'errors' in body && Array.isArray(body.errors)
      ? (body.errors as unknown[]).filter((e): e is string => typeof e === 'string')
      : [];
  const text = errors
    .join('; ')
    .replace(/\d+ errors? occurred:/g, '')
    .split(/\s*\*\s+|\s*\n\s*/)
    .map((s) => s.trim())
    .filter(Boolean)
    .join('; ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function failureOf(err: unknown): Failure {
  // node-vault's ApiResponseError carries { statusCode, body }; axios errors carry an errno-style code.
  const response: unknown =
    typeof err === 'object' && err !== null ? Reflect.get(err, 'response') : undefined;
  if (typeof response === 'object' && response !== null && 'statusCode' in response) {
    const status = Number(response.statusCode);
    const body: unknown = Reflect.get(response, 'body');
    return { status, message: vaultErrorText(body) || `HTTP ${status}` };
  }
  const code = errnoCode(err);
  return code ? { code, message: code } : { message: 'unknown network error' };
}

function isTransient(f: Failure): boolean {
  return f.status !== undefined ? TRANSIENT_STATUSES.has(f.status) : TRANSIENT_CODES.has(f.code ?? '');
}

/** The address without user info, for messages. */
export function displayAddr(addr: string): string {
  try {
    const u = new URL(addr);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return addr;
  }
}

export class VaultHttp {
  readonly addr: string;
  private readonly client: NodeVault.client;
  private readonly retry: RetryPolicy;
  private readonly secrets = new Set<string>();

  constructor(opts: VaultHttpOptions) {
    this.addr = displayAddr(opts.addr);
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.client = NodeVault({
      endpoint: opts.addr,
      apiVersion: 'v1',
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      // node-vault logs request bodies (data keys, secret ids) when DEBUG is set: silence it.
      debug: () => undefined,
      requestOptions: {
        timeout: opts.timeoutMs ?? 10_000,
        // Always verify TLS: node-vault would otherwise turn verification off for any VAULT_SKIP_VERIFY.
        strictSSL: true,
        ...(opts.caCert ? { ca: opts.caCert } : {}),
      },
    });
    // Tokens are passed per request; node-vault must not pick VAULT_TOKEN, VAULT_PREFIX or
    // VAULT_NAMESPACE up by itself behind the flags' back.
    Object.assign(this.client, { token: '', pathPrefix: '', namespace: opts.namespace ?? '' });
  }

  /** Registers a secret (token, secret id) so that it is scrubbed from any message, come what may. */
  redact(secret: string): void {
    if (secret.length < 4) return;
    this.secrets.add(secret);
    // Logins repeat for as long as the daemon runs: remember only the recent secrets.
    const oldest = this.secrets.values().next().value;
    if (this.secrets.size > 32 && oldest !== undefined) this.secrets.delete(oldest);
  }

  /**
   * Sends one request, retrying temporary failures with exponential backoff and jitter.
   * `what` completes "could not …" in messages, e.g. "generate a data key with transit/snapshots".
   */
  async send(
    method: 'GET' | 'POST',
    path: string,
    body: object | undefined,
    token: string | undefined,
    what: string,
  ): Promise<Record<string, unknown>> {
    const requestOptions = { headers: token ? { 'X-Vault-Token': token } : {} };
    try {
      return await retry(
        this.retry,
        (err) => isTransient(failureOf(err)),
        async () => {
          const out: unknown =
            method === 'GET'
              ? await this.client.read(path, requestOptions)
              : await this.client.write(path, body ?? {}, requestOptions);
          return typeof out === 'object' && out !== null ? (out as Record<string, unknown>) : {};
        },
      );
    } catch (err) {
      throw this.toError(failureOf(err), path, what);
    }
  }

  private toError(f: Failure, path: string, what: string): VaultRequestError {
    const transient = isTransient(f);
    const tries = `after ${this.retry.attempts} attempts`;
    const at = `Vault at ${this.addr}`;
    let message: string;
    if (f.status === undefined && TLS_CODE.test(f.code ?? '')) {
      message = `TLS verification of ${at} failed (${f.code}); pass the CA certificate that signed it with --vault-ca-cert or VAULT_CACERT`;
    } else if (f.status === undefined && f.code === 'ENOTFOUND') {
      message = `cannot resolve the host of ${at} (ENOTFOUND); check --vault-addr or VAULT_ADDR`;
    } else if (f.status === undefined) {
      message = `cannot reach ${at} to ${what}: ${f.message}${transient ? ` ${tries}` : ''}; check --vault-addr or VAULT_ADDR, the network, and that Vault is running`;
    } else if (f.status === 503 && /sealed/i.test(f.message)) {
      message = `${at} is sealed and cannot ${what} (HTTP 503 ${tries}); unseal it (vault operator unseal), then try again`;
    } else if (transient) {
      message = `${at} could not ${what}: HTTP ${f.status} "${f.message}" ${tries}; this is temporary, try again later`;
    } else if (f.status === 403) {
      message = `${at} denied the request to ${what} (${f.message}): the token is invalid or expired, or its policy lacks "update" on ${path}; check VAULT_TOKEN, --vault-token-file or --vault-auth, and the policy in docs/VAULT.md`;
    } else if (f.status === 404) {
      message = `${at} has nothing at ${path} to ${what} (HTTP 404 "${f.message}"); check the mount paths (--vault-mount, --vault-auth-mount) and --vault-namespace`;
    } else {
      message = `${at} refused to ${what}: HTTP ${f.status} "${f.message}"`;
    }
    return new VaultRequestError(this.scrub(message), transient, f.status, this.scrub(f.message));
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[redacted]');
    return out;
  }
}
