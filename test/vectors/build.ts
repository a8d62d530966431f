/**
 * Builds the known-answer vectors of docs/FORMAT.md. The format library is passed in, so that the same
 * code runs on the compiled dist/ (make-vectors.mjs beside it writes the JSON files) and on src/ (the
 * vitest test compares the result with the checked-in files: the vectors cannot drift silently).
 * Only `import type` here: Node runs this file by stripping types, without a build step.
 */
import type { createHash as CreateHash, createHmac as CreateHmac } from 'node:crypto';
import type * as FileMod from '../../src/format/file.js';
import type * as HeaderMod from '../../src/format/header.js';
import type * as PayloadMod from '../../src/format/payload.js';
import type * as ManifestMod from '../../src/format/manifest.js';
import type * as LocalMod from '../../src/keys/local/provider.js';

export interface VectorLib {
  createHash: typeof CreateHash;
  createHmac: typeof CreateHmac;
  encryptFile: typeof FileMod.encryptFile;
  associatedDataOf: typeof HeaderMod.associatedDataOf;
  headerMacKey: typeof HeaderMod.headerMacKey;
  decodeHeader: typeof HeaderMod.decodeHeader;
  replaceWrappedKeys: typeof HeaderMod.replaceWrappedKeys;
  deriveFileKey: typeof PayloadMod.deriveFileKey;
  encodeManifest: typeof ManifestMod.encodeManifest;
  LocalKeyProvider: typeof LocalMod.LocalKeyProvider;
  localWrapAad: typeof LocalMod.localWrapAad;
  encodeKeyFile: typeof LocalMod.encodeKeyFile;
}

/** Where decoding must fail (docs/FORMAT.md section 9); `key-file`: the decoder's key file is refused. */
export type Stage = 'key-file' | 'parse' | 'unwrap' | 'header-mac' | 'payload' | 'manifest';

export interface VectorWrappedKey {
  provider: string;
  key_id: string;
  blob: string;
}

/** One JSON file in test/vectors/. Byte strings are lowercase hex. */
export interface Vector {
  format: 'snapshot-guard test vector';
  format_version: 1;
  name: string;
  description: string;
  /** "plaintext": decrypts to `plaintext`; "error": every decoder must reject it, at `error_stage`. */
  expect: 'plaintext' | 'error';
  error_stage?: Stage;
  error?: string;
  /** What was changed, for negative vectors, relative to the positive vector named in it. */
  mutation?: string;
  /** The local key file a decoder is given (text), and the 32-byte key in it. */
  key_file: string;
  /** Further key files the decoder holds, after key_file (only where a vector needs two keys). */
  more_key_files?: string[];
  local_kek: string;
  local_key_id: string;
  data_key: string;
  context: { instance: string; set_id: string; file_name: string; created_at_ms: number };
  segment_size: number;
  /** Nonce of the local wrap (AES-256-GCM) of the data key. */
  wrap_nonce: string;
  /** The header's wrapped keys in order (the local one is derived from local_kek, data_key, wrap_nonce). */
  wrapped_keys: VectorWrappedKey[];
  salt: string;
  nonce_prefix: string;
  plaintext: string;
  /** The whole encrypted file: header and payload. */
  ciphertext: string;
  /** Intermediate values of the positive vector this one is (or was made from), to debug a decoder. */
  derived: {
    local_wrap_aad: string;
    associated_data: string;
    file_key: string;
    header_mac_key: string;
    header_length: number;
    segments: number;
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Deterministic bytes for a label, so that every vector has its own salt and nonce prefix. */
function labelled(lib: VectorLib, label: string, n: number): Buffer {
  return lib.createHash('sha256').update(`snapshot-guard test vector ${label}`).digest().subarray(0, n);
}

/** Readable ASCII plaintext of exactly `n` bytes. */
function textOf(n: number): Buffer {
  const unit = Buffer.from('The quick brown fox jumps over the lazy dog. 0123456789\n', 'latin1');
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = unit[i % unit.length] ?? 0;
  return out;
}

async function collect(gen: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of gen) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(b);
}

export const KEK = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
export const OTHER_KEK = Buffer.from(
  'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f',
  'hex',
);
export const DATA_KEY = Buffer.from(
  '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f',
  'hex',
);
const OTHER_DATA_KEY = Buffer.from('404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f', 'hex');
const WRAP_NONCE = Buffer.from('a0a1a2a3a4a5a6a7a8a9aaab', 'hex');
const OTHER_WRAP_NONCE = Buffer.from('b0b1b2b3b4b5b6b7b8b9babb', 'hex');
const THIRD_WRAP_NONCE = Buffer.from('c0c1c2c3c4c5c6c7c8c9cacb', 'hex');
const INSTANCE = 'cache-1';
const SET_ID = '20261123T174000.000Z_dump';
const CREATED_AT_MS = Date.UTC(2026, 10, 23, 17, 40, 1, 500);
export const SEGMENT_SIZE = 256;
/** Plaintext bytes of the first and of every further segment at SEGMENT_SIZE. */
const FIRST = SEGMENT_SIZE - 40 - 16;
const OTHER = SEGMENT_SIZE - 16;

interface Spec {
  name: string;
  description: string;
  plaintext: Buffer;
  fileName?: string;
  segmentSize?: number;
  /** Wrapped keys of other providers, placed before the local one. */
  extraKeys?: { provider: string; keyId: string; blob: Buffer }[];
}

interface Built {
  vector: Vector;
  file: Buffer;
  headerLength: number;
}

async function encryptVector(lib: VectorLib, spec: Spec, dataKey = DATA_KEY, wrapNonce = WRAP_NONCE) {
  const segmentSize = spec.segmentSize ?? SEGMENT_SIZE;
  const context = {
    instance: INSTANCE,
    setId: SET_ID,
    fileName: spec.fileName ?? 'dump.rdb',
    createdAtMs: CREATED_AT_MS,
  };
  const local = lib.LocalKeyProvider.fromKey(KEK);
  const wrapped = await local.wrap(dataKey, { instance: INSTANCE, setId: SET_ID }, wrapNonce);
  const wrappedKeys = [...(spec.extraKeys ?? []), wrapped];
  const header = { version: 1, segmentSize, context, wrappedKeys };
  const salt = labelled(lib, `salt ${spec.name}`, 32);
  const noncePrefix = labelled(lib, `nonce prefix ${spec.name}`, 7);
  const file = await collect(lib.encryptFile(once(spec.plaintext), header, dataKey, { salt, noncePrefix }));
  return { file, header, salt, noncePrefix, local, wrappedKeys, segmentSize };
}

async function positive(lib: VectorLib, spec: Spec): Promise<Built> {
  const { file, header, salt, noncePrefix, local, wrappedKeys, segmentSize } = await encryptVector(lib, spec);
  const parsed = lib.decodeHeader(file.subarray(0, file.readUInt32BE(10)));
  const ad = lib.associatedDataOf(header);
  const first = segmentSize - 56;
  const n = spec.plaintext.length;
  const segments = n <= first ? 1 : 1 + Math.ceil((n - first) / (segmentSize - 16));
  const vector: Vector = {
    format: 'snapshot-guard test vector',
    format_version: 1,
    name: spec.name,
    description: spec.description,
    expect: 'plaintext',
    key_file: lib.encodeKeyFile(KEK),
    local_kek: hex(KEK),
    local_key_id: local.keyId,
    data_key: hex(DATA_KEY),
    context: {
      instance: header.context.instance,
      set_id: header.context.setId,
      file_name: header.context.fileName,
      created_at_ms: header.context.createdAtMs,
    },
    segment_size: segmentSize,
    wrap_nonce: hex(WRAP_NONCE),
    wrapped_keys: wrappedKeys.map((k) => ({ provider: k.provider, key_id: k.keyId, blob: hex(k.blob) })),
    salt: hex(salt),
    nonce_prefix: hex(noncePrefix),
    plaintext: hex(spec.plaintext),
    ciphertext: hex(file),
    derived: {
      local_wrap_aad: hex(lib.localWrapAad({ instance: INSTANCE, setId: SET_ID })),
      associated_data: hex(ad),
      file_key: hex(lib.deriveFileKey(DATA_KEY, salt, ad)),
      header_mac_key: hex(lib.headerMacKey(DATA_KEY)),
      header_length: parsed.raw.length,
      segments,
    },
  };
  return { vector, file, headerLength: parsed.raw.length };
}

function negative(
  base: Built,
  name: string,
  stage: Stage,
  error: string,
  mutation: string,
  ciphertext: Buffer,
  overrides: Partial<Vector> = {},
): Vector {
  return {
    ...base.vector,
    name,
    description: `must be rejected: ${error}`,
    expect: 'error',
    error_stage: stage,
    error,
    mutation: `from "${base.vector.name}": ${mutation}`,
    ...overrides,
    ciphertext: hex(ciphertext),
  };
}

function flipBit(b: Buffer, at: number, bit = 0): Buffer {
  const out = Buffer.from(b);
  if (at < 0 || at >= out.length) throw new Error(`flipBit: offset ${at} outside 0..${out.length - 1}`);
  out[at] = (out[at] ?? 0) ^ (1 << bit);
  return out;
}

/** Start offset (in the whole file) and length of ciphertext segment `i` of a file. */
function segmentAt(built: Built, i: number): [number, number] {
  const s = built.vector.segment_size;
  const payloadEnd = built.file.length;
  const start = built.headerLength + (i === 0 ? 40 : s * i);
  const end = Math.min(built.headerLength + s * (i + 1), payloadEnd);
  if (start >= payloadEnd) throw new Error(`segmentAt: no segment ${i}`);
  return [start, end - start];
}

/** Offsets of header fields of a vector file, found by walking the header. */
function fieldOffsets(built: Built): { instance: number; fileName: number; keyId: number; blob: number } {
  const f = built.file;
  let p = 14 + 4 + 8;
  const instance = p + 2;
  p += 2 + f.readUInt16BE(p); // instance
  p += 2 + f.readUInt16BE(p); // set id
  const fileName = p + 2;
  p += 2 + f.readUInt16BE(p); // file name
  p += 1; // key count; the vectors' first key is the local one
  p += 1 + (f[p] ?? 0); // provider
  const keyId = p + 2;
  p += 2 + f.readUInt16BE(p);
  return { instance, fileName, keyId, blob: p + 2 };
}

function manifestFor(lib: VectorLib, data: Built): Buffer {
  const payload = data.file.subarray(data.headerLength);
  return lib.encodeManifest({
    kind: 'snapshot-guard/set-manifest',
    version: 1,
    setId: SET_ID,
    instance: INSTANCE,
    sealedAt: new Date(CREATED_AT_MS).toISOString(),
    snapshotTime: new Date(Date.UTC(2026, 10, 23, 17, 40, 0, 0)).toISOString(),
    source: { format: 'rdb', stem: 'dump', snapshotId: null, shardCount: null },
    files: [
      {
        name: 'dump.rdb',
        role: 'rdb',
        size: data.vector.plaintext.length / 2,
        encryptedSize: data.file.length,
        payloadSha256: lib.createHash('sha256').update(payload).digest('hex'),
      },
    ],
  });
}

/** All vectors, in a stable order. File name of each: `${name}.json`. */
export async function buildVectors(lib: VectorLib): Promise<Vector[]> {
  const p = (spec: Spec) => positive(lib, spec);
  const empty = await p({
    name: 'empty',
    description: 'empty plaintext: one segment holding only a tag',
    plaintext: Buffer.alloc(0),
  });
  const one = await p({
    name: 'one-byte',
    description: 'one plaintext byte (the worked example of docs/FORMAT.md)',
    plaintext: Buffer.from('A'),
  });
  const firstFull = await p({
    name: 'first-segment-exact',
    description: `plaintext exactly fills the first segment (${FIRST} bytes at segment size ${SEGMENT_SIZE}): one full last segment, no empty one after it`,
    plaintext: textOf(FIRST),
  });
  const firstPlusOne = await p({
    name: 'first-segment-plus-one',
    description: `${FIRST + 1} bytes: a full first segment and a last segment of 1 byte`,
    plaintext: textOf(FIRST + 1),
  });
  const multi = await p({
    name: 'multi-segment',
    description: `${FIRST + 2 * OTHER + 100} bytes: four segments, the last one partial (this is dump.rdb of the set in "manifest")`,
    plaintext: textOf(FIRST + 2 * OTHER + 100),
  });
  const exact = await p({
    name: 'exact-multiple',
    description: `${FIRST + 2 * OTHER} bytes: three segments, all full (the last one too)`,
    plaintext: textOf(FIRST + 2 * OTHER),
  });
  const minSeg = await p({
    name: 'minimum-segment-size',
    description: 'segment size 128 (the minimum): 72 plaintext bytes in the first segment, 112 in the others',
    plaintext: textOf(300),
    segmentSize: 128,
  });
  const manifest = await p({
    name: 'manifest',
    description:
      'the set manifest of the set whose dump.rdb is "multi-segment": context file name "", JSON plaintext',
    plaintext: manifestFor(lib, multi),
    fileName: '',
  });

  // Rewrap: new wrapped keys (an opaque "kms" copy first, a fresh local wrap), new MAC, same payload bytes.
  const kms = {
    provider: 'kms',
    keyId: 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    blob: labelled(lib, 'opaque kms blob', 32),
  };
  const local = await lib.LocalKeyProvider.fromKey(KEK).wrap(
    DATA_KEY,
    { instance: INSTANCE, setId: SET_ID },
    OTHER_WRAP_NONCE,
  );
  const rewrappedHeader = lib.replaceWrappedKeys(
    lib.decodeHeader(multi.file.subarray(0, multi.headerLength)),
    [kms, local],
    DATA_KEY,
  );
  const rewrappedFile = Buffer.concat([rewrappedHeader, multi.file.subarray(multi.headerLength)]);
  const rewrapped: Vector = {
    ...multi.vector,
    name: 'rewrapped',
    description:
      'the "multi-segment" file after a rewrap: an opaque kms copy first (a decoder without that provider skips it), a fresh local wrap, a new header MAC, the payload bytes unchanged',
    wrap_nonce: hex(OTHER_WRAP_NONCE),
    wrapped_keys: [kms, local].map((k) => ({ provider: k.provider, key_id: k.keyId, blob: hex(k.blob) })),
    ciphertext: hex(rewrappedFile),
    derived: { ...multi.vector.derived, header_length: rewrappedHeader.length },
  };

  const m = multi;
  const f = m.file;
  const off = fieldOffsets(m);
  const [s0, l0] = segmentAt(m, 0);
  const [s1, l1] = segmentAt(m, 1);
  const [s2, l2] = segmentAt(m, 2);
  const [s3] = segmentAt(m, 3);
  const withU16 = (at: number, v: number) => {
    const b = Buffer.from(f);
    b.writeUInt16BE(v, at);
    return b;
  };
  const withU32 = (at: number, v: number) => {
    const b = Buffer.from(f);
    b.writeUInt32BE(v, at);
    return b;
  };

  // Same set, same data key, another file (the manifest): its segment 1 put in place of ours.
  const [ms1, ml1] = segmentAt(manifest, 1);
  const spliced = Buffer.concat([
    f.subarray(0, s1),
    manifest.file.subarray(ms1, ms1 + ml1),
    f.subarray(s1 + l1),
  ]);
  if (ml1 !== l1) throw new Error('splice: segment lengths differ');

  // A header made for another data key (valid wrap, valid MAC under that key) on top of our payload.
  const other = await encryptVector(
    lib,
    { name: 'multi-segment', description: '', plaintext: textOf(1) },
    OTHER_DATA_KEY,
    THIRD_WRAP_NONCE,
  );
  const otherHeader = other.file.subarray(0, other.file.readUInt32BE(10));

  const neg = (
    name: string,
    stage: Stage,
    error: string,
    mutation: string,
    ct: Buffer,
    o: Partial<Vector> = {},
  ) => negative(m, name, stage, error, mutation, ct, o);
  const negatives = [
    neg('empty-file', 'parse', 'too short to be an encrypted file', 'all bytes removed', Buffer.alloc(0)),
    neg('bad-magic', 'parse', 'bad magic bytes', 'bit 0 of byte 0 flipped', flipBit(f, 0)),
    neg(
      'unknown-version',
      'parse',
      'unsupported format version 2',
      'version field (offset 8) set to 2',
      withU16(8, 2),
    ),
    neg(
      'header-length-huge',
      'parse',
      'header length exceeds 65536',
      'header length (offset 10) set to 0xffffffff',
      withU32(10, 0xffffffff),
    ),
    neg(
      'header-length-over-limit',
      'parse',
      'header length exceeds 65536',
      'header length set to 65537',
      withU32(10, 65537),
    ),
    neg(
      'header-length-too-small',
      'parse',
      'header length below 72',
      'header length set to 45',
      withU32(10, 45),
    ),
    neg(
      'header-truncated',
      'parse',
      'file ends inside the header',
      'cut to its first 100 bytes',
      f.subarray(0, 100),
    ),
    neg(
      'str16-overrun',
      'parse',
      'instance length runs past the header',
      'instance length (offset 26) set to 0xffff',
      withU16(26, 0xffff),
    ),
    neg(
      'segment-size-too-small',
      'parse',
      'segment size out of range',
      'segment size (offset 14) set to 127',
      withU32(14, 127),
    ),
    neg(
      'no-wrapped-keys',
      'parse',
      'wrapped key count 0',
      'wrapped key count set to 0',
      (() => {
        const b = Buffer.from(f);
        b[off.fileName + 8] = 0; // "dump.rdb" is 8 bytes; the count follows it
        return b;
      })(),
    ),
    neg(
      'bound-field-bitflip',
      'header-mac',
      'header MAC mismatch',
      'bit 0 of the first file-name byte flipped ("dump.rdb" → "eump.rdb")',
      flipBit(f, off.fileName),
    ),
    neg(
      'created-at-bitflip',
      'header-mac',
      'header MAC mismatch',
      'bit 0 of the last created-at byte (offset 25) flipped',
      flipBit(f, 25),
    ),
    neg(
      'instance-bitflip',
      'unwrap',
      'local unwrap fails: the instance is in the wrap AAD',
      'bit 0 of the first instance byte flipped',
      flipBit(f, off.instance),
    ),
    neg(
      'wrapped-key-bitflip',
      'unwrap',
      'local unwrap fails (GCM tag)',
      'bit 0 of the 13th byte of the local wrapped key (first ciphertext byte) flipped',
      flipBit(f, off.blob + 12),
    ),
    neg(
      'key-id-bitflip',
      'unwrap',
      'no wrapped key for this key file',
      'bit 0 of the first key-id byte flipped',
      flipBit(f, off.keyId),
    ),
    neg(
      'header-mac-bitflip',
      'header-mac',
      'header MAC mismatch',
      'bit 7 of the last header byte flipped',
      flipBit(f, m.headerLength - 1, 7),
    ),
    neg(
      'header-from-other-data-key',
      'payload',
      'segment 0 fails: the header commits to another data key than the payload uses',
      'header replaced by a complete, valid header (wrap and MAC) for another data key',
      Buffer.concat([otherHeader, f.subarray(m.headerLength)]),
    ),
    neg(
      'stream-header-length-byte',
      'payload',
      'payload header length byte is not 0x28',
      'first payload byte set to 0x29',
      (() => {
        const b = Buffer.from(f);
        b[m.headerLength] = 0x29;
        return b;
      })(),
    ),
    neg(
      'salt-bitflip',
      'payload',
      'segment 0 fails (wrong file key)',
      'bit 0 of the first salt byte flipped',
      flipBit(f, m.headerLength + 1),
    ),
    neg(
      'nonce-prefix-bitflip',
      'payload',
      'segment 0 fails (wrong nonce)',
      'bit 0 of the first nonce-prefix byte flipped',
      flipBit(f, m.headerLength + 33),
    ),
    neg(
      'payload-bitflip',
      'payload',
      'segment 1 fails',
      'bit 0 of the 10th ciphertext byte of segment 1 flipped',
      flipBit(f, s1 + 9),
    ),
    neg(
      'tag-bitflip',
      'payload',
      'segment 0 fails',
      'bit 0 of the last tag byte of segment 0 flipped',
      flipBit(f, s0 + l0 - 1),
    ),
    neg(
      'last-segment-bitflip',
      'payload',
      'segment 3 fails',
      'bit 0 of the first byte of the last segment flipped',
      flipBit(f, s3),
    ),
    neg(
      'header-only',
      'payload',
      'payload header missing',
      'cut right after the header',
      f.subarray(0, m.headerLength),
    ),
    neg(
      'payload-header-truncated',
      'payload',
      'payload header missing',
      'cut 20 bytes into the payload header',
      f.subarray(0, m.headerLength + 20),
    ),
    neg(
      'truncated-at-segment-boundary',
      'payload',
      'segment 2 fails: it was sealed as not-last',
      'last segment removed',
      f.subarray(0, s3),
    ),
    neg(
      'truncated-in-segment',
      'payload',
      'last segment fails',
      'last 5 bytes removed',
      f.subarray(0, f.length - 5),
    ),
    neg(
      'truncated-in-tag-sized-tail',
      'payload',
      'segment 3 shorter than a tag',
      'cut 10 bytes into the last segment',
      f.subarray(0, s3 + 10),
    ),
    neg(
      'trailing-byte',
      'payload',
      'last segment fails (one byte appended)',
      'one zero byte appended',
      Buffer.concat([f, Buffer.alloc(1)]),
    ),
    neg(
      'segments-swapped',
      'payload',
      'segment 1 fails (nonce carries the index)',
      'segments 1 and 2 swapped',
      Buffer.concat([
        f.subarray(0, s1),
        f.subarray(s2, s2 + l2),
        f.subarray(s1, s1 + l1),
        f.subarray(s2 + l2),
      ]),
    ),
    neg(
      'segment-from-other-file',
      'payload',
      'segment 1 fails (each file has its own file key)',
      'segment 1 replaced by segment 1 of "manifest" (same set, same data key, same segment size)',
      spliced,
    ),
    neg(
      'wrong-key',
      'unwrap',
      'the key file holds another key',
      'unchanged file; the decoder is given another key file',
      f,
      {
        key_file: lib.encodeKeyFile(OTHER_KEK),
        local_kek: hex(OTHER_KEK),
        local_key_id: lib.LocalKeyProvider.fromKey(OTHER_KEK).keyId,
      },
    ),
  ];
  return [empty, one, firstFull, firstPlusOne, multi, exact, minSeg, manifest]
    .map((b) => b.vector)
    .concat([rewrapped], negatives, await ruleVectors(lib, m, one));
}

// ---- The decisions of docs/FORMAT.md that a second decoder could otherwise guess differently. ----
// Their names say the outcome: "accept-…" must decode, "reject-…" must fail at error_stage.

/** The header of `base` with its one wrapped copy written twice (count 2), under a valid MAC. */
function headerWithCopyTwice(lib: VectorLib, base: Built): Buffer {
  const raw = base.file.subarray(0, base.headerLength);
  const countAt = fieldOffsets(base).fileName + 8; // "dump.rdb" is 8 bytes; the key count follows it
  const copy = raw.subarray(countAt + 1, raw.length - 32);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(raw.length + copy.length);
  const body = Buffer.concat([raw.subarray(0, 10), length, raw.subarray(14, countAt), Buffer.from([2]), copy, copy]);
  const mac = lib.createHmac('sha256', lib.headerMacKey(DATA_KEY)).update(body).digest();
  return Buffer.concat([body, mac]);
}

const DFS_STEM = 'dump-2026-11-23T17:40:00';

/** The predecessor a version-2 vector names. */
const PREVIOUS = { setId: '20261123T173500.000Z_dump', manifestSha256: 'c0ffee'.repeat(10) + 'c0de' };

/** Makes a manifest version 2 with this `previous`. */
const v2 = (previous: typeof PREVIOUS | null) => (x: Record<string, unknown>) => {
  x.version = 2;
  x.previous = previous;
};

/** The JSON text of a manifest; `change` edits it as an object, `text` edits the final text. */
function manifestJson(
  format: 'rdb' | 'dfs',
  change: (m: Record<string, unknown>) => void = () => undefined,
  text: (t: string) => string = (t) => t,
): Buffer {
  const file = (name: string, role: string, i: number) => ({
    name,
    role,
    size: 1000 + i,
    encryptedSize: 1200 + i,
    payloadSha256: (i.toString(16).padStart(2, '0') + 'ab').repeat(16),
  });
  const m: Record<string, unknown> = {
    kind: 'snapshot-guard/set-manifest',
    version: 1,
    setId: SET_ID,
    instance: INSTANCE,
    sealedAt: '2026-11-23T17:40:01.500Z',
    snapshotTime: '2026-11-23T17:40:00.000Z',
    source:
      format === 'rdb'
        ? { format, stem: 'dump', snapshotId: null, shardCount: null }
        : { format, stem: DFS_STEM, snapshotId: '0123456789abcdef0123456789abcdef', shardCount: 3 },
    files:
      format === 'rdb'
        ? [file('dump.rdb', 'rdb', 0)]
        : [0, 1, 2]
            .map((i) => file(`${DFS_STEM}-000${i}.dfs`, 'shard', i))
            .concat([file(`${DFS_STEM}-summary.dfs`, 'summary', 3)]),
  };
  change(m);
  return Buffer.from(text(`${JSON.stringify(m, null, 2)}\n`), 'utf8');
}

async function ruleVectors(lib: VectorLib, m: Built, one: Built): Promise<Vector[]> {
  const manifestFile = async (name: string, description: string, json: Buffer) =>
    positive(lib, { name, description, plaintext: json, fileName: '' });
  const rejectManifest = async (name: string, rule: string, json: Buffer): Promise<Vector> => {
    const built = await manifestFile(name, '', json);
    return {
      ...built.vector,
      description: `must be rejected: ${rule}`,
      expect: 'error',
      error_stage: 'manifest',
      error: rule,
      mutation: 'a manifest file that authenticates, whose JSON breaks the rule',
    };
  };
  const files = (x: Record<string, unknown>) => x.files as Record<string, unknown>[];
  const source = (x: Record<string, unknown>) => x.source as Record<string, unknown>;
  const longStem = 'd'.repeat(248); // "<stem>.rdb" is then 252 bytes: the longest name whose .sg file fits 255

  // A header whose first matching copy unwraps (under another key) to another data key than the MAC's.
  const ctx = { instance: INSTANCE, setId: SET_ID };
  const misleading = await lib.LocalKeyProvider.fromKey(OTHER_KEK).wrap(OTHER_DATA_KEY, ctx, THIRD_WRAP_NONCE);
  const good = await lib.LocalKeyProvider.fromKey(KEK).wrap(DATA_KEY, ctx, WRAP_NONCE);
  const twoCopies = await collect(
    lib.encryptFile(
      once(Buffer.from('A')),
      { version: 1, segmentSize: SEGMENT_SIZE, context: { ...ctx, fileName: 'dump.rdb', createdAtMs: CREATED_AT_MS }, wrappedKeys: [misleading, good] },
      DATA_KEY,
      { salt: labelled(lib, 'salt one-byte', 32), noncePrefix: labelled(lib, 'nonce prefix one-byte', 7) },
    ),
  );
  const fromOne = (name: string, stage: Stage, error: string, mutation: string, o: Partial<Vector>) =>
    negative(one, name, stage, error, mutation, one.file, o);
  const keyFile = one.vector.key_file.trimEnd();
  const b64 = keyFile.slice(keyFile.indexOf(':') + 1);
  // The last base64 character carries 2 unused bits; this spelling sets one of them.
  const noncanonical = keyFile.replace(/.=$/, `${b64.at(-2) === '8' ? '9' : '8'}=`);

  return [
    negative(
      m,
      'reject-header-length-71',
      'parse',
      'header length below 72, the smallest header that can be valid',
      'header length set to 71',
      (() => {
        const b = Buffer.from(m.file);
        b.writeUInt32BE(71, 10);
        return b;
      })(),
    ),
    negative(
      m,
      'reject-duplicate-wrapped-key',
      'parse',
      'two wrapped copies with the same provider and key id',
      'the local copy written twice (key count 2, header length and MAC recomputed: the MAC is valid)',
      Buffer.concat([headerWithCopyTwice(lib, m), m.file.subarray(m.headerLength)]),
    ),
    {
      ...negative(
        one,
        'reject-mac-failure-no-second-copy',
        'header-mac',
        'the first matching copy unwraps to another data key: the header MAC fails and no further copy is tried',
        'header with two local copies: first one (key file "key_file") wraps another data key, second one ("more_key_files") the right one; MAC under the right one',
        twoCopies,
      ),
      key_file: lib.encodeKeyFile(OTHER_KEK),
      local_kek: hex(OTHER_KEK),
      local_key_id: lib.LocalKeyProvider.fromKey(OTHER_KEK).keyId,
      more_key_files: [lib.encodeKeyFile(KEK)],
      wrapped_keys: [misleading, good].map((k) => ({ provider: k.provider, key_id: k.keyId, blob: hex(k.blob) })),
    },
    {
      ...one.vector,
      name: 'accept-key-file-with-blanks-and-crlf',
      description: 'the "one-byte" file; its key file has spaces and a tab before the line and CRLF and an empty line after it',
      key_file: ` \t${keyFile}\r\n\r\n`,
    },
    fromOne('reject-key-file-noncanonical-base64', 'key-file', 'base64 whose unused low bits are not zero', 'the last base64 character of the key changed so that it decodes to the same 32 bytes', {
      key_file: `${noncanonical}\n`,
    }),
    fromOne('reject-key-file-with-bom', 'key-file', 'a byte-order mark is not ASCII whitespace', 'U+FEFF put before the key line', {
      key_file: `\ufeff${keyFile}\n`,
    }),
    fromOne('reject-key-file-with-nbsp', 'key-file', 'a no-break space is not ASCII whitespace', 'U+00A0 put after the key line', {
      key_file: `${keyFile}\u00a0\n`,
    }),
    (await manifestFile('accept-manifest-dfs', 'a complete DFS set manifest: shards 0..2 in order, then the summary, shardCount 3', manifestJson('dfs'))).vector,
    (
      await manifestFile(
        'accept-manifest-name-252-bytes',
        'an rdb manifest whose file name is 252 bytes, the longest whose .sg file name fits 255 bytes',
        manifestJson('rdb', (x) => {
          source(x).stem = longStem;
          files(x)[0]!.name = `${longStem}.rdb`;
        }),
      )
    ).vector,
    await rejectManifest(
      'reject-manifest-dfs-missing-shard',
      'a DFS manifest listing 2 of its 3 shards',
      manifestJson('dfs', (x) => void files(x).splice(2, 1)),
    ),
    await rejectManifest(
      'reject-manifest-dfs-shard-count-mismatch',
      'shardCount 2 while 3 shards are listed',
      manifestJson('dfs', (x) => void (source(x).shardCount = 2)),
    ),
    await rejectManifest(
      'reject-manifest-dfs-summary-not-last',
      'the summary listed before the shards',
      manifestJson('dfs', (x) => void files(x).unshift(...files(x).splice(3, 1))),
    ),
    await rejectManifest(
      'reject-manifest-rdb-two-files',
      'an rdb set lists exactly one file',
      manifestJson('rdb', (x) => void files(x).push({ ...files(x)[0], name: 'other.rdb' })),
    ),
    await rejectManifest(
      'reject-manifest-duplicate-member',
      'a member name twice in one object',
      manifestJson('rdb', undefined, (t) => t.replace('"size": 1000,', '"size": 1,\n      "size": 1000,')),
    ),
    await rejectManifest(
      'reject-manifest-number-with-fraction',
      'a size written as 1000.0',
      manifestJson('rdb', undefined, (t) => t.replace('"size": 1000,', '"size": 1000.0,')),
    ),
    await rejectManifest(
      'reject-manifest-number-with-exponent',
      'a size written as 1e3',
      manifestJson('rdb', undefined, (t) => t.replace('"size": 1000,', '"size": 1e3,')),
    ),
    await rejectManifest(
      'reject-manifest-unknown-member',
      'a member the format does not define',
      manifestJson('rdb', (x) => void (x.comment = 'extra')),
    ),
    await rejectManifest(
      'reject-manifest-name-control-character',
      'a file name with a control character (U+0007)',
      manifestJson('rdb', (x) => {
        source(x).stem = 'du\u0007mp';
        files(x)[0]!.name = 'du\u0007mp.rdb';
      }),
    ),
    (
      await manifestFile(
        'accept-manifest-v2',
        'a version-2 rdb manifest naming the set sealed before it and the SHA-256 of that set\'s manifest payload',
        manifestJson('rdb', v2(PREVIOUS)),
      )
    ).vector,
    (
      await manifestFile(
        'accept-manifest-v2-first-of-chain',
        'a version-2 rdb manifest of the first set of a chain: previous is null',
        manifestJson('rdb', v2(null)),
      )
    ).vector,
    await rejectManifest(
      'reject-manifest-v2-without-previous',
      'version 2 requires the member previous',
      manifestJson('rdb', (x) => void (x.version = 2)),
    ),
    await rejectManifest(
      'reject-manifest-v1-with-previous',
      'version 1 has no member previous',
      manifestJson('rdb', (x) => void (x.previous = PREVIOUS)),
    ),
    await rejectManifest(
      'reject-manifest-v2-previous-bad-digest',
      'previous.manifestSha256 is 64 lowercase hex digits',
      manifestJson('rdb', v2({ ...PREVIOUS, manifestSha256: PREVIOUS.manifestSha256.toUpperCase() })),
    ),
    await rejectManifest(
      'reject-manifest-v2-previous-names-itself',
      'a set cannot be its own predecessor',
      manifestJson('rdb', v2({ ...PREVIOUS, setId: SET_ID })),
    ),
    await rejectManifest(
      'reject-manifest-name-253-bytes',
      'a file name of 253 bytes (its .sg file name would not fit 255 bytes)',
      manifestJson('rdb', (x) => {
        source(x).stem = `${longStem}d`;
        files(x)[0]!.name = `${longStem}d.rdb`;
      }),
    ),
  ];
}

/** Exact text of a vector's JSON file. */
export function vectorFileText(v: Vector): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}
