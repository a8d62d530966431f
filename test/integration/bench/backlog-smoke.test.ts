/**
 * Smoke test of bench/backlog.mjs: in --quick mode it runs a real daemon through both backlog cases
 * and the RSS curve, prints both tables with a figure in every row and writes the same figures as
 * JSON. It proves the script works, not that anything is fast: no rate or size is asserted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runBenchScript } from '../../helpers/bench-script.js';
import { PROJECT_ROOT } from '../../helpers/cli.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

it('bench/backlog.mjs --quick prints the rate and RSS tables and writes them as JSON', async () => {
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'sg-backlog-smoke-'));
  const json = join(dir, 'backlog.json');
  const res = await runBenchScript('backlog.mjs', ['--quick', '--dir', dir, '--json', json]);
  expect(res.code, res.stderr).toBe(0);
  for (const n of [20, 60]) {
    expect(res.stdout).toMatch(new RegExp(String.raw`^${n}\s+at start\s+${n}\s+\d+\.\d\s+\d+\.\d$`, 'm'));
    expect(res.stdout).toMatch(
      new RegExp(String.raw`^${n}\s+burst while watching\s+${n}\s+\d+\.\d\s+\d+\.\d$`, 'm'),
    );
  }
  for (const seals of [20, 100, 200])
    expect(res.stdout).toMatch(new RegExp(String.raw`^${seals}\s+\d+\.\d\s`, 'm'));
  expect(res.stdout).toMatch(
    /^peak RSS \d+\.\d MiB; growth 20 → 200 seals: -?\d+\.\d MiB \(target ≤ 16 MiB: (met|missed)\)/m,
  );
  const figures = JSON.parse(await readFile(json, 'utf8')) as {
    backlog: { rates: { sealed: number }[]; rss: { points: { seals: number; rssBytes: number }[] } };
  };
  expect(figures.backlog.rates.map((r) => r.sealed)).toEqual([20, 20, 60, 60]);
  expect(figures.backlog.rss.points.map((p) => p.seals)).toEqual([0, 20, 100, 200]);
  // Only the JSON file is left: every snapshot, store and daemon directory is gone.
  expect(await readdir(dir)).toEqual(['backlog.json']);
});
