/** The `local` provider: a 256-bit key-encryption key in a file made by `snapshot-guard keygen`. */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { MissingKeyFileError, UserError, errnoCode, fileSystemProblem } from '../../errors.js';
import { ByteWriter } from '../../format/bytes.js';
import { KEY_FILE_PREFIX, encodeKeyFileText, parseKeyFileText } from '../../format/key-file.js';
import type { GeneratedDataKey, KeyContext, KeyProvider, WrappedKey } from '../provider.js';

const WRAP_AAD_LABEL = 'snapshot-guard v1 local wrap';

/** Associated data of a local wrap: label ‖ 0x00 ‖ str16(instance) ‖ str16(set id) (docs/FORMAT.md). */
export function localWrapAad(ctx: KeyContext): Buffer {
  return new ByteWriter()
    .bytes(Buffer.from(WRAP_AAD_LABEL, 'latin1'))
    .u8(0)
    .str16(ctx.instance)
    .str16(ctx.setId)
    .toBuffer();
}

/** Public fingerprint of a key: first 8 bytes of HMAC-SHA256(key, "snapshot-guard key id v1"), hex. */
export function localKeyFingerprint(kek: Buffer): string {
  return createHmac('sha256', kek).update('snapshot-guard key id v1').digest().subarray(0, 8).toString('hex');
}

export function encodeKeyFile(kek: Buffer): string {
  return encodeKeyFileText(kek);
}

/** Writes a new key file; refuses to overwrite; mode 0600 from creation on. */
export async function generateKeyFile(path: string): Promise<string> {
  const kek = randomBytes(32);
  let fh;
  try {
    fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      throw new UserError(
        `key file ${path} already exists; refusing to overwrite a key (choose another --out)`,
      );
    }
    throw new UserError(
      fileSystemProblem(err, path, 'create the key file') ?? `cannot create key file ${path}`,
    );
  }
  try {
    await fh.writeFile(encodeKeyFile(kek));
    await fh.sync();
    return localKeyFingerprint(kek);
  } finally {
    kek.fill(0);
    await fh.close();
  }
}

/** Loads a key file, refusing ones that group or others can read, and malformed ones. */
export async function loadKeyFile(path: string): Promise<Buffer> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new MissingKeyFileError(path);
    throw new UserError(fileSystemProblem(err, path, 'read the key file') ?? `cannot read key file ${path}`);
  }
  if (!st.isFile()) throw new UserError(`key file ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new UserError(
      `key file ${path} is accessible by group or others (mode ${mode}); fix with: chmod 600 ${path}`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(fileSystemProblem(err, path, 'read the key file') ?? `cannot read key file ${path}`);
  }
  const key = parseKeyFileText(text);
  if (!key) {
    throw new UserError(
      `key file ${path} is malformed: expected one line "${KEY_FILE_PREFIX}<base64 of 32 bytes>" as written by snapshot-guard keygen`,
    );
  }
  return key;
}

export class LocalKeyProvider implements KeyProvider {
  readonly type = 'local';
  readonly keyId: string;
  readonly description: string;

  private constructor(
    private readonly kek: Buffer,
    readonly path: string,
  ) {
    this.keyId = localKeyFingerprint(kek);
    this.description = `local key ${this.keyId} (${path})`;
  }

  static async fromFile(path: string): Promise<LocalKeyProvider> {
    return new LocalKeyProvider(await loadKeyFile(path), path);
  }

  /** For tests and vectors only. */
  static fromKey(kek: Buffer, path = '<memory>'): LocalKeyProvider {
    return new LocalKeyProvider(Buffer.from(kek), path);
  }

  generateDataKey(ctx: KeyContext): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(32);
    return this.wrap(plaintext, ctx).then((wrapped) => ({ plaintext, wrapped }));
  }

  /** blob = nonce(12) ‖ AES-256-GCM(kek, nonce, data key, aad = localWrapAad(ctx)) ‖ tag(16). */
  wrap(plaintext: Buffer, ctx: KeyContext, nonce: Buffer = randomBytes(12)): Promise<WrappedKey> {
    const cipher = createCipheriv('aes-256-gcm', this.kek, nonce);
    cipher.setAAD(localWrapAad(ctx));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([nonce, ct, cipher.getAuthTag()]);
    return Promise.resolve({ provider: this.type, keyId: this.keyId, blob });
  }

  canUnwrap(wrapped: WrappedKey): boolean {
    return wrapped.provider === this.type && wrapped.keyId === this.keyId;
  }

  unwrap(wrapped: WrappedKey, ctx: KeyContext): Promise<Buffer> {
    if (wrapped.blob.length !== 12 + 32 + 16) {
      return Promise.reject(new UserError(`local key ${this.keyId}: wrapped data key has the wrong size`));
    }
    const decipher = createDecipheriv('aes-256-gcm', this.kek, wrapped.blob.subarray(0, 12));
    decipher.setAAD(localWrapAad(ctx));
    decipher.setAuthTag(wrapped.blob.subarray(44));
    try {
      return Promise.resolve(
        Buffer.concat([decipher.update(wrapped.blob.subarray(12, 44)), decipher.final()]),
      );
    } catch {
      return Promise.reject(
        new UserError(
          `local key ${this.keyId} could not unwrap the data key: the header's wrapped key or its context (instance, set id) was altered`,
        ),
      );
    }
  }
}
