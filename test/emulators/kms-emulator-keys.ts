/**
 * The KMS emulator's keys and its ciphertext format. Real cryptography: each key holds AES-256 key
 * material (one per rotation), and a CiphertextBlob is AES-256-GCM under it with the key ARN and the
 * encryption context as associated data, so a wrong key or context fails authentication.
 *
 * Blob = "KEMU" ‖ u8 material index ‖ u16 ARN length ‖ ARN ‖ IV(12) ‖ ciphertext ‖ tag(16).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface EmulatedKey {
  keyId: string;
  arn: string;
  description: string;
  createdAt: Date;
  state: KeyState;
  /** Key material versions; new ciphertexts use the last one. */
  materials: Buffer[];
}

/** A KMS error as the JSON protocol returns it. */
export class KmsFault extends Error {
  /** KMS leaves `message` out of some errors (InvalidCiphertextException): then undefined. */
  readonly awsMessage: string | undefined;
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string | undefined, status = 400) {
    super(message ?? type);
    this.type = type;
    this.awsMessage = message;
    this.status = status;
  }
}

const MAGIC = Buffer.from('KEMU', 'latin1');

function canonicalContext(ctx: Record<string, string>): Buffer {
  const entries = Object.entries(ctx).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

export class KmsKeyStore {
  readonly keys = new Map<string, EmulatedKey>();
  /** "alias/NAME" → key id. */
  readonly aliases = new Map<string, string>();

  constructor(
    readonly region: string,
    readonly account: string,
  ) {}

  create(opts: { alias?: string; description?: string } = {}): EmulatedKey {
    const keyId = randomUUID();
    const key: EmulatedKey = {
      keyId,
      arn: `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`,
      description: opts.description ?? '',
      createdAt: new Date(),
      state: 'Enabled',
      materials: [randomBytes(32)],
    };
    this.keys.set(keyId, key);
    if (opts.alias) this.setAlias(opts.alias, keyId);
    return key;
  }

  setAlias(alias: string, keyId: string): void {
    if (!alias.startsWith('alias/')) throw new Error(`alias must start with alias/: ${alias}`);
    this.aliases.set(alias, keyId);
  }

  /** Resolves a key id, key ARN, alias name or alias ARN, as KMS does; NotFoundException otherwise. */
  resolve(ref: unknown): EmulatedKey {
    if (typeof ref !== 'string' || ref === '') throw new KmsFault('ValidationException', 'KeyId is required');
    const arn = /^arn:aws:kms:([^:]+):(\d{12}):(key|alias)\/(.+)$/.exec(ref);
    let id: string | undefined;
    if (arn) {
      const [, region, account, type, rest = ''] = arn;
      if (region === this.region && account === this.account) {
        id = type === 'key' ? rest : this.aliases.get(`alias/${rest}`);
      }
    } else if (ref.startsWith('alias/')) {
      id = this.aliases.get(ref);
    } else {
      id = ref;
    }
    const key = id ? this.keys.get(id) : undefined;
    if (!key) {
      throw new KmsFault(
        'NotFoundException',
        ref.includes('alias/') ? `Alias ${ref} is not found.` : `Key '${ref}' does not exist`,
      );
    }
    return key;
  }

  /** Refuses keys that are not enabled, with the errors KMS uses. */
  usable(key: EmulatedKey): EmulatedKey {
    if (key.state === 'Disabled') throw new KmsFault('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion') {
      throw new KmsFault('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    return key;
  }

  seal(key: EmulatedKey, context: Record<string, string>, plaintext: Buffer): Buffer {
    const index = key.materials.length - 1;
    const arn = Buffer.from(key.arn, 'utf8');
    const prefix = Buffer.alloc(MAGIC.length + 3);
    MAGIC.copy(prefix);
    prefix.writeUInt8(index, MAGIC.length);
    prefix.writeUInt16BE(arn.length, MAGIC.length + 1);
    const head = Buffer.concat([prefix, arn]);
    const iv = randomBytes(12);
    const material = key.materials[index];
    if (!material) throw new Error('key without material');
    const cipher = createCipheriv('aes-256-gcm', material, iv);
    cipher.setAAD(Buffer.concat([head, canonicalContext(context)]));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([head, iv, ct, cipher.getAuthTag()]);
  }

  /** The key that made a blob (by the ARN inside it), or InvalidCiphertextException. */
  ownerOf(blob: Buffer): EmulatedKey {
    const parsed = parseBlob(blob);
    const key = parsed && [...this.keys.values()].find((k) => k.arn === parsed.arn);
    if (!key) throw new KmsFault('InvalidCiphertextException', undefined);
    return key;
  }

  open(key: EmulatedKey, context: Record<string, string>, blob: Buffer): Buffer {
    const parsed = parseBlob(blob);
    const material = parsed ? key.materials[parsed.index] : undefined;
    if (!parsed || !material || parsed.arn !== key.arn) {
      throw new KmsFault('InvalidCiphertextException', undefined);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', material, parsed.iv);
      decipher.setAAD(Buffer.concat([parsed.head, canonicalContext(context)]));
      decipher.setAuthTag(parsed.tag);
      return Buffer.concat([decipher.update(parsed.ct), decipher.final()]);
    } catch {
      throw new KmsFault('InvalidCiphertextException', undefined);
    }
  }
}

function parseBlob(blob: Buffer) {
  const base = MAGIC.length + 3;
  if (blob.length < base + 12 + 16 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const index = blob.readUInt8(MAGIC.length);
  const arnLength = blob.readUInt16BE(MAGIC.length + 1);
  const ivAt = base + arnLength;
  if (blob.length < ivAt + 12 + 16) return undefined;
  return {
    index,
    arn: blob.subarray(base, ivAt).toString('utf8'),
    head: blob.subarray(0, ivAt),
    iv: blob.subarray(ivAt, ivAt + 12),
    ct: blob.subarray(ivAt + 12, blob.length - 16),
    tag: blob.subarray(blob.length - 16),
  };
}
