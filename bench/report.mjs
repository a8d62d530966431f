/** Turns the measurements into the tables and verdicts printed on stdout. */
import { printTable } from './table.mjs';
import { fixed, GiB, median, MiB, ratioText, sizeText, verdict } from './stats.mjs';

const SG = 'snapshot-guard';
const CASES = [
  ['encrypt:file', 'encrypt', 'tmpfs file'],
  ['encrypt:null', 'encrypt', '/dev/null'],
  ['decrypt:file', 'decrypt', 'tmpfs file'],
  ['decrypt:null', 'decrypt', '/dev/null'],
];

/** Median throughput (bytes/s) of one tool in one case, NaN when not measured. */
export function throughput(samples, tool, kase, sizeBytes) {
  const s = samples?.get(tool, kase);
  return s ? sizeBytes / median(s.seconds) : NaN;
}

export function printOneShot({ samples, failures, skipped, tools, sizeBytes, gcmCore }) {
  const rows = [];
  for (const [kase, op, output] of CASES) {
    const sg = throughput(samples, SG, kase, sizeBytes);
    for (const t of tools) {
      const s = samples.get(t.name, kase);
      if (!s) continue;
      const bps = sizeBytes / median(s.seconds);
      const cpu = median(s.cpuSeconds);
      rows.push([
        op,
        output,
        t.context ? `${t.name} (context)` : t.name,
        fixed(median(s.seconds), 3),
        fixed(cpu, 2),
        fixed(cpu / (sizeBytes / GiB), 2),
        fixed(bps / MiB, 1),
        fixed(bps / GiB, 2),
        sizeText(median(s.peakRssBytes)),
        t.name === SG ? '' : ratioText(sg / bps),
      ]);
    }
  }
  printTable(
    [
      'operation',
      'output',
      'tool',
      'seconds',
      'CPU s',
      'CPU s/GiB',
      'MiB/s',
      'GiB/s',
      'peak RSS',
      'sg ÷ tool',
    ],
    rows,
  );
  for (const [name, why] of [...skipped, ...failures])
    process.stdout.write(`${name}: not measured (${why})\n`);
  if (Number.isFinite(gcmCore)) {
    const sgNull = throughput(samples, SG, 'encrypt:null', sizeBytes);
    process.stdout.write(
      `snapshot-guard encrypt → /dev/null runs at ${fixed((100 * sgNull) / gcmCore, 0)}% of OpenSSL's ` +
        `single-core AES-256-GCM speed\n`,
    );
  }
  printTargets(samples, sizeBytes);
}

function printTargets(samples, sizeBytes) {
  const lines = [];
  for (const [kase, op, output] of CASES) {
    const sg = throughput(samples, SG, kase, sizeBytes);
    const age = throughput(samples, 'age', kase, sizeBytes);
    if (!Number.isFinite(sg) || !Number.isFinite(age)) continue;
    lines.push(
      `${op} → ${output}: snapshot-guard ${fixed(sg / MiB, 0)} MiB/s vs age ${fixed(age / MiB, 0)} MiB/s ` +
        `(${ratioText(sg / age)}): ${verdict(sg >= age)}`,
    );
  }
  if (lines.length === 0) return;
  process.stdout.write(`Target: encryption and decryption at least as fast as age on the same file\n`);
  for (const l of lines) process.stdout.write(`  ${l}\n`);
  const stricter = [];
  for (const [kase, op, output] of CASES) {
    const sg = samples.get(SG, kase);
    const age = samples.get('age', kase);
    if (!sg) continue;
    const perGiB = median(sg.cpuSeconds) / (sizeBytes / GiB);
    const rss = median(sg.peakRssBytes);
    let line = `${op} → ${output}: CPU ${fixed(perGiB, 2)} s/GiB (≤ ${CPU_PER_GIB_TARGET}: ${verdict(perGiB <= CPU_PER_GIB_TARGET)})`;
    if (age) {
      const r = median(sg.seconds) / median(age.seconds);
      line += `; wall ${ratioText(r)} age's (≤ ${WALL_VS_AGE_TARGET}x: ${verdict(r <= WALL_VS_AGE_TARGET)})`;
    }
    line += `; peak RSS ${sizeText(rss)} (≤ ${ONE_SHOT_RSS_TARGET / MiB} MiB: ${verdict(rss <= ONE_SHOT_RSS_TARGET)})`;
    stricter.push(line);
  }
  process.stdout.write(
    `Targets (issue 16): CPU per GiB ≤ ${CPU_PER_GIB_TARGET} s, wall ≤ ${WALL_VS_AGE_TARGET}x age, one-shot peak RSS ≤ ${ONE_SHOT_RSS_TARGET / MiB} MiB\n`,
  );
  for (const l of stricter) process.stdout.write(`  ${l}\n`);
}

export const CPU_PER_GIB_TARGET = 0.6;
export const WALL_VS_AGE_TARGET = 0.7;
export const ONE_SHOT_RSS_TARGET = 80 * MiB;
export const LIFETIME_VS_AGE_TARGET = 1.2;
export const WATCH_RSS_TARGET = 128 * MiB;

/** Memory is "flat" when the big file needs at most this much more than the 4 MiB file. */
export const FLAT_MARGIN_BYTES = 16 * MiB;

export function printMemory({ samples, midBytes, baselineRssBytes }, sizeBytes) {
  const rows = [];
  const verdicts = [];
  for (const [kase, op] of [
    ['encrypt:file', 'encrypt'],
    ['decrypt:file', 'decrypt'],
  ]) {
    const rss = (label) => median(samples.get(label, kase)?.peakRssBytes ?? []);
    const diff = rss('big') - rss('4MiB');
    rows.push([
      op,
      sizeText(rss('4MiB')),
      ...(midBytes ? [sizeText(rss('mid'))] : []),
      sizeText(rss('big')),
      `${diff >= 0 ? '+' : ''}${fixed(diff / MiB, 1)} MiB`,
      fixed(median(samples.get('4MiB', kase)?.seconds ?? []), 3),
    ]);
    verdicts.push(Number.isFinite(diff) ? diff <= FLAT_MARGIN_BYTES : undefined);
  }
  printTable(
    [
      'operation',
      '4 MiB file',
      ...(midBytes ? [`${sizeText(midBytes)} file`] : []),
      `${sizeText(sizeBytes)} file`,
      `difference ${sizeText(sizeBytes)} − 4 MiB`,
      'seconds, 4 MiB file',
    ],
    rows,
  );
  process.stdout.write(
    `snapshot-guard --version alone peaks at ${sizeText(baselineRssBytes)} (loading the program); ` +
      `the 4 MiB times are mostly start-up cost\n`,
  );
  const met = verdicts.includes(undefined) ? undefined : verdicts.every(Boolean);
  process.stdout.write(
    `Target: memory flat in the file's size (the big file needs at most ${FLAT_MARGIN_BYTES / MiB} MiB more ` +
      `than the 4 MiB one): ${verdict(met)}\n`,
  );
}

export function printDaemon({ sets, peakRssBytes }, sizeBytes, oneShotEncrypt) {
  const rows = sets.map((s, i) => [
    String(i + 1),
    fixed(s.seconds, 3),
    fixed(sizeBytes / s.seconds / MiB, 1),
    fixed(sizeBytes / s.seconds / GiB, 2),
    fixed(s.daemonSeconds, 3),
    fixed(s.lifetimeSeconds, 3),
  ]);
  const med = median(sets.map((s) => s.seconds));
  rows.push([
    'median',
    fixed(med, 3),
    fixed(sizeBytes / med / MiB, 1),
    fixed(sizeBytes / med / GiB, 2),
    fixed(median(sets.map((s) => s.daemonSeconds)), 3),
    fixed(median(sets.map((s) => s.lifetimeSeconds)), 3),
  ]);
  printTable(
    [
      'set',
      'rename → gone, s',
      'effective MiB/s',
      'GiB/s',
      'daemon "seconds"',
      'daemon "plaintextLifetimeSeconds"',
    ],
    rows,
  );
  process.stdout.write(`daemon peak RSS (VmHWM before SIGTERM): ${sizeText(peakRssBytes)}\n`);
  const ideal = sizeBytes / oneShotEncrypt;
  if (Number.isFinite(ideal)) {
    process.stdout.write(
      `Target: plaintext lifetime close to size ÷ throughput (${fixed(ideal, 3)} s at the one-shot encrypt ` +
        `speed; "close" = within 2x): measured ${fixed(med, 3)} s = ${ratioText(med / ideal)}: ${verdict(med <= 2 * ideal)}\n`,
    );
  } else {
    process.stdout.write(
      'Target: plaintext lifetime close to size ÷ throughput: n/a (run the encrypt section too)\n',
    );
  }
}

function latencyRow(label, scrapes) {
  const ms = scrapes.filter((s) => s.ok).map((s) => s.ms);
  return [
    label,
    String(scrapes.length),
    String(ms.length),
    fixed(Math.min(...ms), 1),
    fixed(median(ms), 1),
    fixed(Math.max(...ms), 1),
  ];
}

export function printMetrics({ scrapes, metricsUrl }) {
  const ok = scrapes.filter((s) => s.ok);
  if (ok.length === 0) {
    const why = scrapes.find((s) => s.error)?.error ?? 'no scrape was made';
    process.stdout.write(`/metrics: not available (${metricsUrl}: ${why})\n`);
    return;
  }
  printTable(
    ['scrapes', 'count', 'answered 200', 'min ms', 'median ms', 'max ms'],
    [
      latencyRow(
        'while sealing',
        scrapes.filter((s) => s.sealing),
      ),
      latencyRow('all', scrapes),
    ],
  );
}
