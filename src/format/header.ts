import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import {
  DATA_KEY_LENGTH,
  FORMAT_VERSION,
  HEADER_MAC_INFO,
  HEADER_MAC_LENGTH,
  MAGIC,
  MAX_FILE_NAME_LENGTH,
  MAX_HEADER_LENGTH,
  MAX_INSTANCE_LENGTH,
  MAX_KEY_ID_LENGTH,
  MAX_PROVIDER_LENGTH,
  MAX_SEGMENT_SIZE,
  MAX_SET_ID_LENGTH,
  MAX_WRAPPED_BLOB_LENGTH,
  MAX_WRAPPED_KEYS,
  MIN_HEADER_LENGTH,
  MIN_SEGMENT_SIZE,
  PREAMBLE_LENGTH,
} from './limits.js';

/** Who encrypted what: bound to the payload, so none of it can be changed without detection. */
export interface EncryptionContext {
  instance: string;
  setId: string;
  /** Name of the plaintext file; the empty string is reserved for the set manifest. */
  fileName: string;
  /** Creation time, Unix milliseconds. */
  createdAtMs: number;
}

/** One copy of the data key, wrapped by one key provider. */
export interface WrappedKey {
  provider: string;
  keyId: string;
  blob: Buffer;
}

export interface Header {
  version: number;
  segmentSize: number;
  context: EncryptionContext;
  wrappedKeys: WrappedKey[];
}

export interface ParsedHeader extends Header {
  /** All header bytes, MAC included; the payload starts right after. */
  raw: Buffer;
  /** Payload associated data: magic ‖ version ‖ the bound fields (docs/FORMAT.md). */
  associatedData: Buffer;
}

/** With the u flag, a well-formed surrogate pair is one code point, so this matches only lone halves. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function checkHeaderFields(h: Header): void {
  const err = (m: string): never => {
    throw new Error(`cannot build header: ${m}`);
  };
  if (h.segmentSize < MIN_SEGMENT_SIZE || h.segmentSize > MAX_SEGMENT_SIZE) err('segment size out of range');
  if (h.wrappedKeys.length < 1 || h.wrappedKeys.length > MAX_WRAPPED_KEYS) err('1..16 wrapped keys needed');
  const c = h.context;
  if (!Number.isSafeInteger(c.createdAtMs) || c.createdAtMs < 0)
    err('creation time must be a whole number ≥ 0');
  // A lone surrogate would be written as U+FFFD, so the decoded header would not say what was bound.
  for (const s of [c.instance, c.setId, c.fileName, ...h.wrappedKeys.flatMap((k) => [k.provider, k.keyId])]) {
    if (LONE_SURROGATE.test(s)) err('text fields must be valid Unicode (lone surrogate found)');
  }
  if (Buffer.byteLength(c.instance) > MAX_INSTANCE_LENGTH) err('instance name too long');
  if (Buffer.byteLength(c.setId) > MAX_SET_ID_LENGTH) err('set id too long');
  if (Buffer.byteLength(c.fileName) > MAX_FILE_NAME_LENGTH) err('file name too long');
  for (const k of h.wrappedKeys) {
    const pl = Buffer.byteLength(k.provider);
    if (pl < 1 || pl > MAX_PROVIDER_LENGTH) err('provider name length');
    if (Buffer.byteLength(k.keyId) > MAX_KEY_ID_LENGTH) err('key id too long');
    if (k.blob.length < 1 || k.blob.length > MAX_WRAPPED_BLOB_LENGTH) err('wrapped key size');
  }
  const twice = duplicateCopy(h.wrappedKeys);
  if (twice) err(`two wrapped copies for ${twice}`);
}

/**
 * "provider:keyId" of a key that has two copies in one header, if any. Two copies for one key can only
 * disagree (or be redundant), so the format allows one per (provider, key id).
 */
function duplicateCopy(keys: { provider: string; keyId: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const k of keys) {
    const id = JSON.stringify([k.provider, k.keyId]);
    if (seen.has(id)) return `${k.provider}:${k.keyId}`;
    seen.add(id);
  }
  return undefined;
}

function boundFields(h: Header): Buffer {
  return new ByteWriter()
    .u32(h.segmentSize)
    .u64(h.context.createdAtMs)
    .str16(h.context.instance)
    .str16(h.context.setId)
    .str16(h.context.fileName)
    .toBuffer();
}

function versionBytes(version: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(version);
  return b;
}

/** The payload's associated data (Tink "associatedData", used as HKDF info). */
export function associatedDataOf(h: Header): Buffer {
  return Buffer.concat([MAGIC, versionBytes(h.version), boundFields(h)]);
}

/** Key of the header MAC: HKDF-SHA256(data key, no salt, "snapshot-guard v1 header mac"). */
export function headerMacKey(dataKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), HEADER_MAC_INFO, 32));
}

function computeMac(dataKey: Uint8Array, headerWithoutMac: Buffer): Buffer {
  const key = headerMacKey(dataKey);
  try {
    return createHmac('sha256', key).update(headerWithoutMac).digest();
  } finally {
    key.fill(0);
  }
}

/** Serialises a header and appends its MAC, computed with a key derived from the data key. */
export function encodeHeader(h: Header, dataKey: Uint8Array): Buffer {
  if (h.version !== FORMAT_VERSION) throw new Error(`cannot build header: only version ${FORMAT_VERSION}`);
  if (dataKey.length !== DATA_KEY_LENGTH) throw new Error('cannot build header: data key must be 32 bytes');
  checkHeaderFields(h);
  const body = new ByteWriter().bytes(boundFields(h)).u8(h.wrappedKeys.length);
  for (const k of h.wrappedKeys) body.str8(k.provider).str16(k.keyId).bytes16(k.blob);
  const length = PREAMBLE_LENGTH + body.size + HEADER_MAC_LENGTH;
  if (length > MAX_HEADER_LENGTH) throw new Error('cannot build header: more than 64 KiB');
  const withoutMac = new ByteWriter()
    .bytes(MAGIC)
    .u16(h.version)
    .u32(length)
    .bytes(body.toBuffer())
    .toBuffer();
  return Buffer.concat([withoutMac, computeMac(dataKey, withoutMac)]);
}

/**
 * Reads the fixed preamble and returns the total header length, so that a caller can read exactly
 * that many bytes. Rejects wrong magic, unknown versions and oversized headers before allocating.
 */
export function headerLengthFromPreamble(preamble: Buffer): number {
  if (preamble.length < PREAMBLE_LENGTH || !preamble.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new IntegrityError('not a snapshot-guard encrypted file (bad magic bytes)');
  }
  const version = preamble.readUInt16BE(8);
  if (version !== FORMAT_VERSION) {
    throw new IntegrityError(
      `unsupported format version ${version} (this snapshot-guard reads version ${FORMAT_VERSION}); use a newer snapshot-guard`,
    );
  }
  const length = preamble.readUInt32BE(10);
  if (length > MAX_HEADER_LENGTH) {
    throw new IntegrityError(`header length ${length} exceeds the limit of ${MAX_HEADER_LENGTH} bytes`);
  }
  if (length < MIN_HEADER_LENGTH) {
    throw new IntegrityError(`header length ${length} is too small (at least ${MIN_HEADER_LENGTH})`);
  }
  return length;
}

/** Parses a complete header. Its MAC is not checked here: that needs the data key (verifyHeaderMac). */
export function decodeHeader(raw: Buffer): ParsedHeader {
  const length = headerLengthFromPreamble(raw);
  if (raw.length !== length) throw new IntegrityError('header is truncated');
  const r = new ByteReader(raw.subarray(0, length - HEADER_MAC_LENGTH), 'header');
  r.bytes(PREAMBLE_LENGTH, 'preamble');
  const version = FORMAT_VERSION;
  const segmentSize = r.u32('segment size');
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new IntegrityError(`header is corrupt: segment size ${segmentSize} out of range`);
  }
  const createdAtMs = r.u64('created at');
  const instance = r.str16('instance', 0, MAX_INSTANCE_LENGTH);
  const setId = r.str16('set id', 0, MAX_SET_ID_LENGTH);
  const fileName = r.str16('file name', 0, MAX_FILE_NAME_LENGTH);
  const boundEnd = r.offset;
  const count = r.u8('wrapped key count');
  if (count < 1 || count > MAX_WRAPPED_KEYS) {
    throw new IntegrityError(`header is corrupt: ${count} wrapped keys (allowed 1..${MAX_WRAPPED_KEYS})`);
  }
  const wrappedKeys: WrappedKey[] = [];
  for (let i = 0; i < count; i++) {
    const provider = r.str8('provider', 1, MAX_PROVIDER_LENGTH);
    const keyId = r.str16('key id', 0, MAX_KEY_ID_LENGTH);
    const blob = Buffer.from(r.bytes16('wrapped key', 1, MAX_WRAPPED_BLOB_LENGTH));
    wrappedKeys.push({ provider, keyId, blob });
  }
  if (r.remaining !== 0) throw new IntegrityError('header is corrupt: unexpected bytes before the MAC');
  const twice = duplicateCopy(wrappedKeys);
  if (twice) throw new IntegrityError(`header is corrupt: two wrapped copies for ${twice}`);
  const associatedData = Buffer.concat([raw.subarray(0, 10), raw.subarray(PREAMBLE_LENGTH, boundEnd)]);
  return {
    version,
    segmentSize,
    context: { instance, setId, fileName, createdAtMs },
    wrappedKeys,
    raw: Buffer.from(raw),
    associatedData,
  };
}

/** Checks the header MAC; this also proves the data key is the one the file was written with. */
export function verifyHeaderMac(h: ParsedHeader, dataKey: Uint8Array): void {
  const cut = h.raw.length - HEADER_MAC_LENGTH;
  const expected = computeMac(dataKey, h.raw.subarray(0, cut));
  if (!timingSafeEqual(expected, h.raw.subarray(cut))) {
    throw new IntegrityError(
      'header authentication failed: the header was modified, or the data key does not belong to this file',
    );
  }
}

/** Same header with other wrapped keys (rewrap): the bound fields and so the payload stay valid. */
export function replaceWrappedKeys(h: ParsedHeader, wrappedKeys: WrappedKey[], dataKey: Uint8Array): Buffer {
  verifyHeaderMac(h, dataKey);
  return encodeHeader(
    { version: h.version, segmentSize: h.segmentSize, context: h.context, wrappedKeys },
    dataKey,
  );
}
