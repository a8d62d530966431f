/**
 * The `vault` key provider: one Vault Transit key. Data keys come from `datakey/plaintext` (one call per
 * snapshot set), are wrapped with `encrypt` when Vault is not the first provider, unwrapped with
 * `decrypt`, and moved to the newest key version with `rewrap`. The KeyContext is sent as Transit's
 * `context` on every call: a derived key (derived=true) binds the data key to it; a non-derived key
 * ignores it (Vault's behaviour), and the header MAC alone ties the wrapped key to its set.
 */
import { ByteWriter } from '../../format/bytes.js';
import { KeyProviderError } from '../errors.js';
import type { GeneratedDataKey, KeyContext, KeyProvider, WrappedKey } from '../provider.js';
import { VaultRequestError } from './http.js';
import type { VaultSession } from './session.js';

const CONTEXT_LABEL = 'snapshot-guard v1 vault context';
const CIPHERTEXT = /^vault:v(\d+):[A-Za-z0-9+/]+={0,2}$/;

/** Transit `context` for a set: label ‖ 0x00 ‖ str16(instance) ‖ str16(set id), as in docs/VAULT.md. */
export function vaultKeyContext(ctx: KeyContext): Buffer {
  return new ByteWriter()
    .bytes(Buffer.from(CONTEXT_LABEL, 'latin1'))
    .u8(0)
    .str16(ctx.instance)
    .str16(ctx.setId)
    .toBuffer();
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export class VaultTransitProvider implements KeyProvider {
  readonly type = 'vault';
  /** `<mount>/<name>`, independent of the address and namespace, e.g. "transit/snapshots". */
  readonly keyId: string;
  readonly description: string;
  private closed = false;

  constructor(
    private readonly session: VaultSession,
    readonly mount: string,
    readonly name: string,
  ) {
    session.retain();
    this.keyId = `${mount}/${name}`;
    this.description = `Vault key ${this.keyId} (${session.addr})`;
  }

  async generateDataKey(ctx: KeyContext): Promise<GeneratedDataKey> {
    const data = await this.transit(
      'datakey/plaintext',
      { context: this.context(ctx), bits: 256 },
      'generate a data key',
    );
    const wrapped = this.wrappedOf(data);
    return { plaintext: this.dataKeyOf(data), wrapped };
  }

  async wrap(plaintext: Buffer, ctx: KeyContext): Promise<WrappedKey> {
    const body = { plaintext: plaintext.toString('base64'), context: this.context(ctx) };
    return this.wrappedOf(await this.transit('encrypt', body, 'wrap a data key'));
  }

  canUnwrap(wrapped: WrappedKey): boolean {
    return wrapped.provider === this.type && wrapped.keyId === this.keyId;
  }

  async unwrap(wrapped: WrappedKey, ctx: KeyContext): Promise<Buffer> {
    const ciphertext = this.ciphertextIn(wrapped);
    const body = { ciphertext, context: this.context(ctx) };
    return this.dataKeyOf(await this.transit('decrypt', body, 'unwrap a data key', ciphertext));
  }

  /** Re-encrypts under the key's newest version inside Vault; the data key never leaves it. */
  async rewrap(wrapped: WrappedKey, ctx: KeyContext): Promise<WrappedKey> {
    const ciphertext = this.ciphertextIn(wrapped);
    const body = { ciphertext, context: this.context(ctx) };
    return this.wrappedOf(await this.transit('rewrap', body, 'rewrap a data key', ciphertext));
  }

  /** Readiness: Vault answers, is unsealed, and accepts the token. */
  async check(): Promise<void> {
    await this.session.call(
      'GET',
      'auth/token/lookup-self',
      undefined,
      'look up the token (auth/token/lookup-self)',
    );
  }

  close(): Promise<void> {
    if (!this.closed) this.session.release();
    this.closed = true;
    return Promise.resolve();
  }

  private context(ctx: KeyContext): string {
    return vaultKeyContext(ctx).toString('base64');
  }

  private async transit(
    op: string,
    body: object,
    what: string,
    ciphertext?: string,
  ): Promise<Record<string, unknown>> {
    const path = `${this.mount}/${op}/${this.name}`;
    try {
      return record((await this.session.call('POST', path, body, `${what} with ${this.keyId}`)).data);
    } catch (err) {
      throw this.refine(err, ciphertext);
    }
  }

  /** Turns Vault's 400 answers into what they mean for the user. */
  private refine(err: unknown, ciphertext: string | undefined): unknown {
    if (!(err instanceof VaultRequestError) || err.status !== 400) return err;
    const said = err.vaultMessage;
    const at = `Vault key ${this.keyId} at ${this.session.addr}`;
    const version = ciphertext ? `v${CIPHERTEXT.exec(ciphertext)?.[1] ?? '?'}` : 'an old version';
    let message: string | undefined;
    if (/too old|min_decryption_version|disallowed by policy/i.test(said)) {
      message = `${at} refuses to decrypt the data key: it was wrapped with key version ${version}, below the key's min_decryption_version (Vault: ${said}); lower it (vault write ${this.mount}/keys/${this.name}/config min_decryption_version=N) or use a copy rewrapped before it was raised`;
    } else if (/message authentication failed/i.test(said)) {
      message = `${at} could not decrypt the data key: the wrapped key or its context (instance, set id) does not match (Vault: ${said}); check --instance and that the file was not altered`;
    } else if (/key not found|policy not found/i.test(said)) {
      message = `${at} does not exist (Vault: ${said}); create it with "vault write -f ${this.mount}/keys/${this.name} derived=true", or check --vault-key, --vault-mount and --vault-namespace`;
    } else if (/invalid ciphertext|too new|decode/i.test(said)) {
      message = `${at} cannot use the wrapped data key (Vault: ${said}): the header is damaged, or the key was deleted and re-created under the same name`;
    }
    return message ? new KeyProviderError(message, false) : err;
  }

  private ciphertextIn(wrapped: WrappedKey): string {
    const text = wrapped.blob.toString('utf8');
    if (!CIPHERTEXT.test(text)) {
      throw new KeyProviderError(
        `${this.description}: the wrapped data key in the header is not a Vault ciphertext (vault:vN:…); the header is damaged`,
        false,
      );
    }
    return text;
  }

  private wrappedOf(data: Record<string, unknown>): WrappedKey {
    const ciphertext = data.ciphertext;
    if (typeof ciphertext !== 'string' || !CIPHERTEXT.test(ciphertext)) {
      throw new KeyProviderError(`${this.description} returned no usable ciphertext`, false);
    }
    return { provider: this.type, keyId: this.keyId, blob: Buffer.from(ciphertext, 'utf8') };
  }

  private dataKeyOf(data: Record<string, unknown>): Buffer {
    const key = Buffer.from(typeof data.plaintext === 'string' ? data.plaintext : '', 'base64');
    if (key.length !== 32) {
      const size = key.length;
      key.fill(0);
      throw new KeyProviderError(
        `${this.description} returned a data key of ${size} bytes instead of 32`,
        false,
      );
    }
    return key;
  }
}
