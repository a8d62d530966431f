/**
 * What an S3 store needs besides its URL: where the endpoint is, how to address buckets, which
 * instance's sets to use, and the Object Lock retention to put on every object written.
 */
import { UserError } from '../../errors.js';
import type { StoreObserver } from '../../observe/store-observer.js';

export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** How a sealed set is proven in the bucket before its plaintext goes (docs/SECURITY.md). */
export type S3VerifyMode = 'read-back' | 'checksums';

export interface S3Settings {
  /** --s3-region, else AWS_REGION / the SDK's profile. */
  region?: string;
  /** --s3-endpoint, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (read by the SDK). */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** --s3-timeout: a request whose connection stays silent this long fails (and is retried). */
  timeoutMs?: number;
  /** The instance whose sets are read or written (PREFIX/INSTANCE/…); readers may leave it out. */
  instance?: string;
  objectLockDays?: number;
  objectLockMode?: ObjectLockMode;
  /** Multipart part size and parts in flight per file: memory per file is partSize × (concurrency + 1). */
  partSize?: number;
  partConcurrency?: number;
  /** --s3-verify: checksums (stored ETags and sizes of what was sent) or read-back (download it all). */
  verify?: S3VerifyMode;
  /** Where transfers, errors and Object Lock skips are reported (watch's metrics). */
  observer?: StoreObserver;
}

export interface BucketLocation {
  bucket: string;
  /** Without leading or trailing slashes; '' for the bucket's root. */
  prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://BUCKET/PREFIX` (`flag` names the option in messages). */
export function parseS3Url(url: string, flag: string): BucketLocation {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/.exec(url);
  const bucket = m?.[1] ?? '';
  if (!BUCKET.test(bucket)) {
    throw new UserError(
      `${flag} ${url}: "${bucket}" is not a bucket name; write s3://BUCKET/PREFIX (lower-case letters, digits, dots and dashes)`,
      2,
    );
  }
  const prefix = (m?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((p) => p === '.' || p === '..')) {
    throw new UserError(`${flag} ${url}: the prefix may not contain "." or ".." parts`, 2);
  }
  return { bucket, prefix };
}
