/**
 * One AWS KMS key as a KeyProvider: envelope encryption with GenerateDataKey / Encrypt / Decrypt /
 * ReEncrypt, every call bound to an encryption context that names the instance, the snapshot set and
 * the purpose. Credentials come from the SDK's default provider chain (environment, shared
 * config/profile, web identity for EKS IRSA, container and instance roles).
 */
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { UserError } from '../../errors.js';
import { DATA_KEY_LENGTH } from '../../format/limits.js';
import { KeyProviderError } from '../errors.js';
import { kmsCallError } from './errors.js';
import { mayHaveWrapped, parseKmsKeyRef, regionOf, type KmsKeyRef } from './key-id.js';
import type { GeneratedDataKey, KeyContext, KeyProvider, WrappedKey } from '../provider.js';

/** Encryption-context keys; IAM policies can constrain them with kms:EncryptionContext:<key>. */
export const KMS_CONTEXT_INSTANCE = 'snapshot-guard:instance';
export const KMS_CONTEXT_SET_ID = 'snapshot-guard:set-id';
export const KMS_CONTEXT_PURPOSE = 'snapshot-guard:purpose';
export const KMS_PURPOSE = 'snapshot-set-data-key';

/** The EncryptionContext of every KMS call for this set (docs/KMS.md). */
export function kmsEncryptionContext(ctx: KeyContext): Record<string, string> {
  return {
    [KMS_CONTEXT_INSTANCE]: ctx.instance,
    [KMS_CONTEXT_SET_ID]: ctx.setId,
    [KMS_CONTEXT_PURPOSE]: KMS_PURPOSE,
  };
}

export interface KmsProviderConfig {
  /** Key id, key ARN, alias/NAME or alias ARN. */
  keyId: string;
  /** Region for keys not given as ARNs; else the SDK's own default (AWS_REGION, profile). */
  region?: string | undefined;
  /** Custom endpoint URL (VPC or FIPS endpoint, tests). */
  endpoint?: string | undefined;
  /** Attempts per call, retries included (SDK standard retry strategy; default 3). */
  maxAttempts?: number | undefined;
}

/** Generous network timeouts: a black-holed endpoint must fail (and be retried), not hang. */
const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

export class KmsKeyProvider implements KeyProvider {
  readonly type = 'kms';
  readonly keyId: string;
  readonly description: string;
  private readonly ref: KmsKeyRef;
  private readonly region: string | undefined;
  private readonly endpoint: string | undefined;
  private readonly client: KMSClient;

  constructor(config: KmsProviderConfig) {
    const ref = parseKmsKeyRef(config.keyId);
    if (!ref) throw invalidKeyIdError(config.keyId);
    this.ref = ref;
    this.keyId = config.keyId;
    this.description = `KMS key ${config.keyId}`;
    // A key named by ARN lives in the ARN's region; requests for it must go there.
    this.region = regionOf(ref) ?? config.region;
    this.endpoint = config.endpoint;
    this.client = new KMSClient({
      ...(this.region ? { region: this.region } : {}),
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
      requestHandler: {
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
    });
  }

  private async call<T>(
    operation: string,
    send: () => Promise<T>,
    extra: { wrappedBy?: string; context?: KeyContext } = {},
  ): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw kmsCallError(err, {
        key: this.keyId,
        operation,
        endpoint: this.endpoint,
        region: this.region,
        ...extra,
      });
    }
  }

  /** One GenerateDataKey call (AES_256). The header records the key ARN that KMS returns. */
  async generateDataKey(ctx: KeyContext): Promise<GeneratedDataKey> {
    const out = await this.call('GenerateDataKey', () =>
      this.client.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: kmsEncryptionContext(ctx),
        }),
      ),
    );
    let wrapped: WrappedKey;
    try {
      wrapped = this.wrappedFrom(out.CiphertextBlob, out.KeyId, 'GenerateDataKey');
    } catch (err) {
      out.Plaintext?.fill(0);
      throw err;
    }
    return { plaintext: takeDataKey(out.Plaintext, this.keyId, 'GenerateDataKey'), wrapped };
  }

  /** Adds a copy of an existing data key wrapped by this key (Encrypt). */
  async wrap(plaintext: Buffer, ctx: KeyContext): Promise<WrappedKey> {
    const out = await this.call('Encrypt', () =>
      this.client.send(
        new EncryptCommand({
          KeyId: this.keyId,
          Plaintext: plaintext,
          EncryptionContext: kmsEncryptionContext(ctx),
        }),
      ),
    );
    return this.wrappedFrom(out.CiphertextBlob, out.KeyId, 'Encrypt');
  }

  canUnwrap(wrapped: WrappedKey): boolean {
    return wrapped.provider === this.type && mayHaveWrapped(this.ref, wrapped.keyId);
  }

  /** Decrypt pinned to the configured key: KMS refuses (IncorrectKeyException) a blob of another key. */
  async unwrap(wrapped: WrappedKey, ctx: KeyContext): Promise<Buffer> {
    const out = await this.call(
      'Decrypt',
      () =>
        this.client.send(
          new DecryptCommand({
            CiphertextBlob: wrapped.blob,
            KeyId: this.keyId,
            EncryptionContext: kmsEncryptionContext(ctx),
          }),
        ),
      { wrappedBy: wrapped.keyId, context: ctx },
    );
    return takeDataKey(out.Plaintext, this.keyId, 'Decrypt');
  }

  /**
   * ReEncrypt from the key recorded in the header (pinned as SourceKeyId) to this key, under its
   * current key material; the data key never leaves KMS. The context stays the same.
   */
  async rewrap(wrapped: WrappedKey, ctx: KeyContext): Promise<WrappedKey> {
    const context = kmsEncryptionContext(ctx);
    const out = await this.call(
      'ReEncrypt',
      () =>
        this.client.send(
          new ReEncryptCommand({
            CiphertextBlob: wrapped.blob,
            SourceKeyId: wrapped.keyId,
            SourceEncryptionContext: context,
            DestinationKeyId: this.keyId,
            DestinationEncryptionContext: context,
          }),
        ),
      { wrappedBy: wrapped.keyId, context: ctx },
    );
    return this.wrappedFrom(out.CiphertextBlob, out.KeyId, 'ReEncrypt');
  }

  /** Readiness: DescribeKey, and the key must be an enabled symmetric encryption key. */
  async check(): Promise<void> {
    const out = await this.call('DescribeKey', () =>
      this.client.send(new DescribeKeyCommand({ KeyId: this.keyId })),
    );
    const meta = out.KeyMetadata;
    if (meta?.KeyState !== 'Enabled') {
      throw new KeyProviderError(
        `${this.description} is ${meta?.KeyState ?? 'in an unknown state'}, not Enabled; enable it (aws kms enable-key) or configure another key`,
        false,
      );
    }
    if (meta.KeyUsage !== 'ENCRYPT_DECRYPT' || (meta.KeySpec && meta.KeySpec !== 'SYMMETRIC_DEFAULT')) {
      throw new KeyProviderError(
        `${this.description} is not a symmetric encryption key (usage ${meta.KeyUsage ?? '?'}, spec ${meta.KeySpec ?? '?'}); configure a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key`,
        false,
      );
    }
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private wrappedFrom(blob: Uint8Array | undefined, arn: string | undefined, op: string): WrappedKey {
    if (!blob || blob.length === 0) {
      throw new KeyProviderError(`${this.description}: ${op} returned no ciphertext`, true);
    }
    // The key ARN, whatever form of the key was configured, so canUnwrap can compare it later.
    return { provider: this.type, keyId: arn ?? this.keyId, blob: Buffer.from(blob) };
  }
}

/** Copies a returned data key into a Buffer of our own and zeroes the SDK's copy. */
function takeDataKey(plaintext: Uint8Array | undefined, key: string, op: string): Buffer {
  if (!plaintext || plaintext.length !== DATA_KEY_LENGTH) {
    plaintext?.fill(0);
    throw new KeyProviderError(`KMS key ${key}: ${op} returned a data key of the wrong size`, false);
  }
  const copy = Buffer.from(plaintext);
  plaintext.fill(0);
  return copy;
}

export function invalidKeyIdError(text: string): UserError {
  return new UserError(
    `KMS key "${text}" is not a key id, key ARN, alias name (alias/NAME) or alias ARN; check --kms-key-id`,
    2,
  );
}
