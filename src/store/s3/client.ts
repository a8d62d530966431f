/**
 * The S3 client: credentials from the SDK's default chain (environment, shared profile, web identity /
 * IRSA, instance role), region and endpoint from the settings or the SDK's standard environment.
 * Flexible checksums only when an operation requires them: several S3-compatible servers reject the
 * SDK's default checksums on streamed bodies; every upload carries Content-MD5 instead, which the
 * server verifies.
 *
 * A body that carries Content-MD5 is sent with `x-amz-content-sha256: UNSIGNED-PAYLOAD`: the signature
 * covers the Content-MD5 header and the server refuses a body that does not match it, so the SDK's own
 * SHA-256 of every part (a second full pass over the data on the main thread) adds nothing.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from './settings.js';

const SHA256_HEADER = 'x-amz-content-sha256';

/** Marks a request whose body is bound by a signed Content-MD5 as UNSIGNED-PAYLOAD (before signing). */
const md5BoundPayload =
  <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
  (args: A): Promise<R> => {
    const req = args.request as { headers?: Record<string, string> };
    const h = req.headers;
    if (h && Object.keys(h).some((k) => k.toLowerCase() === 'content-md5'))
      h[SHA256_HEADER] = 'UNSIGNED-PAYLOAD';
    return next(args);
  };

/** The default of --s3-timeout. */
export const DEFAULT_S3_TIMEOUT_MS = 60_000;

/**
 * Without a timeout the SDK waits forever for a server that accepted the connection and went silent
 * (a Ceph cluster whose OSDs are full blocks writes instead of refusing them; a dropped route): a seal,
 * or `watch --once`, would hang with its plaintext in place. The socket timeout counts silence, not
 * duration, so a long transfer that keeps moving is never cut. A TimeoutError is retried by the SDK.
 */
function requestHandler(timeoutMs: number): { connectionTimeout: number; socketTimeout: number } {
  // The SDK builds its NodeHttpHandler from these options.
  return { connectionTimeout: Math.min(timeoutMs, 10_000), socketTimeout: timeoutMs };
}

export function makeS3Client(s: S3Settings): S3Client {
  const client = new S3Client({
    requestHandler: requestHandler(s.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS),
    ...(s.region ? { region: s.region } : {}),
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.profile ? { profile: s.profile } : {}),
    forcePathStyle: s.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
  client.middlewareStack.add(md5BoundPayload, { step: 'build', name: 'md5BoundPayload', priority: 'low' });
  return client;
}

/**
 * The endpoint the client talks to, for messages ("the S3 endpoint X …"): --s3-endpoint, else the
 * environment variables the SDK reads itself (its config does not show them), else AWS's own.
 */
export async function endpointOf(client: S3Client): Promise<string> {
  try {
    const ep = await client.config.endpoint?.();
    if (ep) return `${ep.protocol}//${ep.hostname}${ep.port ? `:${ep.port}` : ''}`;
  } catch {
    // no explicit endpoint
  }
  const fromEnv = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  if (fromEnv) return fromEnv;
  const region = await client.config.region().catch(() => undefined);
  return region ? `of AWS for region ${region}` : 'of AWS';
}
