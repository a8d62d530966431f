/**
 * `--s3-verify checksums`: proving a committed set from what the server verified while storing it,
 * without downloading it. Every part was sent with a signed Content-MD5 that the server checked before
 * storing it; here each committed object's current ETag must equal the one computed from those MD5s
 * (multipart: MD5 of the part MD5s, "-N") and its size the number of bytes sent. Together: the object
 * the bucket serves now is made of exactly the parts that were sent, each byte-for-byte as sent.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { IntegrityError } from '../../errors.js';
import { mapLimit } from '../../util/map-limit.js';
import type { Bucket } from './bucket.js';
import { normalEtag, type SentObject } from './etag.js';

/** HEAD requests in flight at once. */
const HEADS_IN_FLIGHT = 8;

/** One object's stored state against what was sent; the error says what differs. */
export function compareStored(
  what: string,
  sent: SentObject,
  stored: { size: number | undefined; etag: string | undefined },
): IntegrityError | undefined {
  if (stored.size !== sent.size)
    return new IntegrityError(
      `${what}: the bucket holds ${stored.size ?? '?'} bytes, ${sent.size} were sent`,
    );
  if (normalEtag(stored.etag) !== sent.etag)
    return new IntegrityError(
      `${what}: stored with ETag ${normalEtag(stored.etag) || 'none'}, not ${sent.etag} computed from what was sent (object replaced or damaged?)`,
    );
  return undefined;
}

/**
 * Checks every object named in `sent` under `root`. Returns false (nothing proven: read it back
 * instead) when the server encrypts with KMS or customer keys, whose ETags are not MD5s of the data.
 */
export async function proveBySentChecksums(
  bucket: Bucket,
  setId: string,
  root: string,
  sent: ReadonlyMap<string, SentObject>,
): Promise<boolean> {
  const results = await mapLimit([...sent], HEADS_IN_FLIGHT, async ([name, object]) => {
    const head = await bucket.call(`checking ${name}`, () =>
      bucket.client.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: `${root}${name}` })),
    );
    const sse = head.ServerSideEncryption ?? '';
    if (sse.startsWith('aws:kms') || head.SSECustomerAlgorithm) return false;
    const failed = compareStored(bucket.where(setId, name), object, {
      size: head.ContentLength,
      etag: head.ETag,
    });
    if (failed) throw failed;
    return true;
  });
  return results.every(Boolean);
}
