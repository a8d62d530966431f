/**
 * Getting a Vault token: from VAULT_TOKEN or a token file, or by logging in with a Kubernetes
 * service-account JWT or an AppRole role id and secret id. Also token lookup and renewal.
 * Secrets read here are registered with VaultHttp.redact and never enter a message.
 */
import { readFile } from 'node:fs/promises';
import { UserError, errnoCode } from '../../errors.js';
import { KeyProviderError } from '../errors.js';
import { VaultRequestError, type VaultHttp } from './http.js';

export type VaultAuthConfig =
  | { method: 'token'; token?: string; tokenFile?: string }
  | { method: 'kubernetes'; role: string; jwtFile: string; mount: string }
  | { method: 'approle'; roleIdFile: string; secretIdFile: string; mount: string };

/** A token and what Vault said about its lifetime. */
export interface IssuedToken {
  token: string;
  /** Seconds left; 0 means it never expires (root tokens). */
  ttlSec: number;
  renewable: boolean;
  /** The TTL a renewal normally grants; a renewal granting less has hit the token's max TTL. */
  fullTtlSec: number;
}

/** Reads a one-line secret (token, JWT, role id, secret id); the message names the file, never the content. */
export async function readSecretFile(path: string, what: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the ${what} file ${path} (${errnoCode(err) ?? 'error'}); check ${flag}`);
  }
  const value = text.trim();
  if (!value) throw new UserError(`the ${what} file ${path} is empty; check ${flag}`);
  return value;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Parses the `auth` block of a login or renew-self response. */
function issuedFromAuth(response: Record<string, unknown>, what: string, http: VaultHttp): IssuedToken {
  const auth = record(response.auth);
  const token = auth.client_token;
  if (typeof token !== 'string' || !token) {
    throw new KeyProviderError(`Vault at ${http.addr} returned no client token to ${what}`, false);
  }
  http.redact(token);
  const ttlSec = num(auth.lease_duration);
  return { token, ttlSec, renewable: auth.renewable === true, fullTtlSec: ttlSec };
}

/** Logs in with the configured method (kubernetes or approle) and returns the new token. */
export async function login(http: VaultHttp, cfg: VaultAuthConfig): Promise<IssuedToken> {
  if (cfg.method === 'token') throw new Error('login() needs a login method');
  const path = `auth/${cfg.mount}/login`;
  let body: Record<string, string>;
  let what: string;
  let fix: string;
  if (cfg.method === 'kubernetes') {
    body = {
      role: cfg.role,
      jwt: await readSecretFile(cfg.jwtFile, 'Kubernetes service-account token', '--vault-k8s-token-file'),
    };
    what = `log in with Kubernetes auth as role "${cfg.role}" (${path})`;
    fix = `check --vault-role, --vault-auth-mount, and that the Vault role is bound to this pod's service account and namespace (docs/VAULT.md)`;
  } else {
    body = {
      role_id: await readSecretFile(cfg.roleIdFile, 'AppRole role id', '--vault-role-id-file'),
      secret_id: await readSecretFile(cfg.secretIdFile, 'AppRole secret id', '--vault-secret-id-file'),
    };
    what = `log in with AppRole (${path})`;
    fix = `check the files given to --vault-role-id-file and --vault-secret-id-file (a secret id can expire or be used up) and --vault-auth-mount`;
  }
  for (const secret of Object.values(body)) http.redact(secret);
  try {
    return issuedFromAuth(await http.send('POST', path, body, undefined, what), what, http);
  } catch (err) {
    if (err instanceof VaultRequestError && !err.transient && err.status !== undefined) {
      throw new KeyProviderError(
        `Vault at ${http.addr} refused to ${what}: ${err.vaultMessage}; ${fix}`,
        false,
      );
    }
    throw err;
  }
}

/** Asks Vault how long `token` lives; `source` names where it came from (VAULT_TOKEN, a file). */
export async function lookupSelf(http: VaultHttp, token: string, source: string): Promise<IssuedToken> {
  http.redact(token);
  const what = 'look up the token (auth/token/lookup-self)';
  let response: Record<string, unknown>;
  try {
    response = await http.send('GET', 'auth/token/lookup-self', undefined, token, what);
  } catch (err) {
    if (err instanceof VaultRequestError && err.status === 403) {
      throw new KeyProviderError(
        `Vault at ${http.addr} rejected the token from ${source} (${err.vaultMessage}): it is invalid or expired; get a new token`,
        false,
      );
    }
    throw err;
  }
  const data = record(response.data);
  const ttlSec = num(data.ttl);
  return { token, ttlSec, renewable: data.renewable === true, fullTtlSec: num(data.creation_ttl) || ttlSec };
}

/** Extends `token` by its usual TTL (or less, when its max TTL is near). */
export async function renewSelf(http: VaultHttp, token: string, fullTtlSec: number): Promise<IssuedToken> {
  const what = 'renew the token (auth/token/renew-self)';
  const issued = issuedFromAuth(
    await http.send('POST', 'auth/token/renew-self', {}, token, what),
    what,
    http,
  );
  // Here 0 means "no time left" (the max TTL is reached), not "never expires".
  if (issued.ttlSec === 0) {
    throw new KeyProviderError(`Vault at ${http.addr} granted the token no more time`, false);
  }
  return { ...issued, fullTtlSec };
}
