/** The daemon seals the oldest waiting snapshot first: the scan lists finished sets oldest first. */
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { scanDirectory } from '../../../src/snapshots/scan.js';
import { writeRdbFile } from '../../helpers/dfs-writer.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('lists finished sets oldest first, whatever their names', async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-order-'));
  const t = Date.now() / 1000;
  for (const [name, age] of [
    ['a.rdb', 10],
    ['b.rdb', 300],
    ['c.rdb', 60],
  ] as const) {
    await writeRdbFile(dir, name, 100);
    await utimes(join(dir, name), t - age, t - age);
  }
  const { sets } = await scanDirectory(dir);
  expect(sets.map((s) => s.files[0]?.name)).toEqual(['b.rdb', 'c.rdb', 'a.rdb']);
});
