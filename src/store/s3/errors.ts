/** Turning S3 failures a user can fix into one line naming the store and what to do. */
import { UserError, errnoCode, errorMessage } from '../../errors.js';
import { StoreError } from '../errors.js';

const DENIED = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'Forbidden',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
]);

export function s3ErrorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** True when the S3 error says the object (or its retention) forbids the delete: Object Lock. */
export function isObjectLocked(err: unknown): boolean {
  return httpStatus(err) === 403 && /lock|retention|WORM/i.test(errorMessage(err));
}

/** Maps a failed S3 call to a UserError when the operator can fix it; other errors pass unchanged. */
export function storeError(err: unknown, location: string, endpoint: string, action: string): unknown {
  if (err instanceof UserError) return err;
  const name = s3ErrorName(err);
  const code = errnoCode(err) ?? errnoCode((err as { cause?: unknown } | undefined)?.cause);
  // HeadBucket answers a missing bucket with a bare 404.
  if (name === 'NoSuchBucket' || (name === 'NotFound' && action === 'checking the bucket')) {
    return new StoreError(
      `${location}: the bucket does not exist (at the S3 endpoint ${endpoint}); create it (docs/OBJECT-STORAGE.md) or fix the URL`,
      { cause: err },
    );
  }
  if (name === 'CredentialsProviderError') {
    return new StoreError(
      `${location}: no S3 credentials found; set them in the environment or AWS_PROFILE, or give the host a role (IRSA, instance profile)`,
      { cause: err },
    );
  }
  if (DENIED.has(name) || (httpStatus(err) === 403 && !isObjectLocked(err))) {
    return new StoreError(
      `${location}: access denied while ${action} (${name || 'HTTP 403'}); check the S3 credentials and that their policy allows it (docs/OBJECT-STORAGE.md)`,
      { cause: err },
    );
  }
  if (name === 'TimeoutError') {
    return new StoreError(
      `${location}: the S3 endpoint ${endpoint} stopped answering while ${action} (no byte within --s3-timeout, 4 tries); the server may be stalled (a Ceph cluster with full OSDs blocks writes) or the network drops packets: check the server's health, or raise --s3-timeout`,
      { cause: err },
    );
  }
  if (code && UNREACHABLE.has(code)) {
    return new StoreError(
      `${location}: cannot reach the S3 endpoint ${endpoint} (${code ?? name}); check --s3-endpoint / AWS_ENDPOINT_URL_S3 and the network`,
      { cause: err },
    );
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return new StoreError(
      `${location}: the bucket is in another region (${name}); set --s3-region or AWS_REGION`,
      { cause: err },
    );
  }
  if (httpStatus(err) !== undefined) {
    return new StoreError(
      `${location}: S3 error while ${action}: ${name} (HTTP ${httpStatus(err)}): ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return err;
}
