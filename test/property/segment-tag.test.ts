/**
 * The tag check without decryption (checkSegmentTag: GHASH over the ciphertext as
 * additional data, against the tag adjusted in GF(2^128)) must accept exactly what decrypting accepts:
 * every genuine segment of any length, and no segment with a changed byte, a changed tag, another
 * index, another "last" flag or another key.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkWholeSegmentTag,
  decryptWholeSegment,
  encryptSegment,
  gfMultiply,
  type SegmentKey,
} from '../../src/format/segments.js';

const keyOf = (bytes: Uint8Array): SegmentKey => ({
  key: createSecretKey(Buffer.from(bytes)),
  noncePrefix: randomBytes(7),
});
const seal = (k: SegmentKey, index: number, last: boolean, plain: Uint8Array) =>
  Buffer.concat(encryptSegment(k, index, last, [plain]));
const accepts = (check: () => unknown): boolean => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

describe('checkSegmentTag', () => {
  it('accepts every genuine segment, of any length, as decryption does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.boolean(),
        (key, plain, index, last) => {
          const k = keyOf(key);
          const segment = seal(k, index, last, plain);
          expect(() => checkWholeSegmentTag(k, index, last, segment, 'x')).not.toThrow();
          expect(Buffer.concat(decryptWholeSegment(k, index, last, segment, 'x')).equals(plain)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a changed byte anywhere, another index, another last flag, another key: like decryption', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (key, plain, where, flip) => {
          const k = keyOf(key);
          const segment = seal(k, 5, false, plain);
          const bad = Buffer.from(segment);
          const at = where % bad.length; // ciphertext or tag
          bad[at] = (bad[at] ?? 0) ^ flip;
          for (const [kk, i, last, s] of [
            [k, 5, false, bad],
            [k, 6, false, segment],
            [k, 5, true, segment],
            [keyOf(randomBytes(32)), 5, false, segment],
          ] as const) {
            expect(accepts(() => checkWholeSegmentTag(kk, i, last, s, 'x'))).toBe(false);
            expect(accepts(() => decryptWholeSegment(kk, i, last, s, 'x'))).toBe(false);
          }
          expect(() => checkWholeSegmentTag(k, 5, false, bad, 'seg.sg')).toThrow(
            /seg.sg: authentication failed in segment 5/,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('multiplies in GF(2^128) as GCM does: identity, commutativity, distributivity', () => {
    // 1 in GCM's bit order is the block 0x80 00 … 00.
    const one = 1n << 127n;
    const block = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    fc.assert(
      fc.property(block, block, block, (a, b, c) => {
        expect(gfMultiply(a, one)).toBe(a);
        expect(gfMultiply(a, b)).toBe(gfMultiply(b, a));
        expect(gfMultiply(a, b ^ c)).toBe(gfMultiply(a, b) ^ gfMultiply(a, c));
      }),
      { numRuns: 200 },
    );
  });
});
