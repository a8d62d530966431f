/**
 * The `kms` provider's settings (which AWS KMS keys wrap data keys, how to reach KMS), how their
 * values are checked, and how they become providers.
 */
import { UserError } from '../../errors.js';
import type { ProviderFactory } from '../provider.js';
import { parseKmsKeyRef } from './key-id.js';

// The AWS SDK is loaded only when a KMS key is configured: it costs ~30 MiB and a noticeable start-up.
const loadProvider = () => import('./provider.js');

export const KMS_MAX_ATTEMPTS_LIMIT = 20;

export interface KmsKeySettings {
  /** Key ids, key ARNs, alias/NAME or alias ARNs (kms-key-id, repeatable). */
  kmsKeyId: string[];
  /** Region of keys not given as ARNs. */
  kmsRegion?: string | undefined;
  /** Endpoint URL for every KMS key (VPC or FIPS endpoint). */
  kmsEndpoint?: string | undefined;
  /** Attempts per KMS call, retries included. */
  kmsMaxAttempts?: number | undefined;
}

/** One kms-key-id value: comma-separated lists are accepted too (handy in SNAPSHOT_GUARD_KMS_KEY_ID). */
export function splitKmsKeyIds(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseKmsEndpoint(value: string): string {
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

export function parseKmsMaxAttempts(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= KMS_MAX_ATTEMPTS_LIMIT)) {
    throw new UserError(
      `--kms-max-attempts (or AWS_MAX_ATTEMPTS) must be a whole number from 1 to ${KMS_MAX_ATTEMPTS_LIMIT}, got "${value}"`,
      2,
    );
  }
  return n;
}

function connectionOf(s: KmsKeySettings) {
  return {
    region: s.kmsRegion || undefined,
    endpoint: s.kmsEndpoint || undefined,
    maxAttempts: s.kmsMaxAttempts,
  };
}

export const kmsFactory: ProviderFactory<KmsKeySettings> = {
  specPrefix: 'kms',
  async fromSettings(settings) {
    const ids = settings.kmsKeyId;
    if (ids.length === 0) return [];
    const { KmsKeyProvider, invalidKeyIdError } = await loadProvider();
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) throw new UserError(`--kms-key-id ${id} is given twice`, 2);
      if (!parseKmsKeyRef(id)) throw invalidKeyIdError(id);
      seen.add(id);
    }
    return ids.map((keyId) => new KmsKeyProvider({ keyId, ...connectionOf(settings) }));
  },
  async fromSpec(value, settings) {
    const { KmsKeyProvider } = await loadProvider();
    return new KmsKeyProvider({ keyId: value, ...connectionOf(settings) });
  },
};
