/** The `kms` provider's flags: which AWS KMS keys wrap data keys, and how to reach KMS. */
import { Option } from 'commander';
import { UserError } from '../errors.js';
import { parseKmsKeyRef } from './kms-key-id.js';
import type { KmsProviderConfig } from './kms-provider.js';

// The AWS SDK is loaded only when a KMS key is configured: it costs ~30 MiB and a noticeable start-up.
const loadProvider = () => import('./kms-provider.js');
import type { ParsedOptions, ProviderFactory } from './options.js';

const MAX_ATTEMPTS_LIMIT = 20;

/** Repeatable, and comma-separated lists are accepted too (handy in SNAPSHOT_GUARD_KMS_KEY_ID). */
function collectKeyIds(value: string, previous: string[] | undefined): string[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...ids];
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(
      `--kms-endpoint (or AWS_ENDPOINT_URL_KMS) must be a URL like https://HOST[:PORT], got "${value}"`,
      2,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UserError(
      `--kms-endpoint (or AWS_ENDPOINT_URL_KMS) must be an http or https URL, got "${value}"`,
      2,
    );
  }
  return value;
}

function parseMaxAttempts(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_ATTEMPTS_LIMIT)) {
    throw new UserError(
      `--kms-max-attempts (or AWS_MAX_ATTEMPTS) must be a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}, got "${value}"`,
      2,
    );
  }
  return n;
}

function connectionOf(opts: ParsedOptions): Omit<KmsProviderConfig, 'keyId'> {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    region: str(opts.kmsRegion),
    endpoint: str(opts.kmsEndpoint),
    maxAttempts: typeof opts.kmsMaxAttempts === 'number' ? opts.kmsMaxAttempts : undefined,
  };
}

export const kmsFactory: ProviderFactory = {
  specPrefix: 'kms',
  addOptions(cmd) {
    cmd.addOption(
      new Option(
        '--kms-key-id <id>',
        'AWS KMS key that wraps data keys: key id, key ARN, alias/NAME or alias ARN (repeatable)',
      )
        .env('SNAPSHOT_GUARD_KMS_KEY_ID')
        .argParser(collectKeyIds),
    );
    cmd.addOption(
      new Option('--kms-region <region>', 'AWS region of KMS keys not given as ARNs').env('AWS_REGION'),
    );
    cmd.addOption(
      new Option('--kms-endpoint <url>', 'KMS endpoint URL for every KMS key (VPC or FIPS endpoint)')
        .env('AWS_ENDPOINT_URL_KMS')
        .argParser(parseEndpoint),
    );
    cmd.addOption(
      new Option(
        '--kms-max-attempts <n>',
        'attempts per KMS call; throttling, 5xx and network errors are retried with backoff (default 3)',
      )
        .env('AWS_MAX_ATTEMPTS')
        .argParser(parseMaxAttempts),
    );
  },
  async fromOptions(opts) {
    const raw = opts.kmsKeyId;
    const ids = Array.isArray(raw) ? (raw as string[]) : [];
    if (ids.length === 0) return [];
    const { KmsKeyProvider, invalidKeyIdError } = await loadProvider();
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) throw new UserError(`--kms-key-id ${id} is given twice`, 2);
      if (!parseKmsKeyRef(id)) throw invalidKeyIdError(id);
      seen.add(id);
    }
    return ids.map((keyId) => new KmsKeyProvider({ keyId, ...connectionOf(opts) }));
  },
  async fromSpec(value, opts) {
    const { KmsKeyProvider } = await loadProvider();
    return new KmsKeyProvider({ keyId: value, ...connectionOf(opts) });
  },
};
