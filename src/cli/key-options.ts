/** The key-provider flags of every subcommand that wraps or unwraps data keys, and their typed settings. */
import { Option, type Command } from 'commander';
import type { KeySettings } from '../keys/registry.js';
import { parseKmsEndpoint, parseKmsMaxAttempts, splitKmsKeyIds } from '../keys/kms/settings.js';
import { DEFAULT_K8S_TOKEN_FILE, VAULT_AUTH_METHODS, type VaultAuthMethod } from '../keys/vault/settings.js';

export type ParsedOptions = Record<string, unknown>;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addKeyOptions(cmd: Command): Command {
  const o = (flags: string, help: string, env: string): Option => new Option(flags, help).env(env);
  // prettier-ignore
  const options = [
    o('--key-file <path>', 'local key file made by `snapshot-guard keygen` (repeatable)', 'SNAPSHOT_GUARD_KEY_FILE')
      .argParser(collect),
    o('--kms-key-id <id>', 'AWS KMS key that wraps data keys: key id, key ARN, alias/NAME or alias ARN (repeatable)', 'SNAPSHOT_GUARD_KMS_KEY_ID')
      .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), ...splitKmsKeyIds(v)]),
    o('--kms-region <region>', 'AWS region of KMS keys not given as ARNs', 'AWS_REGION'),
    o('--kms-endpoint <url>', 'KMS endpoint URL for every KMS key (VPC or FIPS endpoint)', 'AWS_ENDPOINT_URL_KMS')
      .argParser(parseKmsEndpoint),
    o('--kms-max-attempts <n>', 'attempts per KMS call; throttling, 5xx and network errors are retried with backoff (default 3)', 'AWS_MAX_ATTEMPTS')
      .argParser(parseKmsMaxAttempts),
    o('--vault-key <name>', 'Vault Transit key: NAME or MOUNT/NAME (repeatable)', 'SNAPSHOT_GUARD_VAULT_KEY')
      .argParser(collect),
    o('--vault-addr <url>', 'Vault address, e.g. https://vault.example:8200', 'VAULT_ADDR'),
    o('--vault-mount <path>', 'mount path of the Transit engine', 'SNAPSHOT_GUARD_VAULT_MOUNT')
      .default('transit'),
    o('--vault-namespace <ns>', 'Vault Enterprise or OpenBao namespace', 'VAULT_NAMESPACE'),
    o('--vault-ca-cert <path>', "PEM CA certificate(s) that sign Vault's TLS certificate", 'VAULT_CACERT'),
    o('--vault-auth <method>', 'how to get a Vault token (token: VAULT_TOKEN or --vault-token-file)', 'SNAPSHOT_GUARD_VAULT_AUTH')
      .choices([...VAULT_AUTH_METHODS])
      .default('token'),
    o('--vault-token-file <path>', 'file holding the Vault token (re-read when Vault rejects it)', 'SNAPSHOT_GUARD_VAULT_TOKEN_FILE'),
    o('--vault-auth-mount <path>', 'mount path of the auth method (default: kubernetes or approle)', 'SNAPSHOT_GUARD_VAULT_AUTH_MOUNT'),
    o('--vault-role <role>', 'Vault role for --vault-auth kubernetes', 'SNAPSHOT_GUARD_VAULT_ROLE'),
    o('--vault-k8s-token-file <path>', 'service-account token for --vault-auth kubernetes', 'SNAPSHOT_GUARD_VAULT_K8S_TOKEN_FILE')
      .default(DEFAULT_K8S_TOKEN_FILE),
    o('--vault-role-id-file <path>', 'file holding the AppRole role id', 'SNAPSHOT_GUARD_VAULT_ROLE_ID_FILE'),
    o('--vault-secret-id-file <path>', 'file holding the AppRole secret id', 'SNAPSHOT_GUARD_VAULT_SECRET_ID_FILE'),
  ];
  for (const option of options) cmd.addOption(option);
  return cmd;
}

/** The key settings among parsed flags. */
export function keySettingsFrom(opts: ParsedOptions): KeySettings {
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    keyFile: list(opts.keyFile),
    kmsKeyId: list(opts.kmsKeyId),
    kmsRegion: str(opts.kmsRegion),
    kmsEndpoint: str(opts.kmsEndpoint),
    kmsMaxAttempts: typeof opts.kmsMaxAttempts === 'number' ? opts.kmsMaxAttempts : undefined,
    vaultKey: list(opts.vaultKey),
    vaultAddr: str(opts.vaultAddr),
    vaultMount: str(opts.vaultMount) ?? 'transit',
    vaultNamespace: str(opts.vaultNamespace),
    vaultCaCert: str(opts.vaultCaCert),
    vaultAuth: (str(opts.vaultAuth) ?? 'token') as VaultAuthMethod,
    vaultTokenFile: str(opts.vaultTokenFile),
    vaultAuthMount: str(opts.vaultAuthMount),
    vaultRole: str(opts.vaultRole),
    vaultK8sTokenFile: str(opts.vaultK8sTokenFile) ?? DEFAULT_K8S_TOKEN_FILE,
    vaultRoleIdFile: str(opts.vaultRoleIdFile),
    vaultSecretIdFile: str(opts.vaultSecretIdFile),
    vaultToken: process.env.VAULT_TOKEN,
  };
}
