/**
 * watch --copy-to against a real Ceph gateway: sets sealed into a local --out are copied to a bucket
 * and to a local directory, restorable byte-identically from either; a copy target that is down never
 * stops sealing (plaintext shredded, lag and failures in /metrics) and is caught up once it is back;
 * kill -9 in the middle of a copy leaves no partial set, and the restart finishes the copy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { ceph, newBucket, startExtraGateway, stopExtraGateway, type Ceph } from '../helpers/ceph.js';
import { allKeys, openUploads, readS3Set, s3Store } from '../helpers/ceph-sets.js';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { scrape } from '../helpers/metrics.js';
import { freePort } from '../helpers/ports.js';
import { RedisServer, fillRedis, readRedis } from '../helpers/redis-server.js';
import { leftInDir, workspace, type Workspace } from '../helpers/watch-fixtures.js';

let c: Ceph;
let ws: Workspace; // each test's own: its --out starts empty
const workspaces: Workspace[] = [];
beforeAll(async () => {
  c = await ceph();
}, 240_000);
beforeEach(async () => {
  ws = await workspace();
  workspaces.push(ws);
});
afterAll(async () => {
  for (const w of workspaces) await w.cleanup();
});

const INSTANCE = 'db-1';

/** Daemon arguments: --out stays the workspace's local directory. */
function args(metricsPort: number | 'off', ...extra: string[]): string[] {
  const a = ws.args('--instance', INSTANCE, ...extra);
  a[a.indexOf('--metrics-addr') + 1] = metricsPort === 'off' ? 'off' : `127.0.0.1:${metricsPort}`;
  return a;
}

const metric = (m: Map<string, number>, name: string, target: string) => m.get(`${name}{target="${target}"}`);

/** Keys in the bucket that belong to no committed set (the writer lock aside). */
async function strayKeys(bucket: string, url: string): Promise<string[]> {
  const store = s3Store(c, url, INSTANCE);
  const live: string[] = [];
  for (const id of await store.listSets())
    live.push(store.layout.attemptRoot(INSTANCE, id, (await store.commitOf(id))!.attempt));
  await store.close();
  return (await allKeys(c, bucket)).filter(
    (k) => !k.endsWith('.commit') && !k.endsWith('writer.lock') && !live.some((p) => k.startsWith(p)),
  );
}

describe('watch --copy-to', () => {
  it('copies a DFS set and a redis dump to a bucket and a directory; both restore byte-identically', async () => {
    const bucket = await newBucket(c);
    const url = `s3://${bucket}/copies`;
    const localCopy = join(ws.root, 'local-copies');
    const once = args('off', '--once', '--copy-to', url, '--copy-to', localCopy);

    const dfs = await writeDfsSet({
      dir: ws.df,
      stem: 'dump-2026-11-23T17:40:00',
      shards: 4,
      bytesPerShard: 9 * 1024 * 1024,
    });
    let res = await runCli(['watch', ...once], { env: c.env });
    expect(res.code, res.stderr).toBe(0);
    expect(await leftInDir(ws.df)).toEqual([]);

    // A real redis-server dump, written in a directory of its own and moved in as Redis would.
    const redisDir = join(ws.root, 'redis');
    await mkdir(redisDir, { mode: 0o700 });
    const redis = await RedisServer.start(redisDir);
    let expected: Record<string, unknown>;
    try {
      expected = await fillRedis(redis.client, 2000);
      await redis.bgsave();
    } finally {
      await redis.stop();
    }
    const dump = await readFile(join(redisDir, 'dump.rdb'));
    await rename(join(redisDir, 'dump.rdb'), join(ws.df, 'dump.rdb'));
    res = await runCli(['watch', ...once], { env: c.env });
    expect(res.code, res.stderr).toBe(0);
    expect(await leftInDir(ws.df)).toEqual([]);

    for (const from of [url, localCopy]) {
      res = await runCli(['list', '--from', from, '--json'], { env: c.env });
      expect(res.code, res.stderr).toBe(0);
      const listed = JSON.parse(res.stdout.toString()) as { setId: string; format: string }[];
      expect(
        listed.map((s) => s.format),
        from,
      ).toEqual(['rdb', 'dfs']);
      // Every byte of the copy authenticates, and its chain (each manifest naming the one before) is whole.
      res = await runCli(['verify', '--from', from, '--all', '--key-file', ws.keyFile], { env: c.env });
      expect(res.code, res.stderr + res.stdout.toString()).toBe(0);

      const dfsOut = join(ws.root, `restored-dfs-${listed.length}-${from === url ? 's3' : 'dir'}`);
      res = await runCli(
        ['restore', '--from', from, '--set', listed[1]!.setId, '--to', dfsOut, '--key-file', ws.keyFile],
        { env: c.env },
      );
      expect(res.code, res.stderr).toBe(0);
      for (const [name, bytes] of dfs.contents)
        expect((await readFile(join(dfsOut, name))).equals(bytes), name).toBe(true);

      const rdbOut = join(ws.root, `restored-rdb-${from === url ? 's3' : 'dir'}`);
      res = await runCli(['restore', '--from', from, '--latest', '--to', rdbOut, '--key-file', ws.keyFile], {
        env: c.env,
      });
      expect(res.code, res.stderr).toBe(0);
      expect((await readFile(join(rdbOut, 'dump.rdb'))).equals(dump)).toBe(true);
      const loaded = await RedisServer.start(rdbOut);
      try {
        expect(await readRedis(loaded.client, 2000)).toEqual(expected);
      } finally {
        await loaded.stop();
      }
    }
    expect(await openUploads(c, bucket)).toEqual([]);
    expect(await strayKeys(bucket, url)).toEqual([]);
  });

  // Its waits add up to more than vitest's default 120 s when a loaded machine starts gateways slowly.
  it(
    'a copy target that is down: sealing goes on, lag grows in /metrics, the copy completes once it is back',
    { timeout: 480_000 },
    async () => {
      const bucket = await newBucket(c);
      const url = `s3://${bucket}/dr`;
      const port = await freePort();
      const endpoint = await startExtraGateway(c, port);
      const metricsPort = await freePort();
      const d = Daemon.start(args(metricsPort, '--copy-to', url, '--retry-max', '1s'), {
        ...c.env,
        AWS_ENDPOINT_URL_S3: endpoint,
      });
      try {
        await d.waitFor((l) => l.msg === 'watching for finished snapshots', 60_000);
        let m = await scrape(metricsPort);
        expect(metric(m, 'snapshot_guard_replication_lag_seconds', url)).toBe(0);
        expect(metric(m, 'snapshot_guard_copy_failures_total', url)).toBe(0);
        await stopExtraGateway(c, port);

        const w = await writeDfsSet({ dir: ws.df, stem: 'dump-outage', shards: 2, bytesPerShard: 300_000 });
        await d.waitForSealed(1, 60_000);
        await eventually(async () => (await leftInDir(ws.df)).length === 0, 30_000, 'plaintext shredded');
        await eventually(
          async () =>
            (metric(await scrape(metricsPort), 'snapshot_guard_copy_failures_total', url) ?? 0) >= 2,
          60_000,
          'two counted copy failures',
        );
        m = await scrape(metricsPort);
        const lag = metric(m, 'snapshot_guard_replication_lag_seconds', url)!;
        expect(lag).toBeGreaterThan(0);
        expect(metric(m, 'snapshot_guard_replication_queue_sets', url)).toBe(1);
        // The S3 client's failures, by operation (checking the bucket, listing, writing the lock …).
        const storeErrors = [...m]
          .filter(([k]) => k.startsWith(`snapshot_guard_store_errors_total{store="${url}"`))
          .reduce((sum, [, v]) => sum + v, 0);
        expect(storeErrors).toBeGreaterThan(0);
        await eventually(
          async () => metric(await scrape(metricsPort), 'snapshot_guard_replication_lag_seconds', url)! > lag,
          10_000,
          'the lag to grow',
        );

        await startExtraGateway(c, port);
        await d.waitFor((l) => l.msg === 'copied sealed set', 120_000, 'the copy');
        m = await scrape(metricsPort);
        expect(metric(m, 'snapshot_guard_copies_total', url)).toBe(1);
        expect(metric(m, 'snapshot_guard_replication_lag_seconds', url)).toBe(0);
        expect(metric(m, 'snapshot_guard_replication_queue_sets', url)).toBe(0);
        expect(
          m.get(`snapshot_guard_store_transfer_bytes_total{store="${url}",direction="upload"}`),
        ).toBeGreaterThan(600_000);
        expect(
          m.get(`snapshot_guard_store_transfer_bytes_total{store="${url}",direction="download"}`),
        ).toBeGreaterThan(600_000);

        const store = s3Store(c, url, INSTANCE);
        const [id] = await store.listSets();
        const files = await readS3Set(store, id!, ws.keyring);
        for (const [name, bytes] of w.contents) expect(files.get(name)?.equals(bytes), name).toBe(true);
        await store.close();
      } finally {
        await d.kill();
        await stopExtraGateway(c, port);
      }
    },
  );

  it(
    'kill -9 during copies: no partial set in the target, the restart completes every copy',
    { timeout: 600_000 },
    async () => {
      const bucket = await newBucket(c);
      const url = `s3://${bucket}/dr`;
      const contents = new Map<string, Buffer>();
      const kills = 4;
      let interrupted = 0; // kills that left an unfinished copy behind
      for (let i = 0; i < kills; i++) {
        // 2 shards of 12 MiB: multipart uploads (8 MiB parts) that a kill can land inside.
        const w = await writeDfsSet({
          dir: ws.df,
          stem: `dump-k${i}`,
          shards: 2,
          bytesPerShard: 12 * 1024 * 1024,
        });
        for (const [n, b] of w.contents) contents.set(n, b);
        const d = Daemon.start(args('off', '--copy-to', url), c.env);
        try {
          await d.waitFor((l) => l.msg === 'copying sealed set', 120_000, 'a copy to start');
          // Aim inside an upload: wait for an open multipart upload (or the copy's end), then a random moment.
          const started = Date.now();
          while (Date.now() - started < 20_000 && (await openUploads(c, bucket)).length === 0) {
            if (d.count((l) => l.msg === 'copied sealed set') > 0) break;
            await sleep(10);
          }
          await sleep(Math.random() * 300);
        } finally {
          await d.kill('SIGKILL');
        }
        if ((await openUploads(c, bucket)).length > 0 || (await strayKeys(bucket, url)).length > 0)
          interrupted++;
        // Whatever the kill interrupted: every committed copy is complete and authenticates.
        const store = s3Store(c, url, INSTANCE);
        for (const id of await store.listSets()) await readS3Set(store, id, ws.keyring);
        await store.close();
      }
      expect(interrupted, 'kills that interrupted a copy').toBeGreaterThan(0);
      const res = await runCli(['watch', ...args('off', '--once', '--copy-to', url)], { env: c.env });
      expect(res.code, res.stderr).toBe(0);
      const store = s3Store(c, url, INSTANCE);
      const ids = await store.listSets();
      expect(ids).toHaveLength(kills);
      const restored = new Map<string, Buffer>();
      for (const id of ids) for (const [n, b] of await readS3Set(store, id, ws.keyring)) restored.set(n, b);
      await store.close();
      for (const [name, bytes] of contents) expect(restored.get(name)?.equals(bytes), name).toBe(true);
      expect(await openUploads(c, bucket), 'open multipart uploads').toEqual([]);
      expect(await strayKeys(bucket, url), 'objects outside committed sets').toEqual([]);
      expect((await readdir(ws.df)).filter((n) => n.endsWith('.dfs'))).toEqual([]);
    },
  );

  it('a target URL carries its own endpoint, path style and profile; a wrong profile fails the copy, not the seal', async () => {
    const bucket = await newBucket(c);
    // Credentials only in a shared credentials file, the endpoint only in the URL: nothing in the
    // environment could reach the bucket, so a copy that lands proves the URL's settings were used.
    const credentials = join(ws.root, 'aws-credentials');
    await writeFile(
      credentials,
      `[dr]\naws_access_key_id = ${c.env.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${c.env.AWS_SECRET_ACCESS_KEY}\n` +
        `[wrong]\naws_access_key_id = ${c.env.AWS_ACCESS_KEY_ID}\naws_secret_access_key = not-the-secret\n`,
      { mode: 0o600 },
    );
    const config = join(ws.root, 'aws-config');
    await writeFile(config, '', { mode: 0o600 });
    const env = {
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: config,
      AWS_REGION: c.env.AWS_REGION,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL_S3: undefined,
      AWS_ENDPOINT_URL: undefined,
    };
    const target = (profile: string) =>
      `s3://${bucket}/dr?endpoint=${encodeURIComponent(c.endpoint)}&path-style=true&profile=${profile}`;

    const w = await writeDfsSet({ dir: ws.df, stem: 'dump-url', shards: 2, bytesPerShard: 100_000 });
    let res = await runCli(['watch', ...args('off', '--once', '--copy-to', target('dr'))], { env });
    expect(res.code, res.stderr).toBe(0);
    const store = s3Store(c, `s3://${bucket}/dr`, INSTANCE);
    const [id] = await store.listSets();
    const copied = await readS3Set(store, id!, ws.keyring);
    await store.close();
    for (const [name, bytes] of w.contents) expect(copied.get(name)?.equals(bytes), name).toBe(true);

    // The wrong profile: the set is sealed into --out all the same; the copy fails in one line.
    await writeDfsSet({ dir: ws.df, stem: 'dump-url2', shards: 1, bytesPerShard: 10_000 });
    res = await runCli(['watch', ...args('off', '--once', '--copy-to', target('wrong'))], { env });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
    expect(res.stderr).toContain('sealed, but copying failed');
    expect(res.stderr).toContain('access denied');
    expect(res.stderr.split(`s3://${bucket}/dr:`), 'the target named once').toHaveLength(2);
    expect(await leftInDir(ws.df)).toEqual([]);
  });
});
