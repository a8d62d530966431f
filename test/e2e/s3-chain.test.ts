/**
 * The chain of sealed sets in a Ceph bucket under Object Lock: locked objects cannot be deleted, but a
 * plain DELETE of a set's commit object (a delete marker, which Object Lock allows) still hides the set.
 * `verify --all --from s3://…` reports the set missing from the middle of the chain and exits 3, `list`
 * shows it; `restore --latest --max-age` refuses when the newest set in the bucket is too old.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ceph, newBucket, type Ceph } from '../helpers/ceph.js';
import { writeRdbFile } from '../helpers/dfs-writer.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';
import { setIdFor } from '../../src/store/names.js';

let c: Ceph;
let ws: Workspace;
beforeAll(async () => {
  c = await ceph();
  ws = await workspace();
}, 240_000);
afterAll(async () => {
  await ws?.cleanup();
});

it('a set hidden from the middle of the chain in a locked bucket is reported; --max-age refuses a stale newest set', async () => {
  const bucket = await newBucket(c, { lock: true });
  const url = `s3://${bucket}/chain`;
  const args = ws.args('--once', '--instance', 'db', '--object-lock-days', '1');
  args[args.indexOf('--out') + 1] = url;
  const base = Math.floor(Date.now() / 1000) - 3 * 3600;
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    await writeRdbFile(ws.df, 'dump.rdb', 20_000);
    await utimes(join(ws.df, 'dump.rdb'), base + i * 60, base + i * 60);
    const r = await runCli(['watch', ...args], { env: c.env });
    expect(r.code, r.stderr).toBe(0);
    ids.push(setIdFor((base + i * 60) * 1000, 'dump'));
  }
  const [a, b, cc] = ids;
  const from = ['--from', url, '--instance', 'db'];
  let r = await runCli(['verify', ...from, '--all', '--key-file', ws.keyFile], { env: c.env });
  expect(r.code, r.stdout.toString() + r.stderr).toBe(0);

  // Object Lock keeps the objects, but a plain DELETE of the commit object hides the set.
  await c.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `chain/db/${b}.commit` }));
  r = await runCli(['verify', ...from, '--all', '--key-file', ws.keyFile], { env: c.env });
  expect(r.code).toBe(3);
  const chain = r.stdout
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('CHAIN'));
  expect(chain).toHaveLength(1);
  expect(chain[0]).toContain(
    `CHAIN   ${cc}  set ${cc} names ${b} as the set sealed before it, but ${b} is gone`,
  );
  expect(chain[0]).toContain(`(newest ${a})`);
  expect(r.stderr).toContain('1 broken link(s) in the chain of sealed sets');

  r = await runCli(['list', ...from], { env: c.env });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.toString()).toContain(
    `CHAIN BROKEN (from set.json, not authenticated): set ${cc} names ${b}`,
  );

  // The newest set left is three hours old: a rollback (or stopped sealing) that --max-age notices.
  const target = join(ws.root, 'restored');
  r = await runCli(
    ['restore', ...from, '--latest', '--max-age', '1h', '--to', target, '--key-file', ws.keyFile],
    {
      env: c.env,
    },
  );
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`refusing to restore: the newest sealed set ${cc} is a snapshot of`);
});
