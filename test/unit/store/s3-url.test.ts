/** The store registry and bucket URLs (no server needed). */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { S3Store } from '../../../src/store/s3/s3-store.js';
import { parseS3Url, urlSettings } from '../../../src/store/s3/settings.js';
import { BucketLayout } from '../../../src/store/s3/layout.js';

describe('bucket URLs', () => {
  it('splits s3://BUCKET/PREFIX, trimming slashes', () => {
    expect(parseS3Url('s3://my-bucket', '--out')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/', '--out')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my.bucket/a/b/', '--out')).toEqual({ bucket: 'my.bucket', prefix: 'a/b' });
  });

  it('reads per-store settings after "?", and leaves them out of the bucket and prefix', () => {
    const url =
      's3://dr-bucket/copies?region=eu-west-1&endpoint=http://127.0.0.1:9000&path-style=true&profile=dr&object-lock-days=30&object-lock-mode=compliance';
    expect(parseS3Url(url, '--copy-to')).toEqual({ bucket: 'dr-bucket', prefix: 'copies' });
    expect(parseS3Url('s3://b-1?profile=x', '--copy-to')).toEqual({ bucket: 'b-1', prefix: '' });
    expect(urlSettings(url, '--copy-to')).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      profile: 'dr',
      objectLockDays: 30,
      objectLockMode: 'COMPLIANCE',
    });
    expect(urlSettings('s3://b-1/p', '--out')).toEqual({});
  });

  it('refuses an unknown or malformed setting in one line naming the flag (exit 2)', () => {
    const cases: [string, RegExp][] = [
      [
        's3://b-1/p?secret=x',
        /--copy-to s3:\/\/b-1\/p\?secret=x: unknown setting "secret" after "\?"; a bucket URL takes region, endpoint/,
      ],
      ['s3://b-1/p?endpoint=ftp://x', /endpoint=ftp:\/\/x is not an http/],
      ['s3://b-1/p?path-style=yes', /path-style=yes: write true or false/],
      ['s3://b-1/p?object-lock-days=0', /object-lock-days=0: a whole number of days/],
      ['s3://b-1/p?object-lock-mode=strict', /object-lock-mode=strict: write governance or compliance/],
      ['s3://b-1/p?region=', /"region" needs a value/],
    ];
    for (const [url, message] of cases) {
      let err: unknown;
      try {
        urlSettings(url, '--copy-to');
      } catch (e) {
        err = e;
      }
      expect(String(err), url).toMatch(message);
      expect((err as { exitCode?: number }).exitCode, url).toBe(2);
    }
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
    expect((await openStore('s3://bucket-1/prod?profile=dr', '--copy-to')).location).toBe(
      's3://bucket-1/prod',
    );
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
