/**
 * Smoke test of bench/chain-reads.mjs on a local store of three sealed sets: it follows the chain both
 * ways and prints both timings. It proves the script works, not that anything is fast.
 */
import { afterEach, expect, it } from 'vitest';
import { runBenchScript } from '../../helpers/bench-script.js';
import { restoreWorkspace, sealDfs, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

it('bench/chain-reads.mjs prints one-at-a-time and concurrent timings for every set', async () => {
  ws = await restoreWorkspace();
  for (const t of [0, 60, 120]) await sealDfs(ws, { shards: 1, timeSeconds: 1_790_000_000 + t });
  const res = await runBenchScript('chain-reads.mjs', ['--from', ws.sealed, '--runs', '1']);
  expect(res.code, res.stderr).toBe(0);
  expect(res.stdout).toContain(`${ws.sealed}: 3 sets, median of 1`);
  expect(res.stdout).toMatch(/^reads one at a time\s+\d+\.\d{3} s$/m);
  expect(res.stdout).toMatch(/^reads 8 at a time\s+\d+\.\d{3} s {2}\(\d+\.\d× faster\)$/m);

  const bad = await runBenchScript('chain-reads.mjs', ['--runs', '1']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--from is required');
});
