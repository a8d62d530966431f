/**
 * File jobs in real worker threads (the compiled dist/ build, as the daemon runs them): results and
 * errors cross the thread boundary with their class names and errno codes intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, rm, writeFile, stat, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import { authenticatePath, type AuthenticatedFile } from '../../../src/files/authenticate.js';
import type { FileWorkers as FileWorkersType } from '../../../src/parallel/file-workers.js';
import type { SnapshotFile } from '../../../src/snapshots/scan.js';

let dir: string;
let workers: FileWorkersType;
let mod: { FileWorkers: typeof FileWorkersType; pooledThreads: () => number };
const dataKey = randomBytes(32);
const wrappedKeys = [{ provider: 'local', keyId: 'test', blob: randomBytes(60) }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-workers-'));
  mod = (await import(join(PROJECT_ROOT, 'dist/parallel/file-workers.js'))) as typeof mod;
  workers = new mod.FileWorkers(2);
});
afterAll(async () => {
  await workers.close();
  await rm(dir, { recursive: true, force: true });
});

async function snapshotFile(name: string, bytes: Buffer): Promise<SnapshotFile> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const st = await stat(path);
  return { name, path, role: 'rdb', dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

const context = (fileName: string) => ({ instance: 'i', setId: 's', fileName, createdAtMs: 1 });

describe('file jobs in worker threads', () => {
  it('encrypts files in parallel workers, authenticated as they are written', async () => {
    const files = await Promise.all(
      [0, 1, 2].map((i) => snapshotFile(`f${i}.rdb`, randomBytes(300_000 + i))),
    );
    const encrypted = await Promise.all(
      files.map((f) =>
        workers.run<{ plaintextBytes: number; encryptedBytes: number }>({
          kind: 'encrypt',
          source: f,
          out: `${f.path}.sg`,
          context: context(f.name),
          dataKey,
          wrappedKeys,
          segmentSize: 4096,
        }),
      ),
    );
    // A pool thread reads each batch back as it writes it: the same figures as a separate read-back.
    const checked = await Promise.all(
      files.map((f) => authenticatePath(`${f.path}.sg`, f.name, 's', dataKey)),
    );
    expect(checked.map((c) => c.plaintextBytes)).toEqual([300_000, 300_001, 300_002]);
    expect(encrypted).toEqual(checked);
  });

  it('decrypts sealed files on pool threads: plaintext, sizes and progress; nothing left on a failure', async () => {
    const plain = randomBytes(40 * 1024 * 1024 + 5); // several progress reports (every 16 MiB)
    const f = await snapshotFile('big.rdb', plain);
    const job = { source: f, out: `${f.path}.sg`, context: context(f.name), dataKey, wrappedKeys };
    const sealed = await workers.run<AuthenticatedFile>({
      kind: 'encrypt',
      ...job,
      segmentSize: 65536,
    });
    const progress: number[] = [];
    const decrypt = (out: string, key = dataKey, onProgress?: (n: number) => void) =>
      workers.run<{ plaintextBytes: number; encryptedBytes: number }>(
        { kind: 'decrypt', path: `${f.path}.sg`, name: f.name, setId: 's', dataKey: key, out },
        onProgress,
      );
    const done = await decrypt(join(dir, 'big.out'), dataKey, (n) => progress.push(n));
    expect(done).toEqual({ plaintextBytes: plain.length, encryptedBytes: sealed.encryptedBytes });
    expect((await readFile(join(dir, 'big.out'))).equals(plain)).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual((await stat(`${f.path}.sg`)).size);

    await expect(decrypt(join(dir, 'wrong-key.out'), randomBytes(32))).rejects.toMatchObject({
      name: 'IntegrityError',
    });
    const fh = await open(`${f.path}.sg`, 'r+');
    await fh.write(Buffer.from([0x55]), 0, 1, 30 * 1024 * 1024); // inside a segment far from the start
    await fh.close();
    await expect(decrypt(join(dir, 'flipped.out'))).rejects.toThrow(/authentication failed in segment/);
    for (const n of ['wrong-key.out', 'flipped.out'])
      await expect(stat(join(dir, n))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps error classes and errno codes across the thread boundary', async () => {
    const f = await snapshotFile('g.rdb', randomBytes(1000));
    await rename(join(dir, 'g.rdb'), join(dir, 'gone.rdb'));
    await expect(
      workers.run({
        kind: 'encrypt',
        source: f,
        out: join(dir, 'g.sg'),
        context: context('g.rdb'),
        dataKey,
        wrappedKeys,
        segmentSize: 4096,
      }),
    ).rejects.toMatchObject({
      name: 'SourceChangedError',
      message: 'g.rdb vanished before it could be sealed',
    });
    const h = await snapshotFile('h.rdb', randomBytes(1000));
    await expect(
      workers.run({
        kind: 'encrypt',
        source: h,
        out: join(dir, 'no-such-dir', 'h.sg'),
        context: context('h.rdb'),
        dataKey,
        wrappedKeys,
        segmentSize: 4096,
      }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    const k = await snapshotFile('k.rdb', randomBytes(1000));
    await expect(
      workers.run({
        kind: 'decrypt',
        path: join(dir, 'f0.rdb.sg'),
        name: 'f0.rdb',
        setId: 's',
        dataKey: randomBytes(32),
        out: `${k.path}.out`,
      }),
    ).rejects.toMatchObject({ name: 'IntegrityError' });
  });
});

describe('the threads are the process’s', () => {
  const authenticateMissing = (w: FileWorkersType, i: number) =>
    w
      .run({
        kind: 'decrypt',
        path: join(dir, `missing-${i}.sg`),
        name: 'm',
        setId: 's',
        dataKey,
        out: join(dir, `never-${i}`),
      })
      .catch(() => undefined);

  it('a later set reuses the threads of an earlier one instead of starting new ones', async () => {
    const first = new mod.FileWorkers(2);
    await Promise.all([0, 1].map((i) => authenticateMissing(first, i)));
    await first.close();
    const started = mod.pooledThreads();
    expect(started).toBe(2);
    const second = new mod.FileWorkers(2);
    await Promise.all([2, 3].map((i) => authenticateMissing(second, i)));
    await second.close();
    expect(mod.pooledThreads()).toBe(started);
  });

  it('idle threads keep no process alive: it exits once its work is done', async () => {
    const script = `
      const { FileWorkers } = await import(${JSON.stringify(join(PROJECT_ROOT, 'dist/parallel/file-workers.js'))});
      const w = new FileWorkers(2);
      const job = (i) => w.run({ kind: 'decrypt', path: '/nonexistent/' + i, name: 'm', setId: 's', dataKey: new Uint8Array(32), out: '/nonexistent/out' + i });
      const names = await Promise.all([job(0), job(1)].map((p) => p.catch((err) => err.name)));
      await w.close();
      process.stdout.write(names.join(','));
    `;
    // A file, not -e: worker threads inherit the parent's flags, and --input-type would stop them.
    const path = join(dir, 'pool-user.mjs');
    await writeFile(path, script);
    const { stdout } = await promisify(execFile)(process.execPath, [path], { timeout: 30_000 });
    expect(stdout).toBe('UserError,UserError'); // failed in the threads, which outlived their work
  });
});

describe('one file split between real threads', () => {
  it('decrypts into one file with every thread writing its own batches, and reports each batch once', async () => {
    type ParallelFile = typeof import('../../../src/parallel/parallel-file.js');
    type EncryptedFile = typeof import('../../../src/files/encrypted-file.js');
    const pf = (await import(join(PROJECT_ROOT, 'dist/parallel/parallel-file.js'))) as ParallelFile;
    const ef = (await import(join(PROJECT_ROOT, 'dist/files/encrypted-file.js'))) as EncryptedFile;
    const plain = randomBytes(9 * 1024 * 1024 + 3);
    const input = join(dir, 'split.rdb');
    await writeFile(input, plain);
    const target = { context: context('split.rdb'), dataKey, wrappedKeys, segmentSize: 65536 };
    await pf.encryptPathParallel(input, `${input}.sg`, target, { threads: 3 });
    const written: number[] = [];
    const bytes = await pf.decryptPathParallel(
      `${input}.sg`,
      await ef.readHeaderAt(`${input}.sg`),
      dataKey,
      `${input}.out`,
      { threads: 3, what: 'split', onWritten: (index) => written.push(index) },
    );
    expect(bytes).toBe(plain.length);
    expect((await readFile(`${input}.out`)).equals(plain)).toBe(true);
    // 1 MiB batches of 16 segments: 10 batches, each reported once, whatever thread wrote it.
    expect(written.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('seals with read-back on worker threads: this thread reads back, checks and hashes the payload as written', async () => {
    type ParallelFile = typeof import('../../../src/parallel/parallel-file.js');
    const pf = (await import(join(PROJECT_ROOT, 'dist/parallel/parallel-file.js'))) as ParallelFile;
    const input = join(dir, 'split-seal.rdb');
    await writeFile(input, randomBytes(7 * 1024 * 1024 + 11));
    const target = { context: context('split-seal.rdb'), dataKey, wrappedKeys, segmentSize: 65536 };
    for (const threads of [1, 2, 3]) {
      const out = `${input}.${threads}.sg`;
      const r = await pf.encryptPathParallel(input, out, target, { threads, readBack: true });
      const separate = await authenticatePath(out, 'split-seal.rdb', 's', dataKey);
      expect(r.payloadSha256, `${threads} thread(s)`).toBe(separate.payloadSha256);
      expect(r.bytes).toBe(separate.encryptedBytes);
    }
  });
});
