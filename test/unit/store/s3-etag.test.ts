/**
 * The ETags --s3-verify checksums expects, from real digests: a single upload's is its MD5; a multipart
 * upload's is the MD5 of the concatenated binary part MD5s and the part count (the value computed here by
 * an independent route over the same bytes); a stored object differing in size or ETag is refused.
 */
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { compareStored } from '../../../src/store/s3/checksum-proof.js';
import { md5Of, multipartEtag, normalEtag, singlePartEtag } from '../../../src/store/s3/etag.js';

const md5hex = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('S3 ETags from what was sent', () => {
  const data = randomBytes(3 * 1024 + 17);
  const parts = [data.subarray(0, 1024), data.subarray(1024, 2048), data.subarray(2048)];

  it('single upload: the MD5 of the body, in hex', () => {
    expect(singlePartEtag(md5Of(data))).toBe(md5hex(data));
  });

  it('multipart: MD5 of the concatenated part MD5s, a dash and the part count', () => {
    const joined = Buffer.from(parts.map((p) => md5hex(p)).join(''), 'hex');
    expect(multipartEtag(parts.map(md5Of))).toBe(`${md5hex(joined)}-3`);
    // Other cuts of the same bytes give another ETag: it pins the parts, not just the bytes.
    expect(multipartEtag([md5Of(data.subarray(0, 2048)), md5Of(data.subarray(2048))])).not.toBe(
      multipartEtag(parts.map(md5Of)),
    );
  });

  it('the header form is compared without quotes and case', () => {
    expect(normalEtag('"ABCDEF-2"')).toBe('abcdef-2');
    expect(normalEtag(undefined)).toBe('');
  });

  describe('compareStored', () => {
    const sent = { size: data.length, etag: multipartEtag(parts.map(md5Of)) };
    it('accepts the object that was sent', () => {
      expect(compareStored('x', sent, { size: data.length, etag: `"${sent.etag}"` })).toBeUndefined();
    });
    it('refuses another size', () => {
      expect(compareStored('x', sent, { size: data.length - 1, etag: `"${sent.etag}"` })?.message).toMatch(
        /holds 3088 bytes, 3089 were sent/,
      );
    });
    it('refuses one changed byte (its part MD5 and so the ETag differ)', () => {
      const changed = Buffer.from(data);
      changed[2050] = (changed[2050] ?? 0) ^ 1;
      const cut = [changed.subarray(0, 1024), changed.subarray(1024, 2048), changed.subarray(2048)];
      const stored = { size: changed.length, etag: `"${multipartEtag(cut.map(md5Of))}"` };
      expect(compareStored('x', sent, stored)?.message).toMatch(
        /stored with ETag .* not .* computed from what was sent/,
      );
    });
    it('refuses a missing ETag', () => {
      expect(compareStored('x', sent, { size: data.length, etag: undefined })).toBeDefined();
    });
  });
});
