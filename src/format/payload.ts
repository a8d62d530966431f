/**
 * Tink's AES-GCM-HKDF streaming AEAD (AES-256, HKDF-SHA256), exactly as docs/FORMAT.md "Payload" states.
 * Pure: works on async iterables of bytes, knows nothing of files.
 */
import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { PullReader, splitTail } from './chunks.js';
import {
  AS_GIVEN,
  checkSegmentTag,
  decryptSegment,
  encryptSegment,
  geometryForPayload,
  geometryForPlaintext,
  type SegmentKey,
} from './segments.js';
import {
  DATA_KEY_LENGTH,
  MAX_SEGMENTS,
  NONCE_PREFIX_LENGTH,
  SALT_LENGTH,
  STREAM_HEADER_LENGTH,
  TAG_LENGTH,
} from './limits.js';

export interface PayloadParams {
  dataKey: Uint8Array;
  /** Bound fields of the file header; HKDF info of the file key. */
  associatedData: Uint8Array;
  /** Ciphertext segment size (Tink's ciphertextSegmentSize). */
  segmentSize: number;
}

/** Fixed randomness, for known-answer test vectors only. */
export interface PayloadRandomness {
  salt: Uint8Array;
  noncePrefix: Uint8Array;
}

export function deriveFileKey(dataKey: Uint8Array, salt: Uint8Array, associatedData: Uint8Array): Buffer {
  if (dataKey.length !== DATA_KEY_LENGTH) throw new Error('data key must be 32 bytes');
  return Buffer.from(hkdfSync('sha256', dataKey, salt, associatedData, DATA_KEY_LENGTH));
}

/** Plaintext bytes carried by segment `index`. */
export function plaintextSegmentLength(segmentSize: number, index: number): number {
  return segmentSize - TAG_LENGTH - (index === 0 ? STREAM_HEADER_LENGTH : 0);
}

/** Ciphertext bytes of a payload for a plaintext of `size` bytes (for listings and checks). */
export function payloadLengthFor(size: number, segmentSize: number): number {
  return geometryForPlaintext(size, segmentSize).payloadSize;
}

/** Plaintext size of a payload of `length` bytes, or undefined if no plaintext gives that length. */
export function plaintextLengthFor(length: number, segmentSize: number): number | undefined {
  return geometryForPayload(length, segmentSize)?.plaintextSize;
}

/** A fresh payload key: the stream header to write first, and the key and nonce prefix of its segments. */
export function newPayloadKey(
  params: Omit<PayloadParams, 'segmentSize'>,
  randomness?: PayloadRandomness,
): { streamHeader: Buffer; segmentKey: SegmentKey } {
  const salt = Buffer.from(randomness?.salt ?? randomBytes(SALT_LENGTH));
  const prefix = Buffer.from(randomness?.noncePrefix ?? randomBytes(NONCE_PREFIX_LENGTH));
  if (salt.length !== SALT_LENGTH || prefix.length !== NONCE_PREFIX_LENGTH) throw new Error('bad randomness');
  const streamHeader = Buffer.concat([Buffer.from([STREAM_HEADER_LENGTH]), salt, prefix]);
  return { streamHeader, segmentKey: segmentKeyOf(params, salt, prefix) };
}

/** The segment key of an existing payload, from its stream header. */
export function payloadKeyFromStreamHeader(
  streamHeader: Uint8Array,
  params: Omit<PayloadParams, 'segmentSize'>,
  what: string,
): SegmentKey {
  if (streamHeader.length !== STREAM_HEADER_LENGTH || streamHeader[0] !== STREAM_HEADER_LENGTH)
    throw new IntegrityError(`${what}: corrupt payload header`);
  const salt = streamHeader.subarray(1, 1 + SALT_LENGTH);
  return segmentKeyOf(params, salt, Buffer.from(streamHeader.subarray(1 + SALT_LENGTH)));
}

function segmentKeyOf(
  params: Omit<PayloadParams, 'segmentSize'>,
  salt: Uint8Array,
  noncePrefix: Uint8Array,
): SegmentKey {
  const rawKey = deriveFileKey(params.dataKey, salt, params.associatedData);
  // One KeyObject for all segments: creating a cipher from raw bytes re-imports the key every time.
  const key: KeyObject = createSecretKey(rawKey);
  rawKey.fill(0);
  return { key, noncePrefix };
}

/** Encrypts a plaintext stream into a Tink streaming ciphertext (stream header + segments). */
export async function* encryptPayload(
  source: AsyncIterable<Uint8Array>,
  params: PayloadParams,
  randomness?: PayloadRandomness,
): AsyncGenerator<Buffer> {
  const { streamHeader, segmentKey } = newPayloadKey(params, randomness);
  const reader = new PullReader(source);
  try {
    yield streamHeader;
    for (let index = 0; ; index++) {
      if (index >= MAX_SEGMENTS) throw new Error('plaintext too large for one file (2^32 segments)');
      const want = plaintextSegmentLength(params.segmentSize, index);
      // One byte more than a segment tells us whether this segment is the last one.
      const have = await reader.fill(want + 1);
      const last = have <= want;
      yield* encryptSegment(segmentKey, index, last, reader.takeSlices(last ? have : want), AS_GIVEN);
      if (last) return;
    }
  } finally {
    await reader.close();
  }
}

interface Segment {
  key: SegmentKey;
  index: number;
  last: boolean;
  body: Buffer[];
  tag: Buffer;
}

/**
 * The segments of a Tink streaming ciphertext, in order, with the key of their stream: each yielded
 * before the next is read, for the caller to decrypt or check. Throws IntegrityError naming `what` on
 * a missing stream header, a segment shorter than its tag, or too many segments.
 */
async function* segmentsOf(reader: PullReader, params: PayloadParams, what: string): AsyncGenerator<Segment> {
  const fail = (m: string): never => {
    throw new IntegrityError(`${what}: ${m}`);
  };
  if ((await reader.fill(STREAM_HEADER_LENGTH)) < STREAM_HEADER_LENGTH)
    fail('truncated (payload header missing)');
  const key = payloadKeyFromStreamHeader(reader.take(STREAM_HEADER_LENGTH), params, what);
  for (let index = 0; ; index++) {
    if (index >= MAX_SEGMENTS) fail('too many segments');
    const full = params.segmentSize - (index === 0 ? STREAM_HEADER_LENGTH : 0);
    const have = await reader.fill(full + 1);
    const last = have <= full;
    if (have < TAG_LENGTH) fail(`truncated (segment ${index} is shorter than its tag)`);
    const [body, tag] = splitTail(reader.takeSlices(last ? have : full), TAG_LENGTH);
    yield { key, index, last, body, tag };
    if (last) return;
  }
}

/**
 * Decrypts and authenticates a Tink streaming ciphertext. Every yielded chunk belongs to an authenticated
 * segment; the stream as a whole is authentic only when the generator returns without throwing
 * (truncation is detected at the end), so callers must not publish output before that. `piece`: the
 * size of the output buffers (segments.ts, UPDATE_PIECE), for a caller that drops them at once.
 */
export async function* decryptPayload(
  reader: PullReader,
  params: PayloadParams,
  what = 'file',
  piece = AS_GIVEN,
): AsyncGenerator<Buffer> {
  // Released only after decryptSegment checked the segment's tag.
  for await (const s of segmentsOf(reader, params, what))
    yield* decryptSegment(s.key, s.index, s.last, s.body, s.tag, what, piece);
}

/**
 * Authenticates a payload as decryptPayload does, segment by segment, without decrypting it (tags
 * only: checkSegmentTag, a sixth of the cost). Returns the plaintext length. For checks that release
 * nothing: verifying a stored set, reading a sealed copy back.
 */
export async function checkPayload(
  reader: PullReader,
  params: PayloadParams,
  what = 'file',
): Promise<number> {
  let plaintext = 0;
  for await (const s of segmentsOf(reader, params, what)) {
    checkSegmentTag(s.key, s.index, s.last, s.body, s.tag, what);
    plaintext += s.body.reduce((n, b) => n + b.byteLength, 0);
  }
  return plaintext;
}
