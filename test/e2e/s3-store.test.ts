/**
 * The bucket store's publish and delete rules against Ceph: a second writer's commit of the same set id
 * is refused (412 where the server enforces If-None-Match, first version wins where it does not);
 * Object Lock retention on every object; deleting a locked object fails and retention skips the set
 * with a report; versioned buckets list current versions only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { runCli } from '../helpers/cli.js';
import { Daemon } from '../helpers/daemon.js';
import { ceph, newBucket, type Ceph } from '../helpers/ceph.js';
import { allKeys, s3Store } from '../helpers/ceph-sets.js';
import { writeRdbFile } from '../helpers/dfs-writer.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';
import { applyRetention } from '../../src/seal/retention.js';
import { noopStoreObserver } from '../../src/observe/store-observer.js';
import { openStore } from '../../src/store/open.js';
import { SetLockedError } from '../../src/store/errors.js';
import { me } from '../../src/io/lock-file.js';
import type { S3Store } from '../../src/store/s3/s3-store.js';

let c: Ceph;
let ws: Workspace;
beforeAll(async () => {
  c = await ceph();
  ws = await workspace();
}, 240_000);
afterAll(async () => {
  await ws?.cleanup();
});

async function* bytes(b: Buffer) {
  yield await Promise.resolve(b);
}

const SET = '20261123T174005.123Z_dump';

/** Stages a one-file set in `store` and returns it, ready to publish. */
async function staged(store: S3Store, content: string) {
  const s = await store.stage(SET);
  await s.write('manifest.sgm', bytes(Buffer.from(content)));
  return s;
}

describe('S3Store against Ceph', () => {
  it.each([
    ['a plain bucket (If-None-Match: * → 412)', { versioned: false }],
    ['a versioned bucket (first commit version wins)', { versioned: true }],
  ])("a second writer's commit of the same set id is refused: %s", async (_what, opts) => {
    const bucket = await newBucket(c, opts);
    const url = `s3://${bucket}/p`;
    const first = s3Store(c, url, 'db');
    const second = s3Store(c, url, 'db');
    const a = await staged(first, 'first writer');
    const b = await staged(second, 'second writer');
    await a.publish();
    await expect(b.publish()).rejects.toThrow(/a set of this id is already committed \(another writer/);
    await b.abort();
    // Readers see the first writer's set, whatever the second did.
    const reader = s3Store(c, url);
    expect(await reader.listSets()).toEqual([SET]);
    const chunks: Buffer[] = [];
    for await (const ch of reader.read(SET, 'manifest.sgm')) chunks.push(ch);
    expect(Buffer.concat(chunks).toString()).toBe('first writer');
    for (const s of [first, second, reader]) await s.close();
  });

  it.each([
    ['a plain bucket', { versioned: false }],
    ['a versioned bucket', { versioned: true }],
  ])(
    'one writer per instance: the lock object refuses a second holder until released (%s)',
    async (_w, opts) => {
      const bucket = await newBucket(c, opts);
      const url = `s3://${bucket}/l`;
      const a = s3Store(c, url, 'db');
      const b = s3Store(c, url, 'db');
      const lock = await a.lockForWriting('watch');
      await expect(b.lockForWriting('watch')).rejects.toThrow(
        new RegExp(
          `s3://${bucket}/l \\(instance db\\) is in use by another snapshot-guard \\(watch, pid ${process.pid}`,
        ),
      );
      // Another instance in the same bucket has its own lock.
      const other = s3Store(c, url, 'db-2');
      await (await other.lockForWriting('watch')).release();
      await lock.release();
      await (await b.lockForWriting('watch')).release();
      expect((await allKeys(c, bucket)).filter((k) => k.endsWith('writer.lock'))).toEqual([]);
      for (const s of [a, b, other]) await s.close();
    },
  );

  it('a lock object this process left when taking the lock failed midway is taken over by it; one it holds is not', async () => {
    // A --copy-to target whose gateway went down between writing the lock and handing it out left the
    // object behind, naming this very process: its retries must not find itself "in use by another".
    const bucket = await newBucket(c, { versioned: true });
    const url = `s3://${bucket}/l`;
    const a = s3Store(c, url, 'db');
    const b = s3Store(c, url, 'db');
    const held = await a.lockForWriting('watch --copy-to');
    const [key] = (await allKeys(c, bucket)).filter((k) => k.endsWith('writer.lock'));
    await expect(b.lockForWriting('watch --copy-to')).rejects.toThrow(/is in use by another snapshot-guard/);
    await held.release();
    await b.putObject(key!, Buffer.from(`${JSON.stringify(me('watch --copy-to'))}\n`), undefined);
    const taken = await b.lockForWriting('watch --copy-to');
    await expect(a.lockForWriting('watch --copy-to')).rejects.toThrow(/is in use by another snapshot-guard/);
    await taken.release();
    expect((await allKeys(c, bucket)).filter((k) => k.endsWith('writer.lock'))).toEqual([]);
    for (const s of [a, b]) await s.close();
  });

  it('a second watch on the same bucket and instance exits naming the holder; a killed holder is taken over', async () => {
    const bucket = await newBucket(c);
    const url = `s3://${bucket}/w`;
    const args = (...extra: string[]) => {
      const a = ws.args('--instance', 'db', ...extra);
      a[a.indexOf('--out') + 1] = url;
      return a;
    };
    const first = Daemon.start(args(), c.env);
    try {
      await first.waitFor((l) => l.msg === 'watching for finished snapshots', 60_000);
      const second = await runCli(['watch', ...args('--once')], { env: c.env });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `${url} (instance db) is in use by another snapshot-guard (watch, pid ${first.child.pid}`,
      );
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await first.kill('SIGKILL');
    }
    // The holder is gone (same host, its pid no longer runs): the next watch takes the lock over.
    const next = await runCli(['watch', ...args('--once')], { env: c.env });
    expect(next.code, next.stderr).toBe(0);
  });

  it('Object Lock: every object carries retention, deleting a locked object fails, retention skips and reports', async () => {
    const bucket = await newBucket(c, { lock: true });
    const url = `s3://${bucket}/locked`;
    const args = (...extra: string[]) => {
      const a = ws.args(
        '--instance',
        'db',
        '--object-lock-days',
        '1',
        '--object-lock-mode',
        'governance',
        ...extra,
      );
      a[a.indexOf('--out') + 1] = url;
      return a;
    };
    // Two sets, sealed one after the other; the second run's retention (--keep-last 1) meets the first.
    await writeRdbFile(ws.df, 'one.rdb', 100_000);
    let res = await runCli(['watch', ...args('--once', '--keep-last', '1')], { env: c.env });
    expect(res.code, res.stderr).toBe(0);
    await writeRdbFile(ws.df, 'two.rdb', 100_000);
    res = await runCli(['watch', ...args('--once', '--keep-last', '1')], { env: c.env });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toContain('retention skipped a set under Object Lock');

    const store = s3Store(c, url, 'db');
    const ids = await store.listSets();
    expect(ids).toHaveLength(2); // the locked set is still there

    // Every object of a set (except the informational status.json) has retention a day out.
    for (const key of (await allKeys(c, bucket)).filter((k) => !k.endsWith('status.json'))) {
      const head = await c.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ObjectLockMode, key).toBe('GOVERNANCE');
      expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    }

    // Deleting a locked object version fails on the server.
    const key = (await allKeys(c, bucket)).find((k) => k.endsWith('.sg'))!;
    const versions = await c.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    const vid = versions.Versions![0]!.VersionId!;
    await expect(
      c.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: vid })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });

    // removeSet throws the distinct error; retention returns it in its report and removes nothing.
    await expect(store.removeSet(ids[1]!)).rejects.toBeInstanceOf(SetLockedError);
    const warned: string[] = [];
    const report = await applyRetention(store, { keepLast: 1 }, Date.now(), {
      warn: (_o, msg) => warned.push(msg),
    });
    expect(report.removed).toEqual([]);
    expect(report.locked?.map((l) => l.setId)).toEqual([ids[1]]);
    expect(warned).toEqual(['retention skipped a set under Object Lock']);
    expect(await store.listSets()).toEqual(ids);
    await store.close();

    // The skip reaches the metrics (snapshot_guard_object_lock_skips_total) with the store's URL.
    const skipped: string[] = [];
    const observed = await openStore(url, '--out', {
      endpoint: c.endpoint,
      forcePathStyle: true,
      region: c.env.AWS_REGION,
      instance: 'db',
      observer: { ...noopStoreObserver, objectLockSkip: (where) => skipped.push(where) },
    });
    await applyRetention(observed, { keepLast: 1 });
    expect(skipped).toEqual([url]);
    await observed.close();
  });

  it('a versioned bucket lists current versions only: a removed set is gone with all its versions, a set sealed again is new', async () => {
    const bucket = await newBucket(c, { versioned: true });
    const url = `s3://${bucket}/v`;
    const store = s3Store(c, url, 'db');
    await (await staged(store, 'v1')).publish();
    expect(await store.listSets()).toEqual([SET]);
    await store.removeSet(SET);
    expect(await store.listSets()).toEqual([]);
    // Nothing left, not even old versions (removeSet deletes by version).
    const left = await c.client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
    // A set staged again after removal is a new set.
    await (await staged(store, 'v2')).publish();
    const fresh = s3Store(c, url);
    const chunks: Buffer[] = [];
    for await (const ch of fresh.read(SET, 'manifest.sgm')) chunks.push(ch);
    expect(Buffer.concat(chunks).toString()).toBe('v2');
    await fresh.close();
    await store.close();
  });

  it('streams a large file as parts with bounded memory (part size × (parts in flight + 1)) and reads it back', async () => {
    const bucket = await newBucket(c);
    const store = s3Store(c, `s3://${bucket}/big`, 'db');
    let inFlight = 0;
    let maxInFlight = 0;
    let acked = 0;
    let produced = 0;
    let maxAhead = 0;
    // Observes the real requests (no mock): how many parts are in flight, how many bytes the server has.
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'UploadPartCommand') return next(args);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
          acked += (args.input as { ContentLength: number }).ContentLength;
        }
      },
      { step: 'initialize' },
    );
    const MiB = 1024 * 1024;
    const hash = createHash('sha256');
    async function* source() {
      for (let i = 0; i < 56; i++) {
        const chunk = Buffer.alloc(MiB, i);
        hash.update(chunk);
        produced += chunk.length;
        maxAhead = Math.max(maxAhead, produced - acked);
        yield await Promise.resolve(chunk);
      }
    }
    const s = await store.stage(SET);
    expect(await s.write('big.sg', source())).toBe(56 * MiB);
    await s.publish();
    expect(maxInFlight).toBeLessThanOrEqual(store.partConcurrency);
    expect(maxAhead).toBeLessThanOrEqual(store.partSize * (store.partConcurrency + 1) + MiB);
    const back = createHash('sha256');
    for await (const ch of store.read(SET, 'big.sg')) back.update(ch);
    expect(back.digest('hex')).toBe(hash.digest('hex'));
    // A ranged read from the middle.
    const tail: Buffer[] = [];
    for await (const ch of store.read(SET, 'big.sg', 55 * MiB)) tail.push(ch);
    expect(Buffer.concat(tail).equals(Buffer.alloc(MiB, 55))).toBe(true);
    await store.close();
  });

  it('uploads carry Content-MD5: the server refuses a part whose bytes do not match', async () => {
    const bucket = await newBucket(c);
    const body = Buffer.from('payload');
    const wrong = createHash('md5').update('other').digest('base64');
    await expect(
      c.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body, ContentMD5: wrong })),
    ).rejects.toMatchObject({ name: 'BadDigest' });
  });

  it('discardUnpublished removes uncommitted attempts and keeps committed ones', async () => {
    const bucket = await newBucket(c);
    const url = `s3://${bucket}/d`;
    const store = s3Store(c, url, 'db');
    await (await staged(store, 'kept')).publish();
    const orphan = await store.stage('20261123T180000.000Z_dump');
    await orphan.write('a.sg', bytes(Buffer.alloc(1000)));
    // never published: a crash
    expect((await allKeys(c, bucket)).some((k) => k.includes('20261123T180000.000Z_dump/'))).toBe(true);
    await store.discardUnpublished();
    const keys = await allKeys(c, bucket);
    expect(keys.some((k) => k.includes('20261123T180000.000Z_dump/'))).toBe(false);
    expect(keys.filter((k) => k.includes(SET))).toHaveLength(2); // commit + manifest
    await store.close();
  });
});
