/**
 * The store registry: turns what the operator wrote after --out / --from into a Store. A plain path is
 * a local directory; a URL must name a store kind that exists, so `--out s3://…` is never taken for a
 * local folder called "s3:".
 */
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { LocalStore } from './local/local-store.js';
import type { Store } from './store.js';

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

export function isStoreUrl(location: string): boolean {
  return URL_LIKE.test(location);
}

/** Opens the store named by `location` (`flag` names the option in messages). */
export function openStore(location: string, flag: string): Store {
  if (isStoreUrl(location)) {
    const scheme = location.slice(0, location.indexOf(':'));
    throw new UserError(
      `${flag} ${location}: "${scheme}://" stores are not supported; pass a local directory`,
      2,
    );
  }
  return new LocalStore(resolve(location));
}
