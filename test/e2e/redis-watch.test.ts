/** End-to-end with a real redis-server: BGSAVE → the daemon seals and shreds dump.rdb → exact bytes back. */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, eventually } from '../helpers/daemon.js';
import { RedisServer, fillRedis } from '../helpers/redis-server.js';
import { openSealedSet, publishedSets } from '../helpers/sealed.js';
import { workspace, type Workspace, leftInDir } from '../helpers/watch-fixtures.js';
import { runCli } from '../helpers/cli.js';

let ws: Workspace | undefined;
let redis: RedisServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.kill();
  await redis?.stop();
  await ws?.cleanup();
  daemon = redis = ws = undefined;
});

describe('watch + real redis-server', () => {
  it('seals what BGSAVE wrote, byte for byte, and shreds dump.rdb', async () => {
    ws = await workspace();
    redis = await RedisServer.start(ws.df);
    await fillRedis(redis.client, 3000);
    // First save with the daemon stopped, so the test can keep a copy of the exact bytes Redis wrote.
    await redis.bgsave();
    const first = await readFile(join(ws.df, 'dump.rdb'));
    const res = await runCli(['watch', ...ws.args('--once')]);
    expect(res.code, res.stderr).toBe(0);
    expect(await leftInDir(ws.df)).toEqual([]);
    const [id1] = await publishedSets(ws.out);
    const sealed1 = await openSealedSet(ws.out, id1!, ws.keyring);
    expect(sealed1.files.get('dump.rdb')?.equals(first)).toBe(true);

    // Second save while the daemon runs: Redis writes temp-<pid>.rdb and renames it to dump.rdb.
    daemon = Daemon.start(ws.args());
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    await redis.client.set('after-first-save', 'yes');
    await redis.bgsave();
    await daemon.waitForSealed(1);
    await eventually(async () => (await leftInDir(ws!.df)).length === 0, 30_000, 'dump.rdb shredded');
    const ids = await publishedSets(ws.out);
    expect(ids).toHaveLength(2);
    const sealed2 = await openSealedSet(ws.out, ids[1]!, ws.keyring);
    const rdb = sealed2.files.get('dump.rdb')!;
    expect(rdb.subarray(0, 5).toString()).toBe('REDIS');
    expect(rdb.includes(Buffer.from('after-first-save'))).toBe(true);
    // Redis' own checker accepts the decrypted file (real CRC64 included).
    const check = join(ws.root, 'check.rdb');
    await writeFile(check, rdb);
    expect(execFileSync('redis-check-rdb', [check]).toString()).toMatch(/RDB looks OK/);
    // The temp file Redis wrote was never treated as a snapshot.
    expect(sealed2.manifest.files.map((f) => f.name)).toEqual(['dump.rdb']);
  });
});
