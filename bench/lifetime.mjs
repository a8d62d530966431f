/**
 * Plaintext lifetime in `watch` against age, and the daemon's memory by snapshot size. The daemon
 * seals a 4-shard DFS set and a single RDB file of --size; age encrypts a file of the same size in
 * the same run, between the sets (so both see the same machine load). The memory curve starts a
 * fresh daemon per size and reads its peak RSS (VmHWM) after it sealed one set of that size.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runDaemon } from './daemon.mjs';
import { writeRandomFile } from './files.mjs';
import { measure } from './proc.mjs';
import { fixed, GiB, median, MiB, ratioText, sizeText, verdict } from './stats.mjs';
import { printTable } from './table.mjs';
import { LIFETIME_VS_AGE_TARGET, WATCH_RSS_TARGET } from './report.mjs';

const progress = (text) => process.stderr.write(`  ${text}\n`);

/** Times `age -e` of a `sizeBytes` random file `runs` times; [] when age is not set up. */
async function ageEncryptTimer(dir, sizeBytes, age) {
  if (!age) return { time: async () => undefined, samples: [], done: async () => undefined };
  const plain = join(dir, 'lifetime.plain');
  const cipher = join(dir, 'lifetime.age');
  await writeRandomFile(plain, sizeBytes);
  const samples = [];
  return {
    samples,
    async time() {
      const [cmd, args] = age.encrypt(plain, cipher);
      const m = await measure(cmd, args, { scratchDir: dir });
      await rm(cipher, { force: true });
      samples.push(m);
      progress(`age -e (same size): ${m.seconds.toFixed(3)} s`);
    },
    done: () => rm(plain, { force: true }),
  };
}

/** Returns { dfs, rdb, age: [{ seconds, cpuSeconds, peakRssBytes }] }. */
export async function runLifetime({ dir, sizeBytes, sets, age }) {
  const timer = await ageEncryptTimer(dir, sizeBytes, age);
  try {
    await timer.time();
    const between = () => timer.time();
    const dfs = await runDaemon({ dir, sizeBytes, sets, kind: 'dfs', between });
    const rdb = await runDaemon({ dir, sizeBytes, sets, kind: 'rdb', between });
    return { dfs, rdb, age: timer.samples };
  } finally {
    await timer.done();
  }
}

/** The sizes of the memory curve: 64 MiB, ×4 up to `maxBytes`, and `maxBytes` itself. */
export function curveSizes(maxBytes) {
  const sizes = [];
  for (let s = 64 * MiB; s < maxBytes; s *= 4) sizes.push(s);
  sizes.push(maxBytes);
  return sizes;
}

/** One fresh daemon per size, one 4-shard set each: [{ sizeBytes, peakRssBytes, seconds, cpuSeconds }]. */
export async function runWatchCurve({ dir, sizes }) {
  const out = [];
  for (const sizeBytes of sizes) {
    progress(`watch memory: one ${sizeText(sizeBytes)} set`);
    const r = await runDaemon({ dir, sizeBytes, sets: 1, label: `curve-${sizeBytes}` });
    const set = r.sets[0];
    out.push({ sizeBytes, peakRssBytes: r.peakRssBytes, seconds: set?.seconds, cpuSeconds: set?.cpuSeconds });
  }
  return out;
}

function lifetimeRow(label, r, sizeBytes, ageSeconds) {
  const t = median(r.sets.map((s) => s.seconds));
  const cpu = median(r.sets.map((s) => s.cpuSeconds));
  return [
    label,
    fixed(t, 3),
    fixed(cpu, 2),
    fixed(cpu / (sizeBytes / GiB), 2),
    sizeText(r.peakRssBytes),
    fixed(ageSeconds, 3),
    ratioText(t / ageSeconds),
  ];
}

export function printLifetime({ dfs, rdb, age }, sizeBytes) {
  const ageSeconds = median(age.map((m) => m.seconds));
  printTable(
    [
      'snapshot',
      'rename → gone, s',
      'daemon CPU s',
      'CPU s/GiB',
      'daemon peak RSS',
      'age -e, s',
      'lifetime ÷ age',
    ],
    [
      lifetimeRow(`4-shard DFS set, ${sizeText(sizeBytes)}`, dfs, sizeBytes, ageSeconds),
      lifetimeRow(`single RDB file, ${sizeText(sizeBytes)}`, rdb, sizeBytes, ageSeconds),
    ],
  );
  for (const [what, r] of [
    ['4-shard set', dfs],
    ['single RDB', rdb],
  ]) {
    const ratio = median(r.sets.map((s) => s.seconds)) / ageSeconds;
    process.stdout.write(
      `Target: plaintext lifetime ≤ ${LIFETIME_VS_AGE_TARGET}x age's encrypt time (${what}): ${ratioText(ratio)}: ${verdict(Number.isFinite(ratio) ? ratio <= LIFETIME_VS_AGE_TARGET : undefined)}\n`,
    );
  }
}

export function printWatchCurve(curve) {
  printTable(
    ['set size', 'daemon peak RSS', 'rename → gone, s', 'daemon CPU s'],
    curve.map((c) => [
      sizeText(c.sizeBytes),
      sizeText(c.peakRssBytes),
      fixed(c.seconds, 3),
      fixed(c.cpuSeconds, 2),
    ]),
  );
  const rss = curve.map((c) => c.peakRssBytes);
  const spread = Math.max(...rss) - Math.min(...rss);
  const at1GiB = curve.filter((c) => c.sizeBytes >= GiB).map((c) => c.peakRssBytes);
  process.stdout.write(
    `Target: watch peak RSS ≤ ${WATCH_RSS_TARGET / MiB} MiB sealing 1 GiB (${at1GiB.length ? sizeText(Math.max(...at1GiB)) : 'n/a'}): ` +
      `${verdict(at1GiB.length ? Math.max(...at1GiB) <= WATCH_RSS_TARGET : undefined)}; flat across sizes: spread ${fixed(spread / MiB, 1)} MiB\n`,
  );
}
