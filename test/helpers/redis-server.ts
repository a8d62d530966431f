/** A real redis-server (Debian package) on a free 127.0.0.1 port, for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

export { freePort };
import { setTimeout as sleep } from 'node:timers/promises';

export class RedisServer {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly client: Redis,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server with `dir`, no automatic saves, and waits until it has loaded its data. */
  static async start(dir: string, extra: string[] = [], fixedPort?: number): Promise<RedisServer> {
    const port = fixedPort ?? (await freePort());
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--dbfilename',
        'dump.rdb',
        '--save',
        '',
        '--appendonly',
        'no',
        ...extra,
      ],
      { stdio: 'ignore' },
    );
    // No automatic reconnects while starting: with ioredis's own reconnect running, a second
    // connect() fails with "already connecting/connected" forever once the server is up.
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    // 30 s: a loaded 2-core CI machine can be slow to start a process; never leave it running on failure.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await client.connect();
        break;
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) {
          const exit = child.exitCode;
          child.kill('SIGKILL');
          client.disconnect();
          throw new Error(
            `redis-server did not start on port ${port} (exit ${exit}, status ${client.status})`,
          );
        }
        await sleep(25);
      }
    }
    const server = new RedisServer(child, port, client);
    while (/^loading:1/m.test(await client.info('persistence'))) await sleep(25);
    return server;
  }

  /** BGSAVE and wait until Redis reports it finished successfully. */
  async bgsave(): Promise<void> {
    const before = Number(/rdb_last_save_time:(\d+)/.exec(await this.client.info('persistence'))?.[1]);
    await this.client.bgsave();
    for (;;) {
      const info = await this.client.info('persistence');
      if (/rdb_bgsave_in_progress:0/.test(info) && /rdb_last_bgsave_status:ok/.test(info)) {
        const last = Number(/rdb_last_save_time:(\d+)/.exec(info)?.[1]);
        if (last >= before) return;
      }
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.client.disconnect();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
  }
}

/** Fills Redis with keys of several types; returns a snapshot of them for comparison. */
export async function fillRedis(client: Redis, n: number): Promise<Record<string, unknown>> {
  const expected: Record<string, unknown> = {};
  const p = client.pipeline();
  for (let i = 0; i < n; i++) {
    const k = `key:${i}`;
    switch (i % 4) {
      case 0:
        p.set(k, `value-${i}-${'x'.repeat(i % 50)}`);
        expected[k] = `value-${i}-${'x'.repeat(i % 50)}`;
        break;
      case 1:
        p.hset(k, { a: String(i), b: 'two' });
        expected[k] = { a: String(i), b: 'two' };
        break;
      case 2:
        p.rpush(k, 'x', String(i), 'z');
        expected[k] = ['x', String(i), 'z'];
        break;
      default:
        p.sadd(k, 'm1', `m${i}`);
        expected[k] = ['m1', `m${i}`].sort();
    }
  }
  await p.exec();
  return expected;
}

/** Reads back the keys written by fillRedis. */
export async function readRedis(client: Redis, n: number): Promise<Record<string, unknown>> {
  const got: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const k = `key:${i}`;
    switch (i % 4) {
      case 0:
        got[k] = await client.get(k);
        break;
      case 1:
        got[k] = await client.hgetall(k);
        break;
      case 2:
        got[k] = await client.lrange(k, 0, -1);
        break;
      default:
        got[k] = (await client.smembers(k)).sort();
    }
  }
  return got;
}
