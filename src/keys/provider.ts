import type { WrappedKey } from '../format/header.js';

export type { WrappedKey };

/** What a data key is bound to when it is wrapped: the same for every file of a snapshot set. */
export interface KeyContext {
  instance: string;
  setId: string;
}

export interface GeneratedDataKey {
  /** 32 plaintext bytes. The caller zeroes them after use. */
  plaintext: Buffer;
  wrapped: WrappedKey;
}

/**
 * One wrapping key (a local key file, one KMS key, one Vault Transit key). Providers know nothing
 * about snapshots: they only make, wrap and unwrap 32-byte data keys bound to a KeyContext.
 */
export interface KeyProvider {
  /** Provider type as stored in headers: "local", "kms", "vault". */
  readonly type: string;
  /** Identifier stored in headers beside the wrapped key (fingerprint, key ARN, Vault key name). */
  readonly keyId: string;
  /** Human-readable name for messages, never containing secrets. */
  readonly description: string;
  /** True when this provider can wrap but holds nothing that could unwrap (age recipients only). */
  readonly writeOnly?: boolean;

  /** Creates a fresh data key and its wrapped form (one remote call for remote providers). */
  generateDataKey(ctx: KeyContext): Promise<GeneratedDataKey>;
  /** Wraps an existing data key (used for the second and later providers of a set). */
  wrap(plaintext: Buffer, ctx: KeyContext): Promise<WrappedKey>;
  /** Whether `wrapped` was made by this provider's key, so that unwrap is worth trying. */
  canUnwrap(wrapped: WrappedKey): boolean;
  /** Returns the 32-byte data key, or throws a UserError that names the key and the likely fix. */
  unwrap(wrapped: WrappedKey, ctx: KeyContext): Promise<Buffer>;
  /** Re-wraps under the provider's newest key version without exposing the plaintext (KMS ReEncrypt, Vault rewrap). */
  rewrap?(wrapped: WrappedKey, ctx: KeyContext): Promise<WrappedKey>;
  /** Cheap reachability check for readiness probes. */
  check?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * How one kind of provider is configured: its settings (typed, already validated by the caller)
 * become providers. Each provider folder exports one; registry.ts lists them.
 */
export interface ProviderFactory<Settings> {
  /** Prefix of a key spec such as "file:/etc/sg/key" (rewrap --to-key); also the provider's name. */
  readonly specPrefix: string;
  /** Providers the settings configure (an empty list when this provider is not used). */
  fromSettings(settings: Settings): Promise<KeyProvider[]>;
  /** One provider from the part of a key spec after "prefix:", with the other settings for connection details. */
  fromSpec(value: string, settings: Settings): Promise<KeyProvider>;
}
