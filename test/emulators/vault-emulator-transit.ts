/**
 * The Transit secrets engine of the Vault emulator, with real cryptography modelled on Vault's
 * keysutil: AES-256-GCM with a 12-byte random nonce, ciphertext "vault:vN:" + base64(nonce ‖ ct ‖ tag),
 * one random 256-bit key per version, derived keys = HKDF-SHA256(key, no salt, info = context), and
 * Vault's error texts for bad input.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A Transit error answered as HTTP `status` with `{"errors":[message]}`. */
export class TransitError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface TransitKey {
  versions: Buffer[];
  createdAt: number[];
  minDecryptionVersion: number;
  derived: boolean;
}

const MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";
const TOO_OLD = 'ciphertext or signature version is disallowed by policy (too old)';

function decodeB64(value: unknown, what: string): Buffer {
  if (value === undefined || value === '') return Buffer.alloc(0);
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new TransitError(400, `failed to base64-decode ${what}`);
  }
  return Buffer.from(value, 'base64');
}

export class TransitEngine {
  private readonly keys = new Map<string, TransitKey>();

  createKey(name: string, derived = false): void {
    if (this.keys.has(name)) return; // Vault: creating an existing key is a no-op
    this.keys.set(name, {
      versions: [randomBytes(32)],
      createdAt: [Date.now()],
      minDecryptionVersion: 1,
      derived,
    });
  }

  rotate(name: string): number {
    const k = this.key(name);
    k.versions.push(randomBytes(32));
    k.createdAt.push(Date.now());
    return k.versions.length;
  }

  configure(name: string, minDecryptionVersion: unknown): void {
    const k = this.key(name);
    if (minDecryptionVersion === undefined) return;
    const v = Number(minDecryptionVersion);
    if (!Number.isInteger(v) || v < 0)
      throw new TransitError(400, 'min decryption version must be an integer');
    if (v > k.versions.length) {
      throw new TransitError(
        400,
        `cannot set min decryption version of ${v} greater than the latest version`,
      );
    }
    k.minDecryptionVersion = Math.max(1, v);
  }

  read(name: string): Record<string, unknown> {
    const k = this.key(name);
    const keys: Record<string, number> = {};
    k.createdAt.forEach((t, i) => (keys[String(i + 1)] = Math.floor(t / 1000)));
    return {
      name,
      type: 'aes256-gcm96',
      derived: k.derived,
      ...(k.derived ? { kdf: 'hkdf_sha256' } : {}),
      keys,
      latest_version: k.versions.length,
      min_decryption_version: k.minDecryptionVersion,
      min_encryption_version: 0,
      deletion_allowed: false,
      exportable: false,
      supports_encryption: true,
      supports_decryption: true,
      supports_derivation: true,
      supports_signing: false,
    };
  }

  encrypt(name: string, plaintextB64: unknown, contextB64: unknown): string {
    if (typeof plaintextB64 !== 'string') throw new TransitError(400, 'missing plaintext to encrypt');
    const plaintext = decodeB64(plaintextB64, 'plaintext');
    return this.seal(this.key(name), plaintext, decodeB64(contextB64, 'context'));
  }

  decrypt(name: string, ciphertext: unknown, contextB64: unknown): string {
    return this.open(this.key(name), ciphertext, decodeB64(contextB64, 'context')).toString('base64');
  }

  rewrap(name: string, ciphertext: unknown, contextB64: unknown): string {
    const k = this.key(name);
    const context = decodeB64(contextB64, 'context');
    return this.seal(k, this.open(k, ciphertext, context), context);
  }

  datakey(name: string, contextB64: unknown, bits: unknown): { plaintext: string; ciphertext: string } {
    const size = bits === undefined ? 256 : Number(bits);
    if (size !== 128 && size !== 256 && size !== 512) throw new TransitError(400, 'invalid bit length');
    const k = this.key(name);
    const dataKey = randomBytes(size / 8);
    const ciphertext = this.seal(k, dataKey, decodeB64(contextB64, 'context'));
    return { plaintext: dataKey.toString('base64'), ciphertext };
  }

  private key(name: string): TransitKey {
    const k = this.keys.get(name);
    if (!k) throw new TransitError(400, 'encryption key not found');
    return k;
  }

  private versionKey(k: TransitKey, version: number, context: Buffer): Buffer {
    const raw = k.versions[version - 1];
    if (!raw) throw new TransitError(400, 'invalid key version');
    if (!k.derived) return raw; // Vault ignores a context for keys that are not derived
    if (context.length === 0) throw new TransitError(400, MISSING_CONTEXT);
    return Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), context, 32));
  }

  private seal(k: TransitKey, plaintext: Buffer, context: Buffer): string {
    const version = k.versions.length;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.versionKey(k, version, context), nonce);
    const body = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `vault:v${version}:${body.toString('base64')}`;
  }

  private open(k: TransitKey, ciphertext: unknown, context: Buffer): Buffer {
    if (typeof ciphertext !== 'string' || ciphertext === '')
      throw new TransitError(400, 'missing ciphertext to decrypt');
    if (!ciphertext.startsWith('vault:')) throw new TransitError(400, 'invalid ciphertext: no prefix');
    const fields = ciphertext.slice('vault:'.length).split(':');
    if (fields.length !== 2 || !fields[0] || fields[1] === undefined) {
      throw new TransitError(400, 'invalid ciphertext: wrong number of fields');
    }
    const version = Number(fields[0].slice(1));
    if (!fields[0].startsWith('v') || !Number.isInteger(version)) {
      throw new TransitError(400, 'invalid ciphertext: version number could not be decoded');
    }
    if (version > k.versions.length) throw new TransitError(400, 'invalid ciphertext: version is too new');
    if (version < k.minDecryptionVersion) throw new TransitError(400, TOO_OLD);
    const body = decodeB64(fields[1], 'ciphertext');
    if (body.length < 12 + 16) throw new TransitError(400, 'invalid ciphertext: unable to decrypt');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.versionKey(k, version, context),
      body.subarray(0, 12),
    );
    decipher.setAuthTag(body.subarray(body.length - 16));
    try {
      return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
    } catch {
      throw new TransitError(400, 'cipher: message authentication failed');
    }
  }
}
