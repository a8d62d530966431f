/**
 * --s3-timeout while reading a set's object from a real Ceph gateway: it counts only the time spent
 * waiting for the server. A reader that holds the body back longer (a copy waiting for a slow target)
 * still gets every byte; a server that goes silent in the middle of the body fails the read in one
 * clear line instead of hanging.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ceph, newBucket, type Ceph } from '../helpers/ceph.js';
import { writeRdbFile } from '../helpers/dfs-writer.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';
import { S3Store } from '../../src/store/s3/s3-store.js';
import { parseS3Url } from '../../src/store/s3/settings.js';
import { setIdFor } from '../../src/store/names.js';

let c: Ceph;
let ws: Workspace;
let url: string;
let setId: string;
let size: number;
const FILE = 'dump.rdb.sg';

beforeAll(async () => {
  c = await ceph();
  ws = await workspace();
  url = `s3://${await newBucket(c)}/reads`;
  // 32 MiB: far more than the loopback socket buffers hold, so a paused reader stops the server.
  await writeRdbFile(ws.df, 'dump.rdb', 32 * 1024 * 1024);
  const t = Math.floor(Date.now() / 1000) - 60;
  await utimes(join(ws.df, 'dump.rdb'), t, t);
  const args = ws.args('--once', '--instance', 'db');
  args[args.indexOf('--out') + 1] = url;
  const r = await runCli(['watch', ...args], { env: c.env });
  expect(r.code, r.stderr).toBe(0);
  setId = setIdFor(t * 1000, 'dump');
  size = (await store(c.endpoint).listFiles(setId)).find((f) => f.name === FILE)!.size;
}, 240_000);
afterAll(async () => {
  await ws?.cleanup();
});

function store(endpoint: string): S3Store {
  return new S3Store(url, parseS3Url(url, '--from'), {
    endpoint,
    forcePathStyle: true,
    region: c.env.AWS_REGION,
    instance: 'db',
    timeoutMs: 2000, // well above a loaded gateway's answer time, so only a real stall trips it
  });
}

it('a reader slower than --s3-timeout still gets every byte', async () => {
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of store(c.endpoint).read(setId, FILE)) {
    bytes += chunk.length;
    // Hold the body back 2.5 × the timeout, twice: the server is blocked by us, not silent.
    if (++chunks === 1 || chunks === 50) await sleep(5000);
  }
  expect(bytes).toBe(size);
}, 60_000);

it('a server silent in the middle of the body fails the read in one line', async () => {
  // A proxy that passes the first 2 MB of the server's answer and then nothing.
  const upstream = new URL(c.endpoint);
  const held: Socket[] = [];
  let received = 0;
  const proxy: Server = createServer((client) => {
    const server = createConnection(Number(upstream.port), upstream.hostname);
    held.push(client, server);
    client.on('data', (b: Buffer) => server.write(b));
    server.on('data', (b: Buffer) => {
      received += b.length;
      if (received < 2_000_000) client.write(b);
    });
    for (const s of [client, server]) s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  try {
    let bytes = 0;
    const read = (async () => {
      for await (const chunk of store(`http://127.0.0.1:${port}`).read(setId, FILE)) bytes += chunk.length;
    })();
    await expect(read).rejects.toThrow(
      `${url}: the S3 endpoint http://127.0.0.1:${port} stopped answering while reading ${FILE}`,
    );
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(size);
  } finally {
    for (const s of held) s.destroy();
    proxy.close();
  }
}, 60_000);
