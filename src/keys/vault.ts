/**
 * The `vault` provider's flags (named after Vault's own environment variables where Vault has one)
 * and how they become Transit key providers. docs/VAULT.md documents them.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { UserError, errnoCode } from '../errors.js';
import type { ParsedOptions, ProviderFactory } from './options.js';
import type { KeyProvider } from './provider.js';
import { DEFAULT_K8S_TOKEN_FILE } from './vault-defaults.js';
import type { VaultAuthConfig } from './vault-login.js';
import type { VaultSession } from './vault-session.js';

// node-vault (and axios) are loaded only when a Vault key is configured, to keep start-up light.
const loadSession = () => import('./vault-session.js');
const loadProvider = () => import('./vault-provider.js');

const AUTH_METHODS = ['token', 'kubernetes', 'approle'] as const;
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function str(opts: ParsedOptions, key: string): string | undefined {
  const v = opts[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
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

function authConfig(opts: ParsedOptions): VaultAuthConfig {
  const method = str(opts, 'vaultAuth') ?? 'token';
  const mount = cleanMount(str(opts, 'vaultAuthMount') ?? method, '--vault-auth-mount');
  if (method === 'kubernetes') {
    const role = str(opts, 'vaultRole');
    if (!role)
      throw new UserError(
        '--vault-auth kubernetes needs --vault-role ROLE (the Vault role bound to this service account)',
        2,
      );
    return { method, role, mount, jwtFile: str(opts, 'vaultK8sTokenFile') ?? DEFAULT_K8S_TOKEN_FILE };
  }
  if (method === 'approle') {
    const roleIdFile = str(opts, 'vaultRoleIdFile');
    const secretIdFile = str(opts, 'vaultSecretIdFile');
    if (!roleIdFile || !secretIdFile) {
      throw new UserError(
        '--vault-auth approle needs --vault-role-id-file PATH and --vault-secret-id-file PATH',
        2,
      );
    }
    return { method, mount, roleIdFile, secretIdFile };
  }
  const tokenFile = str(opts, 'vaultTokenFile');
  if (tokenFile) return { method: 'token', tokenFile };
  const token = process.env.VAULT_TOKEN?.trim();
  if (!token) {
    throw new UserError(
      '--vault-key needs a Vault token: set VAULT_TOKEN, pass --vault-token-file, or use --vault-auth kubernetes or approle',
      2,
    );
  }
  return { method: 'token', token };
}

async function sessionFromOptions(opts: ParsedOptions): Promise<VaultSession> {
  const addr = str(opts, 'vaultAddr');
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
  const caPath = str(opts, 'vaultCaCert');
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
  const namespace = str(opts, 'vaultNamespace');
  const { VaultSession } = await loadSession();
  return new VaultSession(
    { addr, ...(namespace ? { namespace } : {}), ...(caCert ? { caCert } : {}) },
    authConfig(opts),
  );
}

/** The flags, each with the environment variable that can set it (Vault's own name where it has one). */
function vaultOptions(): Option[] {
  const o = (flags: string, help: string, env: string): Option => new Option(flags, help).env(env);
  // prettier-ignore
  return [
    o('--vault-key <name>', 'Vault Transit key: NAME or MOUNT/NAME (repeatable)', 'SNAPSHOT_GUARD_VAULT_KEY')
      .argParser(collect),
    o('--vault-addr <url>', 'Vault address, e.g. https://vault.example:8200', 'VAULT_ADDR'),
    o('--vault-mount <path>', 'mount path of the Transit engine', 'SNAPSHOT_GUARD_VAULT_MOUNT')
      .default('transit'),
    o('--vault-namespace <ns>', 'Vault Enterprise or OpenBao namespace', 'VAULT_NAMESPACE'),
    o('--vault-ca-cert <path>', "PEM CA certificate(s) that sign Vault's TLS certificate", 'VAULT_CACERT'),
    o('--vault-auth <method>', 'how to get a Vault token (token: VAULT_TOKEN or --vault-token-file)', 'SNAPSHOT_GUARD_VAULT_AUTH')
      .choices([...AUTH_METHODS])
      .default('token'),
    o('--vault-token-file <path>', 'file holding the Vault token (re-read when Vault rejects it)', 'SNAPSHOT_GUARD_VAULT_TOKEN_FILE'),
    o('--vault-auth-mount <path>', 'mount path of the auth method (default: kubernetes or approle)', 'SNAPSHOT_GUARD_VAULT_AUTH_MOUNT'),
    o('--vault-role <role>', 'Vault role for --vault-auth kubernetes', 'SNAPSHOT_GUARD_VAULT_ROLE'),
    o('--vault-k8s-token-file <path>', 'service-account token for --vault-auth kubernetes', 'SNAPSHOT_GUARD_VAULT_K8S_TOKEN_FILE')
      .default(DEFAULT_K8S_TOKEN_FILE),
    o('--vault-role-id-file <path>', 'file holding the AppRole role id', 'SNAPSHOT_GUARD_VAULT_ROLE_ID_FILE'),
    o('--vault-secret-id-file <path>', 'file holding the AppRole secret id', 'SNAPSHOT_GUARD_VAULT_SECRET_ID_FILE'),
  ];
}

export const vaultFactory: ProviderFactory = {
  specPrefix: 'vault',
  addOptions(cmd: Command) {
    for (const option of vaultOptions()) cmd.addOption(option);
  },
  async fromOptions(opts): Promise<KeyProvider[]> {
    const raw = opts.vaultKey;
    const specs = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
    if (specs.length === 0) return [];
    const defaultMount = cleanMount(str(opts, 'vaultMount') ?? 'transit', '--vault-mount');
    const keys = specs.map((s) => parseVaultKey(s, defaultMount));
    const session = await sessionFromOptions(opts);
    const { VaultTransitProvider } = await loadProvider();
    return keys.map((k) => new VaultTransitProvider(session, k.mount, k.name));
  },
  async fromSpec(value, opts): Promise<KeyProvider> {
    const key = parseVaultKey(value, cleanMount(str(opts, 'vaultMount') ?? 'transit', '--vault-mount'));
    const { VaultTransitProvider } = await loadProvider();
    return new VaultTransitProvider(await sessionFromOptions(opts), key.mount, key.name);
  },
};
