/**
 * Disaster recovery end to end with a real redis-server: fill it, BGSAVE, seal and shred dump.rdb, stop
 * Redis, `snapshot-guard restore --latest` into an empty directory, start a new redis-server there and
 * find every key and value back.
 */
import { LocalStore } from '../../src/store/local/local-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Keyring } from '../../src/keys/keyring.js';
import { LocalKeyProvider, generateKeyFile } from '../../src/keys/local/provider.js';
import { noopObserver } from '../../src/observe/observer.js';
import { encryptAndPublish, shredSet, type SealConfig } from '../../src/seal/seal.js';
import { scanDirectory } from '../../src/snapshots/scan.js';
import { setIdFor } from '../../src/store/names.js';
import { runCli } from '../helpers/cli.js';
import { RedisServer, fillRedis, readRedis } from '../helpers/redis-server.js';

const KEYS = 2000;
let root: string | undefined;
const servers: RedisServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('restore + real redis-server', () => {
  it('brings every key back after the original data directory is lost', async () => {
    root = await mkdtemp(join(tmpdir(), 'sg-redis-restore-'));
    const original = join(root, 'redis-old');
    const sealed = join(root, 'sealed');
    const fresh = join(root, 'redis-new');
    await mkdir(original, { mode: 0o700 });
    const keyFile = join(root, 'key');
    await generateKeyFile(keyFile);

    const first = await RedisServer.start(original);
    servers.push(first);
    const expected = await fillRedis(first.client, KEYS);
    await first.bgsave();
    expect((await stat(join(original, 'dump.rdb'))).size).toBeGreaterThan(0);

    const cfg: SealConfig = {
      keyring: new Keyring([await LocalKeyProvider.fromFile(keyFile)]),
      store: new LocalStore(sealed),
      instance: 'redis-e2e',
      segmentSize: 64 * 1024,
      shredMode: 'unlink',
      parallelism: 2,
      observer: noopObserver,
      log: pino({ level: 'silent' }),
    };
    const [set] = (await scanDirectory(original)).sets;
    expect(set?.files.map((f) => f.name)).toEqual(['dump.rdb']);
    await encryptAndPublish(set!, setIdFor(set!.snapshotTimeMs, set!.stem), cfg);
    await shredSet(set!, original, cfg);
    expect(await readdir(original)).toEqual([]);
    await first.stop();
    servers.length = 0;

    const res = await runCli(['restore', '--from', sealed, '--latest', '--to', fresh, '--key-file', keyFile]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toContain('Redis/Valkey started with --dir');

    const second = await RedisServer.start(fresh);
    servers.push(second);
    expect(await second.client.dbsize()).toBe(KEYS);
    expect(await readRedis(second.client, KEYS)).toEqual(expected);
  });
});
