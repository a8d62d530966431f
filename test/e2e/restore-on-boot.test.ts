/**
 * The restart loop with a real redis-server: seal, stop, `restore --latest --if-empty` before the
 * server starts, the server loads the restored file, and `watch` removes that plaintext once the
 * server reports loading finished — without sealing it a second time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { Daemon, eventually } from '../helpers/daemon.js';
import { RedisServer, fillRedis, freePort, readRedis } from '../helpers/redis-server.js';
import { publishedSets } from '../helpers/sealed.js';
import { runCli } from '../helpers/cli.js';
import { workspace, type Workspace, leftInDir } from '../helpers/watch-fixtures.js';

let ws: Workspace | undefined;
let redis: RedisServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.kill();
  await redis?.stop();
  await ws?.cleanup();
  daemon = redis = ws = undefined;
});

const KEYS = 1500;

async function sealedRedis(w: Workspace): Promise<Record<string, unknown>> {
  redis = await RedisServer.start(w.df);
  const expected = await fillRedis(redis.client, KEYS);
  await redis.bgsave();
  await redis.stop();
  redis = undefined;
  const sealed = await runCli(['watch', ...w.args('--once')]);
  expect(sealed.code, sealed.stderr).toBe(0);
  expect(await readdir(w.df)).toEqual([]);
  return expected;
}

function restoreIfEmpty(w: Workspace) {
  return runCli([
    'restore',
    '--from',
    w.out,
    '--latest',
    '--if-empty',
    '--to',
    w.df,
    '--key-file',
    w.keyFile,
  ]);
}

describe('restore on boot + watch', () => {
  it('first boot: --if-empty with nothing sealed is an error-free no-op', async () => {
    ws = await workspace();
    const r = await restoreIfEmpty(ws);
    expect(r.code, r.stderr).toBe(0);
    expect(await leftInDir(ws.df)).toEqual([]);
  });

  it('restores before start, the server loads it, watch shreds it after loading:0 and does not re-seal it', async () => {
    ws = await workspace();
    const expected = await sealedRedis(ws);
    const r = await restoreIfEmpty(ws);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(ws.df)).filter((n) => !n.startsWith('.'))).toEqual(['dump.rdb']);
    // A second restore-on-boot finds a usable snapshot and does nothing.
    const again = await restoreIfEmpty(ws);
    expect(again.code).toBe(0);

    const port = await freePort();
    daemon = Daemon.start(ws.args('--dragonfly-url', `redis://127.0.0.1:${port}`, '--log-level', 'debug'));
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    // The server is not up yet: the restored plaintext must stay for it to load, check after check.
    const notReachable = (l: { msg: string }) => l.msg.startsWith('Dragonfly not reachable yet');
    await daemon.waitFor(() => daemon!.count(notReachable) >= 2, 30_000, 'two checks of an absent server');
    expect(await readdir(ws.df)).toContain('dump.rdb');

    redis = await RedisServer.start(ws.df, [], port);
    expect(await readRedis(redis.client, KEYS)).toEqual(expected);
    await daemon.waitFor(
      (l) => l.msg === 'Dragonfly has loaded the restored snapshot; removed its plaintext',
      30_000,
    );
    await eventually(
      async () => (await leftInDir(ws!.df)).length === 0,
      10_000,
      'restored plaintext and marker gone',
    );
    expect(await publishedSets(ws.out)).toHaveLength(1); // not sealed a second time
    expect(daemon.count((l) => l.msg.startsWith('sealed'))).toBe(0);
  });

  it('without --dragonfly-url, removes restored plaintext after the grace period', async () => {
    ws = await workspace();
    await sealedRedis(ws);
    expect((await restoreIfEmpty(ws)).code).toBe(0);
    daemon = Daemon.start(ws.args('--restored-grace', '2s'));
    await daemon.waitFor(
      (l) => l.msg === 'Dragonfly has loaded the restored snapshot; removed its plaintext',
      30_000,
    );
    expect(await leftInDir(ws.df)).toEqual([]);
    expect(await publishedSets(ws.out)).toHaveLength(1);
  });
});
