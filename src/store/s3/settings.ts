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
  /** A profile of the shared AWS config and credentials files (a `?profile=` on the URL). */
  profile?: string;
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

/** Parses `s3://BUCKET/PREFIX[?SETTINGS]` (`flag` names the option in messages); see urlSettings. */
export function parseS3Url(url: string, flag: string): BucketLocation {
  const m = /^s3:\/\/([^/?]*)\/?([^?]*)/.exec(url);
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

/** What a bucket URL may set for itself, after `?` (`s3://B/P?region=…&profile=…`). */
const URL_SETTINGS = [
  'region',
  'endpoint',
  'path-style',
  'profile',
  'object-lock-days',
  'object-lock-mode',
] as const;

/**
 * The settings a bucket URL carries after `?`: they override the command's S3 settings for this store
 * only, so each `--copy-to` target can live in another region, account or S3-compatible service.
 * Credentials are never written in a URL: `profile` names a profile of the shared AWS files.
 */
export function urlSettings(url: string, flag: string): Partial<S3Settings> {
  const q = url.indexOf('?');
  if (q < 0) return {};
  const bad = (what: string): never => {
    throw new UserError(`${flag} ${url}: ${what}`, 2);
  };
  const out: Partial<S3Settings> = {};
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
    if (!(URL_SETTINGS as readonly string[]).includes(key))
      bad(`unknown setting "${key}" after "?"; a bucket URL takes ${URL_SETTINGS.join(', ')}`);
    if (value === '') bad(`"${key}" needs a value`);
    if (key === 'region') out.region = value;
    else if (key === 'profile') out.profile = value;
    else if (key === 'endpoint') {
      if (!/^https?:\/\/[^/?#]+/.test(value)) bad(`endpoint=${value} is not an http:// or https:// URL`);
      out.endpoint = value;
    } else if (key === 'path-style') {
      if (value !== 'true' && value !== 'false') bad(`path-style=${value}: write true or false`);
      out.forcePathStyle = value === 'true';
    } else if (key === 'object-lock-days') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > 36_500)
        bad(`object-lock-days=${value}: a whole number of days, 1 to 36500`);
      out.objectLockDays = n;
    } else {
      if (value !== 'governance' && value !== 'compliance')
        bad(`object-lock-mode=${value}: write governance or compliance`);
      out.objectLockMode = value.toUpperCase() as ObjectLockMode;
    }
  }
  return out;
}
