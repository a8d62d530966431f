/**
 * File jobs in real worker threads (the compiled dist/ build, as the daemon runs them): results and
 * errors cross the thread boundary with their class names and errno codes intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, stat, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import type { FileWorkers as FileWorkersType } from '../../../src/parallel/file-workers.js';
import type { SnapshotFile } from '../../../src/snapshots/scan.js';

let dir: string;
let workers: FileWorkersType;
const dataKey = randomBytes(32);
const wrappedKeys = [{ provider: 'local', keyId: 'test', blob: randomBytes(60) }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-workers-'));
  const mod = (await import(join(PROJECT_ROOT, 'dist/parallel/file-workers.js'))) as {
    FileWorkers: typeof FileWorkersType;
  };
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
  it('encrypts and authenticates files in parallel workers', async () => {
    const files = await Promise.all(
      [0, 1, 2].map((i) => snapshotFile(`f${i}.rdb`, randomBytes(300_000 + i))),
    );
    await Promise.all(
      files.map((f) =>
        workers.run({
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
    const checked = await Promise.all(
      files.map((f) =>
        workers.run<{ plaintextBytes: number; payloadSha256: string }>({
          kind: 'authenticate',
          path: `${f.path}.sg`,
          name: f.name,
          setId: 's',
          dataKey,
        }),
      ),
    );
    expect(checked.map((c) => c.plaintextBytes)).toEqual([300_000, 300_001, 300_002]);
    for (const c of checked) expect(c.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
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
    await expect(
      workers.run({
        kind: 'authenticate',
        path: join(dir, 'f0.rdb.sg'),
        name: 'f0.rdb',
        setId: 's',
        dataKey: randomBytes(32),
      }),
    ).rejects.toMatchObject({ name: 'IntegrityError' });
  });
});
