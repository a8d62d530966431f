/**
 * The ETag S3 gives an object, computed from what was sent: for a single PutObject the hex MD5 of the
 * body; for a multipart upload the hex MD5 of the concatenated binary MD5s of its parts, a dash and the
 * part count (AWS S3 and Ceph RGW both; checked against the gateway by the tests). An object whose
 * stored ETag and size equal the ones computed here holds exactly the parts the server verified.
 */
import { createHash } from 'node:crypto';

/** What one upload sent: its size and the ETag the stored object must have. */
export interface SentObject {
  size: number;
  etag: string;
}

export const md5Of = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();

export function singlePartEtag(md5: Buffer): string {
  return md5.toString('hex');
}

export function multipartEtag(partMd5s: readonly Buffer[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(m);
  return `${h.digest('hex')}-${partMd5s.length}`;
}

/** The ETag header without its quotes, lower-case (servers differ in both). */
export function normalEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/"/g, '').toLowerCase();
}
