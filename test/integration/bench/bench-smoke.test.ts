/**
 * Smoke test of the benchmark script (bench/run.mjs): in --quick mode it runs every encryptor on a
 * 64 MiB file and prints a table with a figure in every row. It proves the script works, not that
 * anything is fast: no timing is asserted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchScript } from '../../helpers/bench-script.js';
import { PROJECT_ROOT } from '../../helpers/cli.js';

const NUM = String.raw`\d+\.\d+`;
/**
 * A table row: operation, output, tool, seconds, CPU seconds, CPU seconds per GiB, MiB/s, GiB/s,
 * peak RSS, then the ratio snapshot-guard ÷ tool (none on snapshot-guard's own rows).
 */
const row = (op: string, output: string, tool: string, ratio = '') =>
  new RegExp(
    String.raw`^${op}\s+${output}\s+${tool}\s+${NUM}\s+${NUM}\s+${NUM}\s+${NUM}\s+${NUM}\s+${NUM} MiB` +
      (ratio ? String.raw`\s+${ratio}$` : '$'),
    'm',
  );
const RATIO = String.raw`${NUM}x`;

interface Summary {
  wallSeconds: number;
  cpuSeconds: number;
  cpuSecondsPerGiB: number;
  peakRssBytes: number;
}
interface Figures {
  meta: { sizeBytes: number; loadAverage: { start: number[] } };
  oneShot: {
    tools: Record<string, Record<string, Summary | undefined> | undefined>;
    sgOverTool: Record<string, Record<string, object> | undefined>;
  } | null;
  memory: unknown;
  lifetime: unknown;
  watchMemoryCurve: unknown;
  restore: unknown;
  backlog: unknown;
}

let dir: string | undefined;
let jsonDir: string | undefined;
afterEach(async () => {
  for (const d of [dir, jsonDir]) if (d) await rm(d, { recursive: true, force: true });
  dir = undefined;
  jsonDir = undefined;
});

describe('bench/run.mjs --quick', () => {
  it('prints throughput, peak RSS and ratios for snapshot-guard and the tools it is compared with', async () => {
    if (!existsSync(join(PROJECT_ROOT, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/cli/main.js is missing: run `npm run build` first');
    }
    dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'sg-bench-smoke-'));
    jsonDir = await mkdtemp(join(tmpdir(), 'sg-bench-json-'));
    const json = join(jsonDir, 'figures.json');
    const res = await runBenchScript('run.mjs', [
      '--quick',
      '--only',
      'encrypt,decrypt',
      '--dir',
      dir,
      '--json',
      json,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const out = res.stdout;
    expect(out).toMatch(/64\.0 MiB of random bytes/);
    expect(out).toMatch(row('encrypt', 'tmpfs file', 'snapshot-guard'));
    expect(out).toMatch(row('encrypt', '/dev/null', 'snapshot-guard'));
    expect(out).toMatch(row('decrypt', 'tmpfs file', 'snapshot-guard'));
    // The single-threaded streaming path is measured beside the default (threads for large files).
    expect(out).toMatch(row('encrypt', 'tmpfs file', 'snapshot-guard --threads 1', RATIO));
    expect(out).toMatch(row('decrypt', 'tmpfs file', 'snapshot-guard --threads 1', RATIO));
    // age is a system dependency of the suite (scripts/install-system-deps.sh), so it must be compared.
    expect(out).toMatch(row('encrypt', 'tmpfs file', 'age', RATIO));
    expect(out).toMatch(row('encrypt', '/dev/null', 'age', RATIO));
    expect(out).toMatch(row('decrypt', 'tmpfs file', 'age', RATIO));
    // snapshot-guard's stdout mode goes through its spool (in the scratch directory, gone afterwards).
    expect(out).toMatch(row('decrypt', '/dev/null', 'snapshot-guard'));
    expect(out).toMatch(row('decrypt', '/dev/null', 'age', RATIO));
    expect(out).toMatch(row('encrypt', 'tmpfs file', 'openssl enc -aes-256-ctr', RATIO));
    expect(out).toMatch(row('decrypt', 'tmpfs file', 'gpg --symmetric', RATIO));
    expect(out).toMatch(/^ {2}encrypt → tmpfs file: .*: target (met|missed)$/m);
    expect(out).toMatch(/^ {2}decrypt → tmpfs file: .*: target (met|missed)$/m);
    expect(out).toMatch(
      /^ {2}encrypt → tmpfs file: CPU \d+\.\d+ s\/GiB .*peak RSS .*: target (met|missed)\)$/m,
    );
    // Only the requested sections ran, and the scratch files are gone.
    expect(out).not.toMatch(/Daemon:|Memory flatness/);
    expect(await readdir(dir)).toEqual([]);

    // --json: every figure, medians with their samples; sections that did not run are null.
    const doc = JSON.parse(await readFile(json, 'utf8')) as Figures;
    expect(Object.keys(doc)).toEqual([
      'meta',
      'gcmCoreBytesPerSecond',
      'oneShot',
      'memory',
      'lifetime',
      'metrics',
      'watchMemoryCurve',
      'restore',
      'backlog',
    ]);
    expect(doc.backlog).toBeNull(); // optional section (--only backlog), not run here
    expect(doc.meta.sizeBytes).toBe(64 * 1024 * 1024);
    expect(doc.meta.loadAverage.start).toHaveLength(3);
    const enc = doc.oneShot?.tools['snapshot-guard']?.['encrypt:file'];
    expect(Object.keys(enc ?? {})).toEqual([
      'wallSeconds',
      'cpuSeconds',
      'cpuSecondsPerGiB',
      'peakRssBytes',
      'samples',
    ]);
    expect(enc?.wallSeconds).toBeGreaterThan(0);
    expect(enc?.peakRssBytes).toBeGreaterThan(0);
    expect(doc.oneShot?.tools.age?.['decrypt:file']?.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(Object.keys(doc.oneShot?.sgOverTool['encrypt:file']?.age ?? {})).toEqual([
      'wall',
      'cpu',
      'peakRss',
    ]);
    expect([doc.memory, doc.lifetime, doc.watchMemoryCurve, doc.restore]).toEqual([null, null, null, null]);
  });
});
