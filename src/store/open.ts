/**
 * The store registry: turns what the operator wrote after --out / --from into a Store. A plain path is
 * a local directory; `s3://BUCKET/PREFIX[?region=…&profile=…]` is a bucket; any other URL must name a
 * store kind that exists, so `--out x://…` is never taken for a local folder called "x:".
 */
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { LocalStore } from './local/local-store.js';
import { parseS3Url, urlSettings, type S3Settings } from './s3/settings.js';
import type { Store } from './store.js';

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

export function isStoreUrl(location: string): boolean {
  return URL_LIKE.test(location);
}

/**
 * Opens the store named by `location` (`flag` names the option in messages). `settings` configure a
 * bucket store (endpoint, region, instance, Object Lock); a local directory ignores them.
 */
export async function openStore(location: string, flag: string, settings: S3Settings = {}): Promise<Store> {
  if (isStoreUrl(location)) {
    const scheme = location.slice(0, location.indexOf(':'));
    if (scheme === 's3') {
      const where = parseS3Url(location, flag);
      const url = `s3://${where.bucket}${where.prefix ? `/${where.prefix}` : ''}`;
      // The AWS SDK (~35 MiB, ~0.1 CPU-s to load) only for a bucket: a local store never needs it.
      const { S3Store } = await import('./s3/s3-store.js');
      return new S3Store(url, where, { ...settings, ...urlSettings(location, flag) });
    }
    throw new UserError(
      `${flag} ${location}: "${scheme}://" stores are not supported; pass a local directory or s3://BUCKET/PREFIX`,
      2,
    );
  }
  return new LocalStore(resolve(location));
}
