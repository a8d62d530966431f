/**
 * Sealing straight into a Ceph RADOS Gateway bucket and restoring from it: a 4-shard DFS set and a real
 * redis-server dump; `list` shows them; `verify` and `rewrap` work on the bucket; `restore` into an empty
 * directory is byte-identical and redis-server loads the dump with every key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import { runCli } from '../helpers/cli.js';
import { ceph, newBucket, type Ceph } from '../helpers/ceph.js';
import { writeDfsSet, writeRdbFile } from '../helpers/dfs-writer.js';
import { RedisServer, fillRedis, readRedis } from '../helpers/redis-server.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';

let c: Ceph;
let ws: Workspace;
beforeAll(async () => {
  c = await ceph();
  ws = await workspace();
}, 240_000);
afterAll(async () => {
  await ws?.cleanup();
});

/** The workspace's daemon arguments with --out pointing at the bucket. */
function s3Args(url: string, ...extra: string[]): string[] {
  const args = ws.args(...extra);
  args[args.indexOf('--out') + 1] = url;
  return args;
}

describe('sealed sets in a Ceph bucket', () => {
  it('seals a DFS set and a redis dump into the bucket; list and restore bring them back', async () => {
    const bucket = await newBucket(c);
    const url = `s3://${bucket}/backups`;
    const env = c.env;

    // A 4-shard DFS set; 9 MiB shards make multi-part uploads (8 MiB parts).
    const dfs = await writeDfsSet({
      dir: ws.df,
      stem: 'dump-2026-11-23T17:40:00',
      shards: 4,
      bytesPerShard: 9 * 1024 * 1024,
    });
    let res = await runCli(['watch', ...s3Args(url, '--once', '--instance', 'db-1')], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(await readdir(ws.df)).toEqual([]);

    // A real redis-server dump.
    const redis = await RedisServer.start(ws.df);
    let expected: Record<string, unknown>;
    try {
      expected = await fillRedis(redis.client, 2000);
      await redis.bgsave();
    } finally {
      await redis.stop();
    }
    const dump = await readFile(join(ws.df, 'dump.rdb'));
    res = await runCli(['watch', ...s3Args(url, '--once', '--instance', 'db-1')], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(await readdir(ws.df)).toEqual([]);

    // list (no --instance: the prefix holds one instance) shows both, newest first.
    res = await runCli(['list', '--from', url, '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const listed = JSON.parse(res.stdout.toString()) as { setId: string; format: string; instance: string }[];
    expect(listed.map((s) => s.format)).toEqual(['rdb', 'dfs']);
    expect(listed.every((s) => s.instance === 'db-1')).toBe(true);

    // verify authenticates every byte in the bucket.
    res = await runCli(['verify', '--from', url, '--all', '--key-file', ws.keyFile], { env });
    expect(res.code, res.stderr).toBe(0);

    // rewrap in the bucket: the sets now open with a new key alone.
    const key2 = join(ws.root, 'key2');
    expect((await runCli(['keygen', '--out', key2])).code).toBe(0);
    res = await runCli(
      [
        'rewrap',
        '--from',
        url,
        '--key-file',
        ws.keyFile,
        '--to-key',
        `file:${key2}`,
        '--drop-key',
        `file:${ws.keyFile}`,
      ],
      { env },
    );
    expect(res.code, res.stderr).toBe(0);

    // restore the DFS set into an empty directory with the new key: byte-identical.
    const dfsOut = join(ws.root, 'restored-dfs');
    res = await runCli(
      ['restore', '--from', url, '--set', listed[1]!.setId, '--to', dfsOut, '--key-file', key2],
      {
        env,
      },
    );
    expect(res.code, res.stderr).toBe(0);
    for (const [name, bytes] of dfs.contents)
      expect((await readFile(join(dfsOut, name))).equals(bytes), name).toBe(true);

    // restore the newest (the redis dump); redis-server loads it with every key.
    const rdbOut = join(ws.root, 'restored-rdb');
    await mkdir(rdbOut, { mode: 0o700 });
    res = await runCli(['restore', '--from', url, '--latest', '--to', rdbOut, '--key-file', key2], {
      env,
    });
    expect(res.code, res.stderr).toBe(0);
    expect((await readFile(join(rdbOut, 'dump.rdb'))).equals(dump)).toBe(true);
    const loaded = await RedisServer.start(rdbOut);
    try {
      expect(await readRedis(loaded.client, 2000)).toEqual(expected);
    } finally {
      await loaded.stop();
    }

    // Nothing left half-uploaded.
    const uploads = await c.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('without --instance, watch seals under the host name, as documented', async () => {
    const bucket = await newBucket(c);
    const url = `s3://${bucket}/noinstance`;
    const data = await writeRdbFile(ws.df, 'dump.rdb', 50_000);
    const res = await runCli(['watch', ...s3Args(url, '--once')], { env: c.env });
    expect(res.code, res.stderr).toBe(0);
    expect(await readdir(ws.df)).toEqual([]);
    const listed = await c.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'noinstance/', Delimiter: '/' }),
    );
    expect((listed.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual([`noinstance/${hostname()}/`]);
    // A reader finds the only instance there without being told.
    const out = join(ws.root, 'restored-noinstance');
    const r = await runCli(['restore', '--from', url, '--latest', '--to', out, '--key-file', ws.keyFile], {
      env: c.env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await readFile(join(out, 'dump.rdb'))).equals(data)).toBe(true);
  });
});
