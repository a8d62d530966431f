/**
 * The endpoint named in S3 error lines: the one the client really talks to, whether it came from
 * --s3-endpoint or from the SDK's environment variables, so "the S3 endpoint X stopped answering"
 * names a URL an operator can check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { endpointOf, makeS3Client } from '../../../src/store/s3/client.js';

const saved = { s3: process.env.AWS_ENDPOINT_URL_S3, any: process.env.AWS_ENDPOINT_URL };
afterEach(() => {
  for (const [k, v] of [
    ['AWS_ENDPOINT_URL_S3', saved.s3],
    ['AWS_ENDPOINT_URL', saved.any],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

describe('endpointOf', () => {
  it('names --s3-endpoint, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else AWS', async () => {
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL;
    const region = 'eu-west-1';
    expect(await endpointOf(makeS3Client({ region, endpoint: 'http://127.0.0.1:9000' }))).toBe(
      'http://127.0.0.1:9000',
    );
    expect(await endpointOf(makeS3Client({ region }))).toBe('of AWS for region eu-west-1');
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:7001';
    expect(await endpointOf(makeS3Client({ region }))).toBe('http://127.0.0.1:7001');
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:7002';
    expect(await endpointOf(makeS3Client({ region }))).toBe('http://127.0.0.1:7002');
  });
});
