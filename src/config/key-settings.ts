/**
 * The settings of the key providers: every subcommand that wraps or unwraps data keys reads all of
 * them. Their values are checked by the providers' own parsers (settings.ts in each folder of src/keys).
 */
import {
  parseKmsEndpoint,
  parseKmsMaxAttempts,
  splitKmsKeyIds,
  KMS_MAX_ATTEMPTS_LIMIT,
} from '../keys/kms/settings.js';
import { DEFAULT_K8S_TOKEN_FILE, VAULT_AUTH_METHODS } from '../keys/vault/settings.js';
import { list, optional, withDefault, type Setting } from './setting.js';
import { choice, path, text, textKind, url } from './values.js';

export const KEY_SETTINGS = {
  'key-file': list(path, {
    items: 'paths',
    arg: 'path',
    env: 'SNAPSHOT_GUARD_KEY_FILE',
    help: 'local key file made by `snapshot-guard keygen` (repeatable)',
  }),
  'kms-key-id': list(text('a KMS key id, key ARN, alias/NAME or alias ARN'), {
    items: 'KMS key ids, key ARNs, alias/NAMEs or alias ARNs',
    arg: 'id',
    env: 'SNAPSHOT_GUARD_KMS_KEY_ID',
    split: splitKmsKeyIds,
    help: 'AWS KMS key that wraps data keys: key id, key ARN, alias/NAME or alias ARN (repeatable)',
  }),
  'kms-region': optional(text('an AWS region'), {
    arg: 'region',
    env: 'AWS_REGION',
    help: 'AWS region of KMS keys not given as ARNs',
  }),
  'kms-endpoint': optional(
    textKind('an http:// or https:// URL', () => parseKmsEndpoint, { url: true }),
    {
      arg: 'url',
      env: 'AWS_ENDPOINT_URL_KMS',
      help: 'KMS endpoint URL for every KMS key (VPC or FIPS endpoint)',
    },
  ),
  'kms-max-attempts': optional(
    textKind(`a whole number from 1 to ${KMS_MAX_ATTEMPTS_LIMIT}`, () => parseKmsMaxAttempts),
    {
      arg: 'n',
      env: 'AWS_MAX_ATTEMPTS',
      help: 'attempts per KMS call; throttling, 5xx and network errors are retried with backoff (default 3)',
    },
  ),
  'vault-key': list(text('a Transit key NAME or MOUNT/NAME'), {
    items: 'Transit key NAMEs or MOUNT/NAMEs',
    arg: 'name',
    env: 'SNAPSHOT_GUARD_VAULT_KEY',
    help: 'Vault Transit key: NAME or MOUNT/NAME (repeatable)',
  }),
  'vault-addr': optional(url('an http:// or https:// URL'), {
    arg: 'url',
    env: 'VAULT_ADDR',
    help: 'Vault address, e.g. https://vault.example:8200',
  }),
  'vault-mount': withDefault(text('a mount path'), 'transit', 'transit', {
    arg: 'path',
    env: 'SNAPSHOT_GUARD_VAULT_MOUNT',
    help: 'mount path of the Transit engine',
  }),
  'vault-namespace': optional(text('a namespace'), {
    arg: 'ns',
    env: 'VAULT_NAMESPACE',
    help: 'Vault Enterprise or OpenBao namespace',
  }),
  'vault-ca-cert': optional(path, {
    arg: 'path',
    env: 'VAULT_CACERT',
    help: "PEM CA certificate(s) that sign Vault's TLS certificate",
  }),
  'vault-auth': withDefault(choice(VAULT_AUTH_METHODS), 'token', 'token', {
    arg: 'method',
    env: 'SNAPSHOT_GUARD_VAULT_AUTH',
    help: 'how to get a Vault token (token: VAULT_TOKEN or --vault-token-file)',
  }),
  'vault-token-file': optional(path, {
    arg: 'path',
    env: 'SNAPSHOT_GUARD_VAULT_TOKEN_FILE',
    help: 'file holding the Vault token (re-read when Vault rejects it)',
  }),
  'vault-auth-mount': optional(text('a mount path'), {
    arg: 'path',
    env: 'SNAPSHOT_GUARD_VAULT_AUTH_MOUNT',
    help: 'mount path of the auth method (default: kubernetes or approle)',
  }),
  'vault-role': optional(text('a role name'), {
    arg: 'role',
    env: 'SNAPSHOT_GUARD_VAULT_ROLE',
    help: 'Vault role for --vault-auth kubernetes',
  }),
  'vault-k8s-token-file': withDefault(path, DEFAULT_K8S_TOKEN_FILE, DEFAULT_K8S_TOKEN_FILE, {
    arg: 'path',
    env: 'SNAPSHOT_GUARD_VAULT_K8S_TOKEN_FILE',
    help: 'service-account token for --vault-auth kubernetes',
  }),
  'vault-role-id-file': optional(path, {
    arg: 'path',
    env: 'SNAPSHOT_GUARD_VAULT_ROLE_ID_FILE',
    help: 'file holding the AppRole role id',
  }),
  'vault-secret-id-file': optional(path, {
    arg: 'path',
    env: 'SNAPSHOT_GUARD_VAULT_SECRET_ID_FILE',
    help: 'file holding the AppRole secret id',
  }),
  'vault-token': optional(text('a Vault token'), {
    env: 'VAULT_TOKEN',
    only: 'env',
    secret: true,
    help: 'Vault token for --vault-auth token (environment only; or use --vault-token-file)',
  }),
  'age-recipient': list(text('an age recipient age1…'), {
    items: 'age recipients',
    arg: 'age1…',
    env: 'SNAPSHOT_GUARD_AGE_RECIPIENT',
    help: 'age recipient (public key, age1…) that can open the sets sealed here (repeatable)',
  }),
  'age-recipients-file': list(path, {
    items: 'paths',
    arg: 'path',
    env: 'SNAPSHOT_GUARD_AGE_RECIPIENTS_FILE',
    help: 'file of age recipients, one per line (repeatable)',
  }),
} satisfies Record<string, Setting<unknown>>;

/** Secret: read only by subcommands that open sets, never by `watch` or `encrypt`. */
export const AGE_IDENTITY_SETTINGS = {
  'age-identity': list(path, {
    items: 'paths',
    arg: 'path',
    env: 'SNAPSHOT_GUARD_AGE_IDENTITY',
    help: 'age identity file (age-keygen output, mode 0600) that opens sets (repeatable)',
  }),
} satisfies Record<string, Setting<unknown>>;
