/**
 * The `vault` provider's settings (Transit keys, how to reach and log in to Vault) and how they
 * become Transit key providers. docs/VAULT.md documents them.
 */
import { readFile } from 'node:fs/promises';
import { UserError, errnoCode } from '../../errors.js';
import type { KeyProvider, ProviderFactory } from '../provider.js';
import type { VaultAuthConfig } from './login.js';
import type { VaultSession } from './session.js';

// node-vault (and axios) are loaded only when a Vault key is configured, to keep start-up light.
const loadSession = () => import('./session.js');
const loadProvider = () => import('./provider.js');

export const VAULT_AUTH_METHODS = ['token', 'kubernetes', 'approle'] as const;
export type VaultAuthMethod = (typeof VAULT_AUTH_METHODS)[number];

/** Where Kubernetes mounts a pod's service-account token (Vault's Kubernetes auth reads it). */
export const DEFAULT_K8S_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface VaultKeySettings {
  /** Transit keys: NAME or MOUNT/NAME (vault-key, repeatable). */
  vaultKey: string[];
  vaultAddr?: string | undefined;
  /** Mount path of the Transit engine for keys given as NAME. */
  vaultMount: string;
  vaultNamespace?: string | undefined;
  /** PEM CA certificate(s) that sign Vault's TLS certificate. */
  vaultCaCert?: string | undefined;
  vaultAuth: VaultAuthMethod;
  vaultTokenFile?: string | undefined;
  vaultAuthMount?: string | undefined;
  vaultRole?: string | undefined;
  vaultK8sTokenFile: string;
  vaultRoleIdFile?: string | undefined;
  vaultSecretIdFile?: string | undefined;
  /** The token itself (only ever from the environment, VAULT_TOKEN). */
  vaultToken?: string | undefined;
}

const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

/** A setting's value, with "" meaning unset (as an empty environment variable does). */
function str(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function cleanMount(mount: string, flag: string): string {
  const m = mount.replace(/^\/+|\/+$/g, '');
  if (!m || !m.split('/').every((s) => PATH_SEGMENT.test(s))) {
    throw new UserError(`${flag} "${mount}" is not a valid Vault mount path`, 2);
  }
  return m;
}

/** "snapshots" (with --vault-mount) or "MOUNT/NAME", such as "transit/snapshots" as stored in headers. */
export function parseVaultKey(spec: string, defaultMount: string): { mount: string; name: string } {
  const s = spec.replace(/^\/+/, '');
  const i = s.lastIndexOf('/');
  const name = i >= 0 ? s.slice(i + 1) : s;
  const mount = i >= 0 ? s.slice(0, i) : defaultMount;
  if (!PATH_SEGMENT.test(name) || !mount.split('/').every((seg) => PATH_SEGMENT.test(seg))) {
    throw new UserError(`--vault-key "${spec}" is not a valid Transit key name (use NAME or MOUNT/NAME)`, 2);
  }
  return { mount, name };
}

function authConfig(s: VaultKeySettings): VaultAuthConfig {
  const method = s.vaultAuth;
  const mount = cleanMount(str(s.vaultAuthMount) ?? method, '--vault-auth-mount');
  if (method === 'kubernetes') {
    const role = str(s.vaultRole);
    if (!role)
      throw new UserError(
        '--vault-auth kubernetes needs --vault-role ROLE (the Vault role bound to this service account)',
        2,
      );
    return { method, role, mount, jwtFile: str(s.vaultK8sTokenFile) ?? DEFAULT_K8S_TOKEN_FILE };
  }
  if (method === 'approle') {
    const roleIdFile = str(s.vaultRoleIdFile);
    const secretIdFile = str(s.vaultSecretIdFile);
    if (!roleIdFile || !secretIdFile) {
      throw new UserError(
        '--vault-auth approle needs --vault-role-id-file PATH and --vault-secret-id-file PATH',
        2,
      );
    }
    return { method, mount, roleIdFile, secretIdFile };
  }
  const tokenFile = str(s.vaultTokenFile);
  if (tokenFile) return { method: 'token', tokenFile };
  const token = s.vaultToken?.trim();
  if (!token) {
    throw new UserError(
      '--vault-key needs a Vault token: set VAULT_TOKEN, pass --vault-token-file, or use --vault-auth kubernetes or approle',
      2,
    );
  }
  return { method: 'token', token };
}

async function sessionFrom(s: VaultKeySettings): Promise<VaultSession> {
  const addr = str(s.vaultAddr);
  if (!addr)
    throw new UserError('--vault-key needs the Vault address: set VAULT_ADDR or pass --vault-addr URL', 2);
  let url: URL | undefined;
  try {
    url = new URL(addr);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UserError(
      `Vault address "${addr}" is not an http:// or https:// URL; check --vault-addr or VAULT_ADDR`,
      2,
    );
  }
  const caPath = str(s.vaultCaCert);
  let caCert: Buffer | undefined;
  if (caPath) {
    try {
      caCert = await readFile(caPath);
    } catch (err) {
      throw new UserError(
        `cannot read the Vault CA certificate ${caPath} (${errnoCode(err) ?? 'error'}); check --vault-ca-cert or VAULT_CACERT`,
      );
    }
  }
  const namespace = str(s.vaultNamespace);
  const { VaultSession } = await loadSession();
  return new VaultSession(
    { addr, ...(namespace ? { namespace } : {}), ...(caCert ? { caCert } : {}) },
    authConfig(s),
  );
}

export const vaultFactory: ProviderFactory<VaultKeySettings> = {
  specPrefix: 'vault',
  async fromSettings(s): Promise<KeyProvider[]> {
    const specs = s.vaultKey;
    if (specs.length === 0) return [];
    const defaultMount = cleanMount(str(s.vaultMount) ?? 'transit', '--vault-mount');
    const keys = specs.map((s) => parseVaultKey(s, defaultMount));
    const session = await sessionFrom(s);
    const { VaultTransitProvider } = await loadProvider();
    return keys.map((k) => new VaultTransitProvider(session, k.mount, k.name));
  },
  async fromSpec(value, s): Promise<KeyProvider> {
    const key = parseVaultKey(value, cleanMount(str(s.vaultMount) ?? 'transit', '--vault-mount'));
    const { VaultTransitProvider } = await loadProvider();
    return new VaultTransitProvider(await sessionFrom(s), key.mount, key.name);
  },
};
