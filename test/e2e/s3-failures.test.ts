/**
 * A bucket store when things go wrong: the gateway stops while watch runs (plaintext kept, failures
 * counted, sealed once it is back); wrong credentials, a missing bucket and an unreachable endpoint
 * each give one line and a non-zero exit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { DIR_LOCK_FILE } from '../../src/snapshots/dir-lock.js';
import { runCli } from '../helpers/cli.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { ceph, newBucket, startExtraGateway, stopExtraGateway, type Ceph } from '../helpers/ceph.js';
import { readS3Set, s3Store } from '../helpers/ceph-sets.js';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { closedPort, freePort } from '../helpers/ports.js';
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

function withOut(args: string[], url: string): string[] {
  const a = [...args];
  a[a.indexOf('--out') + 1] = url;
  return a;
}

async function sealFailures(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^snapshot_guard_seal_failures_total\{reason="store"\} (\d+)/gm))
    n += Number(m[1]);
  return n;
}

describe('bucket store failures', () => {
  it('gateway stopped while watch runs: plaintext kept, failures counted, sealed once it is back', async () => {
    const bucket = await newBucket(c);
    const port = await freePort();
    const endpoint = await startExtraGateway(c, port);
    const metricsPort = await freePort();
    const args = withOut(ws.args('--instance', 'outage', '--retry-max', '1s'), `s3://${bucket}/p`);
    args[args.indexOf('--metrics-addr') + 1] = `127.0.0.1:${metricsPort}`;
    const d = Daemon.start(args, { ...c.env, AWS_ENDPOINT_URL_S3: endpoint });
    try {
      await d.waitFor((l) => l.msg === 'watching for finished snapshots', 60_000);
      await stopExtraGateway(c, port);
      const w = await writeDfsSet({ dir: ws.df, stem: 'dump-outage', shards: 2, bytesPerShard: 200_000 });
      await d.waitFor((l) => l.msg.startsWith('could not seal snapshot'), 120_000, 'a seal failure');
      await eventually(async () => (await sealFailures(metricsPort)) >= 2, 60_000, 'two counted failures');
      for (const [name, bytes] of w.contents)
        expect((await readFile(join(ws.df, name))).equals(bytes)).toBe(true);
      await startExtraGateway(c, port);
      await d.waitForSealed(1, 120_000);
      // Only watch's own lock file stays in --dir while it runs.
      const left = async () => (await readdir(ws.df)).filter((n) => n !== DIR_LOCK_FILE);
      await eventually(async () => (await left()).length === 0, 30_000, 'plaintext shredded');
      const store = s3Store(c, `s3://${bucket}/p`, 'outage');
      const [id] = await store.listSets();
      const files = await readS3Set(store, id!, ws.keyring);
      for (const [name, bytes] of w.contents) expect(files.get(name)?.equals(bytes), name).toBe(true);
      await store.close();
    } finally {
      await d.kill();
      await stopExtraGateway(c, port);
    }
  });

  const oneLine = (stderr: string) => stderr.trim().split('\n');

  it('wrong credentials: one line naming the store, non-zero exit', async () => {
    const bucket = await newBucket(c);
    const res = await runCli(['list', '--from', `s3://${bucket}/x`], {
      env: { ...c.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    });
    expect(res.code).not.toBe(0);
    expect(oneLine(res.stderr)).toHaveLength(1);
    expect(res.stderr).toContain(`s3://${bucket}/x: access denied`);
    expect(res.stderr).toMatch(/check the S3 credentials/);
  });

  it('missing bucket: one line for list, restore and watch, non-zero exit', async () => {
    const url = 's3://no-such-bucket-here/x';
    for (const args of [
      ['list', '--from', url],
      ['restore', '--from', url, '--latest', '--to', join(ws.root, 'r'), '--key-file', ws.keyFile],
      ['watch', ...withOut(ws.args('--once'), url)],
    ]) {
      const res = await runCli(args, { env: c.env });
      expect(res.code, args[0]).not.toBe(0);
      expect(oneLine(res.stderr), res.stderr).toHaveLength(1);
      expect(res.stderr).toContain(`${url}: the bucket does not exist`);
    }
  });

  it('unreachable endpoint: one line naming the endpoint, non-zero exit', async () => {
    const port = await closedPort();
    const res = await runCli(
      ['list', '--from', 's3://some-bucket/x', '--s3-endpoint', `http://127.0.0.1:${port}`],
      {
        env: c.env,
      },
    );
    expect(res.code).not.toBe(0);
    expect(oneLine(res.stderr), res.stderr).toHaveLength(1);
    expect(res.stderr).toContain(`cannot reach the S3 endpoint http://127.0.0.1:${port}`);
  });

  it('an endpoint that goes silent mid-upload: watch --once gives up after --s3-timeout, plaintext kept', async () => {
    const bucket = await newBucket(c);
    // A proxy to the gateway that, once ~300 KB of requests went through, holds every write (PUT,
    // POST, DELETE) and still passes reads: a server that accepted the upload and stalled, as a Ceph
    // cluster whose OSDs are full does.
    const upstream = new URL(c.endpoint);
    let sent = 0;
    const held: Socket[] = [];
    const proxy: Server = createServer((client) => {
      const server = createConnection(Number(upstream.port), upstream.hostname);
      held.push(client, server);
      let stalled = false;
      client.on('data', (b: Buffer) => {
        sent += b.length;
        if (sent >= 300_000 && !/^(GET|HEAD) /.test(b.toString('latin1', 0, 5))) stalled = true;
        else if (/^(GET|HEAD) /.test(b.toString('latin1', 0, 5))) stalled = false;
        if (!stalled) server.write(b);
      });
      server.on('data', (b: Buffer) => {
        if (!stalled) client.write(b);
      });
      for (const s of [client, server]) s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const w = await writeDfsSet({ dir: ws.df, stem: 'dump-stall', shards: 2, bytesPerShard: 1_000_000 });
    try {
      const started = Date.now();
      const res = await runCli(
        [
          'watch',
          ...withOut(ws.args('--once', '--instance', 'stall', '--s3-timeout', '2s'), `s3://${bucket}/p`),
          '--s3-endpoint',
          `http://127.0.0.1:${port}`,
        ],
        { env: c.env },
      );
      expect(sent).toBeGreaterThanOrEqual(300_000); // the stall came after the upload had begun
      expect(res.code, res.stderr).not.toBe(0);
      expect(oneLine(res.stderr), res.stderr).toHaveLength(1);
      // The seal's failure is what is reported (not the lock release that stalled after it).
      expect(res.stderr).toMatch(/^snapshot-guard: could not seal every snapshot \(/);
      expect(res.stderr).toContain(
        `the S3 endpoint http://127.0.0.1:${port} stopped answering while uploading`,
      );
      expect(res.stderr).toContain('the plaintext is untouched, run again');
      expect(Date.now() - started).toBeLessThan(60_000);
      for (const [name, bytes] of w.contents)
        expect((await readFile(join(ws.df, name))).equals(bytes), name).toBe(true);
    } finally {
      for (const s of held) s.destroy();
      proxy.close();
      for (const name of w.contents.keys()) await rm(join(ws.df, name), { force: true });
    }
  }, 90_000);

  it('a URL that is not a bucket is a usage error', async () => {
    const res = await runCli(['list', '--from', 's3://Bad_Bucket/x'], { env: c.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('is not a bucket name');
  });
});
