#!/usr/bin/env node
/**
 * The daemon under load: a real `snapshot-guard watch --keep-last 10` on tmpfs seals small (2–20 KB)
 * RDB snapshots that are renamed into its --dir from a directory beside it (as Dragonfly renames its
 * temporary file). Two curves (bench/README.md, "Backlog"):
 *  - sets sealed per second with N waiting: found at start, or arriving in one burst while watching;
 *  - the daemon's RSS after 100, 1,000 and 10,000 small seals (fed in batches while watching).
 * Rates come from the daemon's own log times (first to last seal), so process start is not counted.
 * Runs from bench/run.mjs (`--only backlog`) or alone: node bench/backlog.mjs [--quick] [--json FILE].
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startDaemon, stopDaemon, until } from './daemon.mjs';
import { fixed } from './stats.mjs';
import { heading, printTable } from './table.mjs';
import { makeKeyFile } from './tools.mjs';

const SEALED_MSG = 'sealed snapshot set and removed its plaintext';
const WATCHING_MSG = 'watching for finished snapshots';
const FULL = { waiting: [200, 1000, 3000], rssAt: [100, 1000, 10_000], batch: 100 };
const QUICK = { waiting: [20, 60], rssAt: [20, 100, 200], batch: 20 };
/** A case that does not finish in this time is reported with the sets sealed so far. */
const CASE_TIMEOUT_MS = 600_000;
/** RSS is read this long after the N-th seal, with the daemon idle. */
const SETTLE_MS = 2000;
const progress = (text) => process.stderr.write(`  ${text}\n`);

/** A minimal RDB file: magic, one aux field, SELECTDB, random bytes as records, EOF and checksum. */
function rdbBytes() {
  const body = randomBytes(2048 + Math.floor(Math.random() * 18 * 1024));
  const aux = Buffer.concat([
    Buffer.from([0xfa, 9]),
    Buffer.from('redis-ver'),
    Buffer.from([5]),
    Buffer.from('7.4.0'),
  ]);
  return Buffer.concat([
    Buffer.from('REDIS0012'),
    aux,
    Buffer.from([0xfe, 0]),
    body,
    Buffer.from([0xff]),
    Buffer.alloc(8),
  ]);
}

let serial = 0;
/** Writes `n` snapshots into `staging` (not watched); returns their names. */
async function writeSnapshots(staging, n) {
  const names = [];
  for (let i = 0; i < n; i++) {
    const name = `dump-${String(serial++).padStart(6, '0')}.rdb`;
    await writeFile(join(staging, name), rdbBytes(), { mode: 0o600 });
    names.push(name);
  }
  return names;
}

async function moveIn(staging, dir, names) {
  for (const name of names) await rename(join(staging, name), join(dir, name));
}

/** Follows the daemon's log: how many sets it sealed, and the log time of each. */
function sealTimes(d) {
  let cursor = 0;
  const times = [];
  return () => {
    for (; cursor < d.logs.length; cursor++)
      if (d.logs[cursor].msg === SEALED_MSG) times.push(Date.parse(d.logs[cursor].time));
    return times;
  };
}

/** V8's heap and the memory outside it, from the daemon's own /metrics (prom-client's nodejs_*). */
async function heapFigures(metricsAddr) {
  const text = await fetch(`http://${metricsAddr}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const get = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    heapUsedBytes: get('nodejs_heap_size_used_bytes'),
    heapTotalBytes: get('nodejs_heap_size_total_bytes'),
    externalBytes: get('nodejs_external_memory_bytes'),
  };
}

async function vmRss(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** A fresh --dir, staging directory and store; the daemon started on them (after `before`). */
async function withDaemon(root, before, body) {
  const base = await mkdtemp(join(root, 'backlog-'));
  const [dir, staging, out] = ['dragonfly', 'incoming', 'sealed'].map((s) => join(base, s));
  for (const p of [dir, staging, out]) await mkdir(p, { mode: 0o700 });
  await before({ dir, staging });
  const keyFile = await makeKeyFile(base);
  const startedAt = Date.now();
  const metrics = `127.0.0.1:${await freePort()}`;
  const d = startDaemon([
    ...['--dir', dir, '--out', out, '--key-file', keyFile, '--keep-last', '10', '--metrics-addr', metrics],
  ]);
  try {
    await until(() => d.logs.some((l) => l.msg === WATCHING_MSG), 120_000, 'it watched', d, 20);
    return await body({ d, dir, staging, sealed: sealTimes(d), startedAt, metrics });
  } finally {
    await stopDaemon(d);
    await rm(base, { recursive: true, force: true });
  }
}

/** Waits until `n` sets are sealed or the case times out; returns the seal times seen. */
async function sealedUpTo(sealed, n, d, deadline) {
  await until(
    () => sealed().length >= n || Date.now() > deadline,
    CASE_TIMEOUT_MS + 60_000,
    `${n} seals`,
    d,
    20,
  );
  return sealed();
}

function rateOf(times, n, t0) {
  const done = times.length;
  const span = (times[done - 1] - times[0]) / 1000;
  return {
    n,
    sealed: done,
    perSecond: done > 1 ? (done - 1) / span : NaN,
    totalSeconds: done > 0 ? (times[done - 1] - t0) / 1000 : NaN,
  };
}

async function atStart(root, n) {
  let names;
  return withDaemon(
    root,
    async ({ dir, staging }) => {
      names = await writeSnapshots(staging, n);
      await moveIn(staging, dir, names);
    },
    async ({ d, sealed, startedAt }) => {
      const times = await sealedUpTo(sealed, n, d, Date.now() + CASE_TIMEOUT_MS);
      return rateOf(times, n, startedAt);
    },
  );
}

async function inBurst(root, n) {
  return withDaemon(
    root,
    async () => {},
    async ({ d, dir, staging, sealed }) => {
      const names = await writeSnapshots(staging, n);
      const t0 = Date.now();
      await moveIn(staging, dir, names);
      const burstSeconds = (Date.now() - t0) / 1000;
      const times = await sealedUpTo(sealed, n, d, Date.now() + CASE_TIMEOUT_MS);
      return { ...rateOf(times, n, t0), burstSeconds };
    },
  );
}

/** Feeds batches while watching; VmRSS when the sealed count reaches each of `rssAt`. */
async function rssCurve(root, rssAt, batch) {
  return withDaemon(
    root,
    async () => {},
    async ({ d, dir, staging, sealed, metrics }) => {
      const point = async (seals) => ({
        seals,
        rssBytes: await vmRss(d.child.pid),
        ...(await heapFigures(metrics)),
      });
      const points = [await point(0)];
      const deadline = Date.now() + CASE_TIMEOUT_MS;
      let fed = 0;
      for (const target of rssAt) {
        while (fed < target && Date.now() < deadline) {
          const k = Math.min(batch, target - fed);
          await moveIn(staging, dir, await writeSnapshots(staging, k));
          fed += k;
          await sealedUpTo(sealed, fed, d, deadline);
        }
        // At rest: the daemon hands memory back once idle for a second (src/seal/watcher.ts).
        await sleep(SETTLE_MS);
        const done = sealed().length;
        points.push(await point(done));
        progress(`rss: ${done} seals, VmRSS ${fixed(points.at(-1).rssBytes / 2 ** 20, 1)} MiB`);
        if (done < target) break;
      }
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile(`/proc/${d.child.pid}/status`, 'utf8'));
      return { points, peakRssBytes: hwm ? Number(hwm[1]) * 1024 : NaN };
    },
  );
}

/** `waiting`/`rssAt` replace the plan's counts (an empty list skips that part). */
export async function runBacklog({ dir, quick = false, waiting, rssAt }) {
  const plan = { ...(quick ? QUICK : FULL), ...(waiting ? { waiting } : {}), ...(rssAt ? { rssAt } : {}) };
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const result = { quick, loadBefore: load(), rates: [], rss: undefined };
  for (const n of plan.waiting) {
    for (const [mode, run] of [
      ['at start', atStart],
      ['burst while watching', inBurst],
    ]) {
      progress(`backlog: ${n} snapshots ${mode} …`);
      const r = await run(dir, n);
      result.rates.push({ mode, ...r });
      progress(`  ${r.sealed}/${n} sealed, ${fixed(r.perSecond, 1)} sets/s`);
    }
  }
  if (plan.rssAt.length > 0) {
    progress(`backlog: RSS over ${plan.rssAt.at(-1)} small seals …`);
    result.rss = await rssCurve(dir, plan.rssAt, plan.batch);
  }
  result.loadAfter = load();
  return result;
}

export function printBacklog(r, out = process.stdout) {
  heading('Backlog: small RDB snapshots, watch --keep-last 10, sets sealed per second with N waiting', out);
  printTable(
    ['N waiting', 'arrived', 'sealed', 'sets/s (first→last seal)', 'all sealed after, s'],
    r.rates.map((x) => [
      String(x.n),
      x.mode,
      String(x.sealed),
      fixed(x.perSecond, 1),
      fixed(x.totalSeconds, 1),
    ]),
    out,
  );
  if (!r.rss) return;
  heading('Backlog: daemon RSS by number of small seals (VmRSS)', out);
  const first = r.rss.points.find((p) => p.seals > 0);
  printTable(
    ['seals', 'VmRSS MiB', 'vs first point MiB', 'V8 heap used / total MiB', 'external MiB'],
    r.rss.points.map((p) => [
      String(p.seals),
      fixed(p.rssBytes / 2 ** 20, 1),
      p === first || p.seals === 0 ? '' : fixed((p.rssBytes - first.rssBytes) / 2 ** 20, 1),
      `${fixed(p.heapUsedBytes / 2 ** 20, 1)} / ${fixed(p.heapTotalBytes / 2 ** 20, 1)}`,
      fixed(p.externalBytes / 2 ** 20, 1),
    ]),
    out,
  );
  const last = r.rss.points.at(-1);
  const growth = (last.rssBytes - first.rssBytes) / 2 ** 20;
  out.write(
    `peak RSS ${fixed(r.rss.peakRssBytes / 2 ** 20, 1)} MiB; growth ${first.seals} → ${last.seals} seals: ` +
      `${fixed(growth, 1)} MiB (target ≤ 16 MiB: ${growth <= 16 ? 'met' : 'missed'}); ` +
      `load average ${r.loadBefore} before, ${r.loadAfter} after\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '/dev/shm' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      waiting: { type: 'string' },
      seals: { type: 'string' },
    },
  });
  const list = (text) => (text === undefined ? undefined : text.split(',').filter(Boolean).map(Number));
  const root = await mkdtemp(join(values.dir, 'sg-bench-'));
  try {
    const r = await runBacklog({
      dir: root,
      quick: values.quick,
      waiting: list(values.waiting),
      rssAt: list(values.seals),
    });
    printBacklog(r);
    if (values.json) await writeFile(values.json, `${JSON.stringify({ backlog: r }, null, 2)}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
