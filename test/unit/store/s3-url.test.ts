/** The store registry and bucket URLs (no server needed). */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { S3Store } from '../../../src/store/s3/s3-store.js';
import { parseS3Url } from '../../../src/store/s3/settings.js';
import { BucketLayout } from '../../../src/store/s3/layout.js';

describe('bucket URLs', () => {
  it('splits s3://BUCKET/PREFIX, trimming slashes', () => {
    expect(parseS3Url('s3://my-bucket', '--out')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/', '--out')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my.bucket/a/b/', '--out')).toEqual({ bucket: 'my.bucket', prefix: 'a/b' });
  });

  it('refuses what is not a bucket, with the flag and exit code 2', () => {
    for (const bad of ['s3://', 's3://UPPER/x', 's3://a/x', 's3://under_score/x']) {
      expect(() => parseS3Url(bad, '--from'), bad).toThrow(/--from .*is not a bucket name/);
    }
    expect(() => parseS3Url('s3://bucket/a/../b', '--out')).toThrow(/"\." or "\.\."/);
  });

  it('the registry opens a bucket for s3://, a directory for a path, and refuses other schemes', async () => {
    expect(await openStore('s3://bucket-1/prod/', '--out', { instance: 'db' })).toBeInstanceOf(S3Store);
    expect((await openStore('s3://bucket-1/prod/', '--out')).location).toBe('s3://bucket-1/prod');
    expect(await openStore('/tmp/x', '--out')).toBeInstanceOf(LocalStore);
    await expect(openStore('gs://bucket/x', '--out')).rejects.toThrow(/"gs:\/\/" stores are not supported/);
  });

  it('keys: sets under PREFIX/INSTANCE/, data under a per-attempt prefix, the commit beside it', () => {
    const l = new BucketLayout('prod');
    expect(l.commitKey('db-1', 'SET')).toBe('prod/db-1/SET.commit');
    expect(l.attemptRoot('db-1', 'SET', 'a1')).toBe('prod/db-1/SET/a1/');
    expect(new BucketLayout('').commitKey('db-1', 'SET')).toBe('db-1/SET.commit');
  });
});
