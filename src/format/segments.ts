/**
 * Where each segment of a Tink streaming payload lies, and single-segment encryption and decryption
 * (docs/FORMAT.md, "Payload"). Every segment's position follows from its index alone, which is what
 * lets several threads work on one file at once. Pure: no I/O.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { NONCE_PREFIX_LENGTH, STREAM_HEADER_LENGTH, TAG_LENGTH } from './limits.js';

export interface SegmentGeometry {
  segmentSize: number;
  /** Number of segments in the payload. */
  count: number;
  plaintextSize: number;
  /** Payload bytes, stream header included. */
  payloadSize: number;
}

/** The geometry of the payload that a plaintext of `plaintextSize` bytes becomes. */
export function geometryForPlaintext(plaintextSize: number, segmentSize: number): SegmentGeometry {
  const first = segmentSize - STREAM_HEADER_LENGTH - TAG_LENGTH;
  const other = segmentSize - TAG_LENGTH;
  const count = plaintextSize <= first ? 1 : 1 + Math.ceil((plaintextSize - first) / other);
  const payloadSize = STREAM_HEADER_LENGTH + plaintextSize + count * TAG_LENGTH;
  return { segmentSize, count, plaintextSize, payloadSize };
}

/** The geometry of a payload of `payloadSize` bytes, or undefined when no plaintext gives that length. */
export function geometryForPayload(payloadSize: number, segmentSize: number): SegmentGeometry | undefined {
  const body = payloadSize - STREAM_HEADER_LENGTH;
  if (body < TAG_LENGTH) return undefined;
  const firstCt = segmentSize - STREAM_HEADER_LENGTH;
  if (body <= firstCt) return { segmentSize, count: 1, plaintextSize: body - TAG_LENGTH, payloadSize };
  const rest = body - firstCt;
  const tail = rest % segmentSize;
  if (tail !== 0 && tail < TAG_LENGTH) return undefined;
  const count = 1 + Math.floor(rest / segmentSize) + (tail === 0 ? 0 : 1);
  return { segmentSize, count, plaintextSize: body - count * TAG_LENGTH, payloadSize };
}

/** Offset of segment `index`'s plaintext in the whole plaintext (`index` may be `count`: the end). */
export function plaintextOffset(g: SegmentGeometry, index: number): number {
  if (index >= g.count) return g.plaintextSize;
  if (index === 0) return 0;
  return g.segmentSize - STREAM_HEADER_LENGTH - TAG_LENGTH + (index - 1) * (g.segmentSize - TAG_LENGTH);
}

/** Offset of segment `index`'s ciphertext in the payload (`index` may be `count`: the end). */
export function ciphertextOffset(g: SegmentGeometry, index: number): number {
  if (index >= g.count) return g.payloadSize;
  return index === 0 ? STREAM_HEADER_LENGTH : index * g.segmentSize;
}

export function segmentNonce(prefix: Uint8Array, index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.set(prefix, 0);
  n.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
  n[11] = last ? 1 : 0;
  return n;
}

/**
 * Output buffers of node:crypto are fresh allocations; at 64 KiB they come from malloc's free lists
 * and reuse memory the previous ones left, where 1 MiB ones are new mappings whose every page faults
 * in (measured: half the page faults of a 1 GiB encryption). The streaming path passes `AS_GIVEN`:
 * there every extra piece is one more step through its async generators.
 */
export const UPDATE_PIECE = 64 * 1024;
export const AS_GIVEN = Number.POSITIVE_INFINITY;

function update(
  c: { update(data: Uint8Array): Buffer },
  parts: readonly Uint8Array[],
  piece: number,
): Buffer[] {
  const out: Buffer[] = [];
  for (const part of parts) {
    for (let at = 0; at < part.byteLength; at += piece) {
      const o = c.update(piece >= part.byteLength ? part : part.subarray(at, at + piece));
      if (o.length > 0) out.push(o);
    }
  }
  return out;
}

export interface SegmentKey {
  key: KeyObject;
  noncePrefix: Uint8Array;
}

/** Encrypts one segment's plaintext (given in parts); returns its ciphertext and tag as output buffers. */
export function encryptSegment(
  k: SegmentKey,
  index: number,
  last: boolean,
  plaintext: readonly Uint8Array[],
  piece = UPDATE_PIECE,
): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', k.key, segmentNonce(k.noncePrefix, index, last));
  const out = update(cipher, plaintext, piece);
  const fin = cipher.final();
  if (fin.length > 0) out.push(fin);
  out.push(cipher.getAuthTag());
  return out;
}

function authenticationFailed(what: string, index: number): IntegrityError {
  return new IntegrityError(
    `${what}: authentication failed in segment ${index}: the file was modified, truncated or reordered, or the key is wrong`,
  );
}

/**
 * Decrypts and authenticates one segment: its ciphertext (in parts) and its tag. Nothing it returns
 * may be used if it throws.
 */
export function decryptSegment(
  k: SegmentKey,
  index: number,
  last: boolean,
  body: readonly Uint8Array[],
  tag: Uint8Array,
  what: string,
  piece = UPDATE_PIECE,
): Buffer[] {
  const decipher = createDecipheriv('aes-256-gcm', k.key, segmentNonce(k.noncePrefix, index, last));
  decipher.setAuthTag(tag);
  const out = update(decipher, body, piece);
  try {
    const fin = decipher.final();
    if (fin.length > 0) out.push(fin);
  } catch {
    throw authenticationFailed(what, index);
  }
  return out;
}

/** decryptSegment for a segment in one buffer, ciphertext followed by its tag. */
export function decryptWholeSegment(
  k: SegmentKey,
  index: number,
  last: boolean,
  segment: Uint8Array,
  what: string,
): Buffer[] {
  if (segment.byteLength < TAG_LENGTH) throw new IntegrityError(`${what}: truncated (segment ${index})`);
  const cut = segment.byteLength - TAG_LENGTH;
  return decryptSegment(k, index, last, [segment.subarray(0, cut)], segment.subarray(cut), what);
}

/**
 * GF(2^128) product of two blocks as GCM defines it (NIST SP 800-38D, algorithm 1): bit 0 is the most
 * significant bit of the first byte; the field's polynomial is x^128 + x^7 + x^2 + x + 1.
 */
export function gfMultiply(x: bigint, y: bigint): bigint {
  const R = 0xe1n << 120n;
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

const toBigInt = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const toBlock = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(32, '0'), 'hex');

/** Per segment key: H = E(K, 0^128), and the tag adjustment for each ciphertext length seen. */
const tagAdjustments = new WeakMap<KeyObject, { h: bigint; byLength: Map<number, Buffer> }>();

/**
 * What a segment's tag becomes when its ciphertext is authenticated as additional data instead.
 * GCM's tag is E(K, J0) ⊕ GHASH_H(blocks of A and C, then len(A) ‖ len(C)). With the ciphertext passed
 * as A and no C, every block is the same but the last, so the two tags differ by (L ⊕ L')·H.
 */
function adjustmentFor(key: KeyObject, ciphertextLength: number): Buffer {
  let entry = tagAdjustments.get(key);
  if (!entry) {
    const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    entry = { h: toBigInt(ecb.update(Buffer.alloc(16))), byLength: new Map() };
    tagAdjustments.set(key, entry);
  }
  let adjustment = entry.byLength.get(ciphertextLength);
  if (!adjustment) {
    const bits = BigInt(ciphertextLength) * 8n;
    adjustment = toBlock(gfMultiply((bits << 64n) | bits, entry.h));
    entry.byLength.set(ciphertextLength, adjustment); // a file has at most three lengths
  }
  return adjustment;
}

/**
 * Checks one segment (ciphertext followed by its tag) without decrypting it: OpenSSL runs GHASH alone
 * over the ciphertext given as additional data (about a sixth of the cost of decrypting, and no
 * output buffers), against the tag adjusted as above. Accepts exactly what decryptWholeSegment
 * accepts: the adjustment is a fixed bijection of the tag. For checks that want no plaintext (the
 * read-back of a seal, verify).
 */
export function checkSegmentTag(
  k: SegmentKey,
  index: number,
  last: boolean,
  body: readonly Uint8Array[],
  tag: Uint8Array,
  what: string,
): void {
  const length = body.reduce((n, b) => n + b.byteLength, 0);
  const adjusted = Buffer.from(tag);
  const adjustment = adjustmentFor(k.key, length);
  for (let i = 0; i < TAG_LENGTH; i++) adjusted[i] = (adjusted[i] ?? 0) ^ (adjustment[i] ?? 0);
  const decipher = createDecipheriv('aes-256-gcm', k.key, segmentNonce(k.noncePrefix, index, last));
  for (const part of body) decipher.setAAD(part); // GCM takes additional data in several calls
  decipher.setAuthTag(adjusted);
  try {
    decipher.final();
  } catch {
    throw authenticationFailed(what, index);
  }
}

/** checkSegmentTag for a segment in one buffer, ciphertext followed by its tag. */
export function checkWholeSegmentTag(
  k: SegmentKey,
  index: number,
  last: boolean,
  segment: Uint8Array,
  what: string,
): void {
  if (segment.byteLength < TAG_LENGTH) throw new IntegrityError(`${what}: truncated (segment ${index})`);
  const cut = segment.byteLength - TAG_LENGTH;
  checkSegmentTag(k, index, last, [segment.subarray(0, cut)], segment.subarray(cut), what);
}
