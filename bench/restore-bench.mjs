/**
 * Restore: a DFS set (--size in 4 shards + summary) written the way Dragonfly writes it, sealed by
 * `snapshot-guard watch --once`, then restored with the real CLI (`restore --latest --to EMPTY_DIR`);
 * `age -d` of a file of the same size alternates with it, round by round. Wall, CPU and peak RSS.
 * Part of bench/run.mjs (section "restore"); also runs on its own:
 *
 *   . scripts/env.sh && npm run build && node bench/restore-bench.mjs [--size 1GiB] [--runs 3] [--dir /dev/shm]
 *
 * Exit 1 only if a restore fails or its output differs from the input.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSize } from './args.mjs';
import { publishSet, stemFor, writeTmpSet } from './dfs.mjs';
import { makeWorkspace, writeRandomFile } from './files.mjs';
import { capture, measure } from './proc.mjs';
import { fixed, GiB, median, MiB, ratioText, sizeText, verdict } from './stats.mjs';
import { printTable } from './table.mjs';
import { CLI_PATH, makeKeyFile } from './tools.mjs';

const progress = (text) => process.stderr.write(`  ${text}\n`);

async function digests(dir) {
  const out = [];
  for (const name of (await readdir(dir)).filter((n) => !n.startsWith('.')).sort()) {
    const hash = createHash('sha256');
    for await (const c of createReadStream(join(dir, name), { highWaterMark: 16 * MiB })) hash.update(c);
    out.push([name, hash.digest('hex')]);
  }
  return JSON.stringify(out);
}

/** Returns { sg: [{ seconds, cpuSeconds, peakRssBytes }], age: [...] } (age empty when not set up). */
export async function runRestore({ dir, sizeBytes, runs, age, shards = 4, parallelism = 2 }) {
  const source = join(dir, 'restore-source');
  const sealed = join(dir, 'restore-sealed');
  await mkdir(source, { mode: 0o700 });
  const key = await makeKeyFile(dir);
  const agePlain = join(dir, 'restore-age.plain');
  const ageCipher = `${agePlain}.age`;
  try {
    const names = await writeTmpSet(source, stemFor(new Date()), shards, Math.floor(sizeBytes / shards));
    await publishSet(source, names);
    const expected = await digests(source);
    progress('sealing the restore set with watch --once');
    await capture(process.execPath, [
      ...[CLI_PATH, 'watch', '--dir', source, '--out', sealed, '--key-file', key],
      ...['--once', '--metrics-addr', 'off'],
    ]);
    if (age) {
      await writeRandomFile(agePlain, sizeBytes);
      const [cmd, args] = age.encrypt(agePlain, ageCipher);
      await capture(cmd, args);
      await rm(agePlain);
    }
    const sg = [];
    const ages = [];
    const restoreOnce = async (i) => {
      const target = join(dir, `restored-${i}`);
      const m = await measure(
        process.execPath,
        [
          ...[CLI_PATH, 'restore', '--from', sealed, '--latest', '--to', target],
          ...['--key-file', key, '--parallelism', String(parallelism)],
        ],
        { scratchDir: dir },
      );
      if (i === 0 && (await digests(target)) !== expected)
        throw new Error('restored files differ from the snapshot');
      await rm(target, { recursive: true, force: true });
      sg.push(m);
      progress(`restore: ${m.seconds.toFixed(3)} s, CPU ${m.cpuSeconds.toFixed(2)} s`);
    };
    const ageOnce = async () => {
      if (!age) return;
      const [cmd, args] = age.decrypt(ageCipher, join(dir, 'restore-age.out'));
      const m = await measure(cmd, args, { scratchDir: dir });
      await rm(join(dir, 'restore-age.out'), { force: true });
      ages.push(m);
      progress(`age -d: ${m.seconds.toFixed(3)} s`);
    };
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) await restoreOnce(i).then(ageOnce);
      else await ageOnce().then(() => restoreOnce(i));
    }
    return { sg, age: ages };
  } finally {
    for (const p of [source, sealed, agePlain, ageCipher, key]) await rm(p, { recursive: true, force: true });
  }
}

const row = (label, ms, sizeBytes) => {
  const cpu = median(ms.map((m) => m.cpuSeconds));
  return [
    label,
    fixed(median(ms.map((m) => m.seconds)), 3),
    fixed(cpu, 2),
    fixed(cpu / (sizeBytes / GiB), 2),
    sizeText(median(ms.map((m) => m.peakRssBytes))),
  ];
};

export function printRestore({ sg, age }, sizeBytes) {
  const rows = [row(`snapshot-guard restore (4-shard set)`, sg, sizeBytes)];
  if (age.length > 0) rows.push(row('age -d (one file, same size)', age, sizeBytes));
  printTable(['tool', 'seconds', 'CPU s', 'CPU s/GiB', 'peak RSS'], rows);
  const r = median(sg.map((m) => m.seconds)) / median(age.map((m) => m.seconds));
  process.stdout.write(
    `Target: restore ≤ 0.7x age -d wall: ${ratioText(r)}: ${verdict(Number.isFinite(r) ? r <= 0.7 : undefined)}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1GiB' },
      runs: { type: 'string', default: '3' },
      dir: { type: 'string', default: '/dev/shm' },
    },
  });
  const sizeBytes = parseSize(values.size);
  const ws = await makeWorkspace(values.dir);
  const { allTools } = await import('./tools.mjs');
  const age = allTools().find((t) => t.name === 'age');
  try {
    if (age?.missing()) throw new Error('age is not installed');
    await age.setup(ws.path);
    printRestore(await runRestore({ dir: ws.path, sizeBytes, runs: Number(values.runs), age }), sizeBytes);
  } catch (err) {
    process.stderr.write(`restore-bench: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await ws.remove();
  }
}
