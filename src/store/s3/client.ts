/**
 * The S3 client: credentials from the SDK's default chain (environment, shared profile, web identity /
 * IRSA, instance role), region and endpoint from the settings or the SDK's standard environment.
 * Flexible checksums only when an operation requires them: several S3-compatible servers reject the
 * SDK's default checksums on streamed bodies; every upload carries Content-MD5 instead, which the
 * server verifies.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from './settings.js';

export function makeS3Client(s: S3Settings): S3Client {
  return new S3Client({
    ...(s.region ? { region: s.region } : {}),
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
}

/** The endpoint the client talks to, for messages. */
export async function endpointOf(client: S3Client): Promise<string> {
  try {
    const ep = await client.config.endpoint?.();
    if (ep) return `${ep.protocol}//${ep.hostname}${ep.port ? `:${ep.port}` : ''}`;
  } catch {
    // no explicit endpoint: the SDK derives AWS's from the region
  }
  return 'the AWS S3 endpoint of the region';
}
