/**
 * Restore throughput: a DFS set (default 1 GiB in 4 shards + summary) written the way Dragonfly writes
 * it, sealed by `snapshot-guard watch --once`, then restored with the real CLI
 * (`snapshot-guard restore --latest --to EMPTY_DIR`) under GNU time for the peak RSS. `age -d` on a
 * file of the same size is measured beside it as an anchor (same machine, same moment).
 *
 *   . scripts/env.sh && npm run build && node bench/restore-bench.mjs [--size 1GiB] [--shards 4] [--runs 3] [--dir /dev/shm]
 *
 * Prints figures; never fails because the machine is slow. Exit 1 only if a restore fails or its
 * output differs from the input.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSize } from './args.mjs';
import { publishSet, stemFor, writeTmpSet } from './dfs.mjs';
import { makeWorkspace, writeRandomFile } from './files.mjs';
import { capture, measure, onPath, rssMethod } from './proc.mjs';
import { MiB, fixed, median, sizeText } from './stats.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const CLI = join(ROOT, 'bin', 'snapshot-guard');

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    shards: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    parallelism: { type: 'string', default: '2' },
    dir: { type: 'string', default: '/dev/shm' },
  },
});
const sizeBytes = parseSize(values.size);
const shards = Number(values.shards);
const runs = Number(values.runs);

async function digestOf(path) {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 16 * MiB })) hash.update(c);
  return hash.digest('hex');
}

async function digests(dir) {
  const out = new Map();
  for (const name of (await readdir(dir)).filter((n) => !n.startsWith('.')).sort()) {
    out.set(name, await digestOf(join(dir, name)));
  }
  return out;
}

const rate = (seconds) => `${fixed(sizeBytes / MiB / seconds, 0)} MiB/s`;

async function main() {
  const ws = await makeWorkspace(values.dir);
  try {
    process.stderr.write(`writing a ${sizeText(sizeBytes)} DFS set (${shards} shards) in ${ws.path}\n`);
    const source = join(ws.path, 'dragonfly');
    const sealed = join(ws.path, 'sealed');
    await mkdir(source, { mode: 0o700 });
    const key = join(ws.path, 'key');
    await capture(process.execPath, [CLI, 'keygen', '--out', key]);
    const names = await writeTmpSet(source, stemFor(new Date()), shards, Math.floor(sizeBytes / shards));
    await publishSet(source, names);
    const expected = await digests(source);

    process.stderr.write('sealing it with snapshot-guard watch --once\n');
    await capture(process.execPath, [
      CLI,
      'watch',
      '--dir',
      source,
      '--out',
      sealed,
      '--key-file',
      key,
      '--once',
      '--metrics-addr',
      'off',
    ]);

    const seconds = [];
    const rss = [];
    for (let i = 0; i < runs; i++) {
      const target = join(ws.path, `restored-${i}`);
      process.stderr.write(`restore run ${i + 1}/${runs}\n`);
      const m = await measure(
        process.execPath,
        [
          CLI,
          'restore',
          '--from',
          sealed,
          '--latest',
          '--to',
          target,
          '--key-file',
          key,
          '--parallelism',
          values.parallelism,
        ],
        { scratchDir: ws.path },
      );
      const got = await digests(target);
      if (JSON.stringify([...got]) !== JSON.stringify([...expected]))
        throw new Error('restored files differ from the snapshot');
      seconds.push(m.seconds);
      rss.push(m.peakRssBytes);
      await rm(target, { recursive: true, force: true });
    }

    let age = 'not measured (age not installed)';
    if (onPath('age') && onPath('age-keygen')) {
      const identity = join(ws.path, 'age-identity');
      await writeFile(identity, await capture('age-keygen', []), { mode: 0o600 });
      const recipient = (await capture('age-keygen', ['-y', identity])).trim();
      const plain = join(ws.path, 'age-plain');
      await writeRandomFile(plain, sizeBytes);
      await capture('age', ['-r', recipient, '-o', `${plain}.age`, plain]);
      await rm(plain);
      const ageSeconds = [];
      for (let i = 0; i < runs; i++) {
        const m = await measure(
          'age',
          ['-d', '-i', identity, '-o', join(ws.path, 'age-out'), `${plain}.age`],
          { scratchDir: ws.path },
        );
        ageSeconds.push(m.seconds);
        await rm(join(ws.path, 'age-out'), { force: true });
      }
      age = `median ${fixed(median(ageSeconds))} s → ${rate(median(ageSeconds))}`;
    }

    const t = median(seconds);
    const lines = [
      `restore benchmark, ${new Date().toISOString()}`,
      `  machine      ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      `  set          ${sizeText(sizeBytes)} DFS, ${shards} shards + summary, in ${ws.path}${ws.isTmpfs ? ' (tmpfs)' : ''}`,
      `  restore      median ${fixed(t)} s → ${rate(t)} (wall clock, process start to exit; runs: ${seconds.map((s) => fixed(s)).join(', ')} s)`,
      `  peak RSS     ${sizeText(median(rss))} (median; ${rssMethod})`,
      `  age -d       ${age} (one ${sizeText(sizeBytes)} file, same directory)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await ws.remove();
  }
}

main().catch((err) => {
  process.stderr.write(`restore-bench: ${err.message}\n`);
  process.exit(1);
});
