/**
 * --s3-verify against Ceph: the ETag the gateway stores for a multipart upload is the one computed from
 * the parts sent (MD5 of the part MD5s, "-N"), so `checksums` proves a committed set without reading it;
 * an object replaced after the upload (by a second client) fails the proof; `read-back` never claims a
 * proof; and `watch --once` seals with either mode and restores byte-identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { ceph, newBucket, type Ceph } from '../helpers/ceph.js';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';
import { IntegrityError } from '../../src/errors.js';
import { openStore } from '../../src/store/open.js';
import type { S3Store } from '../../src/store/s3/s3-store.js';
import type { S3VerifyMode } from '../../src/store/s3/settings.js';

let c: Ceph;
let ws: Workspace;
beforeAll(async () => {
  c = await ceph();
  ws = await workspace();
}, 240_000);
afterAll(async () => {
  await ws?.cleanup();
});

const SET = '20261202T101500.000Z_dump';
const MiB = 1024 * 1024;

async function store(url: string, verify: S3VerifyMode): Promise<S3Store> {
  return (await openStore(url, '--out', {
    endpoint: c.endpoint,
    forcePathStyle: true,
    region: c.env.AWS_REGION,
    instance: 'db',
    partSize: 5 * MiB, // the gateway's smallest part: 12 MiB make three parts
    verify,
  })) as S3Store;
}

async function* bytes(b: Buffer) {
  yield await Promise.resolve(b);
}

/** Publishes a set of one 12 MiB object (three parts) and one small object (a single PutObject). */
async function publishTwo(s: S3Store): Promise<{ big: Buffer; key: string }> {
  const big = randomBytes(12 * MiB);
  const staged = await s.stage(SET);
  await staged.write('big.sg', bytes(big));
  await staged.write('manifest.sgm', bytes(Buffer.from('small')));
  await staged.publish();
  return { big, key: `${await s.publishedRoot(SET)}big.sg` };
}

describe('--s3-verify against Ceph', () => {
  it('checksums: the stored ETags and sizes are the ones computed from what was sent', async () => {
    const bucket = await newBucket(c);
    const s = await store(`s3://${bucket}/p`, 'checksums');
    const { key } = await publishTwo(s);
    const head = await c.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/); // Ceph reports the multipart form
    expect(await s.proveUploaded(SET, ['big.sg', 'manifest.sgm'])).toBe(true);
    await s.close();
  });

  it.each([
    [
      'same size, other bytes',
      (b: Buffer) => Buffer.concat([b.subarray(0, -1), Buffer.from([~b[b.length - 1]! & 0xff])]),
      /ETag/,
    ],
    ['one byte shorter', (b: Buffer) => b.subarray(0, -1), /bytes, 12582912 were sent/],
  ])(
    'checksums: an object replaced by a second client after the upload fails the proof (%s)',
    async (_what, replace, message) => {
      const bucket = await newBucket(c);
      const s = await store(`s3://${bucket}/p`, 'checksums');
      const { big, key } = await publishTwo(s);
      await c.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: replace(big) }));
      const proof = s.proveUploaded(SET, ['big.sg', 'manifest.sgm']);
      await expect(proof).rejects.toThrow(IntegrityError);
      await expect(proof).rejects.toThrow(message);
      await s.close();
    },
  );

  it('read-back: the store never claims a proof (the caller downloads and authenticates the set)', async () => {
    const bucket = await newBucket(c);
    const s = await store(`s3://${bucket}/p`, 'read-back');
    await publishTwo(s);
    expect(await s.proveUploaded(SET, ['big.sg', 'manifest.sgm'])).toBe(false);
    await s.close();
  });

  it('checksums: a file the store did not send in this process is not proven by it', async () => {
    const bucket = await newBucket(c);
    const s = await store(`s3://${bucket}/p`, 'checksums');
    await publishTwo(s);
    expect(await s.proveUploaded(SET, ['big.sg', 'manifest.sgm', 'other.sg'])).toBe(false);
    await s.close();
  });

  it.each(['checksums', 'read-back'])(
    'watch --once --s3-verify %s seals a DFS set and restore brings it back byte-identical',
    async (mode) => {
      const bucket = await newBucket(c);
      const url = `s3://${bucket}/b`;
      const { contents } = await writeDfsSet({
        dir: ws.df,
        stem: 'dump-2026-12-02T10:15:00',
        shards: 2,
        bytesPerShard: 9 * MiB,
      });
      const args = ws.args('--once', '--instance', 'db', '--s3-verify', mode);
      args[args.indexOf('--out') + 1] = url;
      let res = await runCli(['watch', ...args], { env: c.env });
      expect(res.code, res.stderr).toBe(0);
      expect(await readdir(ws.df)).toEqual([]);
      const to = join(ws.root, `restored-${mode}`);
      res = await runCli(['restore', '--from', url, '--latest', '--to', to, '--key-file', ws.keyFile], {
        env: c.env,
      });
      expect(res.code, res.stderr).toBe(0);
      expect(contents.size).toBe(3);
      for (const [n, b] of contents) expect((await readFile(join(to, n))).equals(b), n).toBe(true);
    },
  );

  it('an unknown --s3-verify mode is one line and exit 2', async () => {
    const args = ws.args('--once', '--s3-verify', 'trust-me');
    const res = await runCli(['watch', ...args], { env: c.env });
    expect(res.code).toBe(2);
    expect(res.stderr.toString().trim().split('\n')).toHaveLength(1);
    expect(res.stderr.toString()).toMatch(/--s3-verify/);
  });
});
