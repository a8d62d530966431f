/**
 * The settings of a bucket store (--out / --from s3://BUCKET/PREFIX) as the store wants them. The
 * flags themselves are in src/config (s3-region, s3-endpoint, s3-force-path-style, s3-timeout, instance,
 * object-lock-days, object-lock-mode, s3-verify); a local directory ignores them.
 */
import type { ObjectLockMode, S3Settings, S3VerifyMode } from '../store/s3/settings.js';

export interface S3SettingsInput {
  s3Region?: string | undefined;
  s3Endpoint?: string | undefined;
  s3ForcePathStyle: boolean;
  s3Timeout?: number | undefined;
  instance?: string | undefined;
  objectLockDays?: number | undefined;
  objectLockMode?: 'governance' | 'compliance';
  s3Verify?: S3VerifyMode;
}

export function s3SettingsFrom(o: S3SettingsInput): S3Settings {
  const s: S3Settings = { forcePathStyle: o.s3ForcePathStyle };
  if (o.s3Region) s.region = o.s3Region;
  if (o.s3Endpoint) s.endpoint = o.s3Endpoint;
  if (o.s3Timeout !== undefined) s.timeoutMs = o.s3Timeout;
  if (o.instance) s.instance = o.instance;
  if (o.s3Verify) s.verify = o.s3Verify;
  if (o.objectLockDays !== undefined) {
    s.objectLockDays = o.objectLockDays;
    s.objectLockMode = (o.objectLockMode ?? 'governance').toUpperCase() as ObjectLockMode;
  }
  return s;
}
