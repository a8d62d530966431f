/**
 * Measurements 3 and 4: a real `snapshot-guard watch` on tmpfs seals 4-shard DFS sets written the way
 * Dragonfly writes them; we time the summary rename → plaintext gone, read the daemon's own figures
 * from its log, scrape /metrics every second meanwhile, and read its peak RSS before stopping it.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishSet, stemFor, writeTmpRdb, writeTmpSet } from './dfs.mjs';
import { cleanEnv, cpuSeconds, peakRss } from './proc.mjs';
import { Scraper } from './scrape.mjs';
import { CLI_PATH, makeKeyFile } from './tools.mjs';

const SHARDS = 4;
const SEALED_MSG = 'sealed snapshot set and removed its plaintext';
const progress = (text) => process.stderr.write(`  ${text}\n`);

/** The running daemon, so an interrupted benchmark (Ctrl-C) can stop it. */
let live;
export function killLiveDaemon() {
  if (live && live.exited === undefined) live.child.kill('SIGTERM');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The watch process with its JSON log lines collected. */
export function startDaemon(args) {
  const child = spawn(process.execPath, [CLI_PATH, 'watch', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(),
  });
  const d = { child, logs: [], stderr: '', exited: undefined };
  let buf = '';
  child.stdout.on('data', (c) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        d.logs.push(JSON.parse(line));
      } catch {
        d.logs.push({ msg: line });
      }
    }
  });
  child.stderr.on('data', (c) => (d.stderr += c.toString()));
  d.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((d.exited = code ?? signal))));
  return d;
}

function describe(d) {
  const tail = d.logs.slice(-5).map((l) => l.msg);
  return `logs: ${tail.join(' | ')}${d.stderr ? `; stderr: ${d.stderr.trim().slice(-500)}` : ''}`;
}

export async function until(check, timeoutMs, what, d, intervalMs = 5) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (d.exited !== undefined)
      throw new Error(`the daemon exited (${d.exited}) before ${what}; ${describe(d)}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; ${describe(d)}`);
    await sleep(intervalMs);
  }
}

const exists = (p) =>
  access(p).then(
    () => true,
    () => false,
  );

export async function stopDaemon(d) {
  if (d.exited !== undefined) return;
  d.child.kill('SIGTERM');
  const code = await Promise.race([d.exit, sleep(60_000, 'timeout', { ref: false })]);
  if (code === 'timeout') {
    d.child.kill('SIGKILL');
    await d.exit;
  }
}

/**
 * Seals `sets` snapshot sets of `sizeBytes` each: 4-shard DFS sets (`kind` "dfs") or single RDB files
 * ("rdb"); `between` (optional) runs after each set, e.g. to time age on the same bytes.
 * Returns { sets: [...], peakRssBytes, cpuSeconds, scrapes, metricsUrl }.
 */
export async function runDaemon({ dir, sizeBytes, sets, kind = 'dfs', label = kind, between }) {
  const dfDir = join(dir, `dragonfly-${label}`);
  const outDir = join(dir, `sealed-${label}`);
  await mkdir(dfDir, { mode: 0o700 });
  await mkdir(outDir, { mode: 0o700 });
  const keyFile = await makeKeyFile(dir);
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // --keep-last 1 keeps tmpfs use bounded (plaintext + staging + one sealed set) as sets pile up.
  const d = (live = startDaemon([
    ...['--dir', dfDir, '--out', outDir, '--key-file', keyFile],
    ...['--metrics-addr', `127.0.0.1:${port}`, '--log-level', 'info', '--keep-last', '1'],
  ]));
  let sealing = false;
  const scraper = new Scraper(metricsUrl, () => sealing);
  const results = [];
  let scrapes;
  let peakRssBytes;
  let cpuTotal;
  const bytesPerShard = Math.floor(sizeBytes / SHARDS);
  // Generous: even a slow shared machine seals faster than 5 MiB/s.
  const sealTimeoutMs = 60_000 + (sizeBytes / (5 * 1024 ** 2)) * 1000;
  try {
    await until(
      () => d.logs.some((l) => l.msg === 'watching for finished snapshots'),
      30_000,
      'it watched',
      d,
    );
    scraper.start();
    const firstStamp = Date.now() - sets * 60_000;
    const cpuAtStart = await cpuSeconds(d.child.pid);
    for (let k = 0; k < sets; k++) {
      const stem = stemFor(new Date(firstStamp + k * 60_000));
      const names =
        kind === 'rdb'
          ? await writeTmpRdb(dfDir, stem, sizeBytes)
          : await writeTmpSet(dfDir, stem, SHARDS, bytesPerShard);
      const cpuBefore = await cpuSeconds(d.child.pid);
      sealing = true;
      const renamedAt = await publishSet(dfDir, names);
      await until(
        // Gone means gone: also the hidden ".NAME.sg-shred" copy a shred works on until it is overwritten.
        async () =>
          !(
            await Promise.all(
              names.flatMap((n) => [exists(join(dfDir, n)), exists(join(dfDir, `.${n}.sg-shred`))]),
            )
          ).some(Boolean),
        sealTimeoutMs,
        `the plaintext of set ${k + 1} to go`,
        d,
      );
      const goneAt = performance.now();
      sealing = false;
      const log = await until(
        () => d.logs.filter((l) => l.msg === SEALED_MSG)[k],
        60_000,
        `the log line of set ${k + 1}`,
        d,
        20,
      );
      results.push({
        cpuSeconds: (await cpuSeconds(d.child.pid)) - cpuBefore,
        seconds: (goneAt - renamedAt) / 1000,
        daemonSeconds: log.seconds,
        lifetimeSeconds: log.plaintextLifetimeSeconds,
        bytes: log.bytes,
      });
      progress(
        `${kind} set ${k + 1}/${sets}: plaintext gone ${((goneAt - renamedAt) / 1000).toFixed(3)} s after the rename`,
      );
      await between?.(k);
    }
    peakRssBytes = await peakRss(d.child.pid);
    cpuTotal = (await cpuSeconds(d.child.pid)) - cpuAtStart;
  } finally {
    scrapes = await scraper.stop();
    await stopDaemon(d);
    await rm(dfDir, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
  }
  return { sets: results, peakRssBytes, cpuSeconds: cpuTotal, scrapes, metricsUrl };
}
