/** A description of the machine and tools, printed above the figures so runs can be compared. */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { rssMethod } from './proc.mjs';
import { packageEnvironment } from './tools.mjs';
import { GiB, sizeText } from './stats.mjs';

function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

/**
 * DAMON's "pageout" scheme (seen on these virtual machines) hands memory that has been free for a
 * while back to the host, and the next touch of it costs about 2.7 s of system time per GiB instead
 * of 0.3: writing files into tmpfs then swings by several times from run to run.
 */
function damonPageout() {
  const root = '/sys/kernel/mm/damon/admin/kdamonds';
  try {
    const n = Number(readFileSync(`${root}/nr_kdamonds`, 'utf8'));
    for (let i = 0; i < n; i++) {
      if (readFileSync(`${root}/${i}/state`, 'utf8').trim() !== 'on') continue;
      const action = readFileSync(`${root}/${i}/contexts/0/schemes/0/action`, 'utf8').trim();
      if (action === 'pageout') return true;
    }
  } catch {
    // no DAMON here, or not readable: nothing to report
  }
  return false;
}

/**
 * Free page reporting (virtio-balloon) hands free guest memory back to the host, the same cost as
 * DAMON's pageout when it is touched again. On these machines its module has `min_free_ms`: how long a
 * page must stay free before it is reported; at 0 (their default) a GiB freed by one run is gone before
 * the next run writes its files. Returns the setting when it is that low, else undefined.
 */
function eagerPageReporting() {
  try {
    const ms = Number(readFileSync('/sys/module/page_reporting/parameters/min_free_ms', 'utf8'));
    return ms < 60_000 ? ms : undefined;
  } catch {
    return undefined; // no such module, or not this kernel's variant: nothing to report
  }
}

export function describeRun({ opts, ws, versions }) {
  const reportingMs = eagerPageReporting();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `snapshot-guard benchmark, ${new Date().toISOString()}`,
    `file: ${sizeText(opts.sizeBytes)} of random bytes in ${opts.dir} (${ws.isTmpfs ? 'tmpfs' : 'NOT tmpfs: disk speed is part of every figure'}); median of ${opts.runs} run(s)`,
    `host: ${availableParallelism()} CPUs (${cpuModel()}), ${(totalmem() / GiB).toFixed(0)} GiB RAM, load average at start ${load}`,
    `tools: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
    `environment of every tool (as snapshot-guard's package wrapper sets it): ${Object.keys(
      packageEnvironment(),
    )
      .map((k) => `${k}=${process.env[k] ?? ''}`)
      .join(' ')}`,
    ...(damonPageout()
      ? [
          'WARNING: DAMON pageout is on: memory freed a while ago goes back to the host and costs ~9x the system time when touched again; tmpfs figures swing between runs (bench/README.md)',
        ]
      : []),
    ...(reportingMs !== undefined
      ? [
          `WARNING: free page reporting hands memory free for ${reportingMs} ms back to the host; touching it again costs several times the system time, and tmpfs figures swing between runs (bench/README.md)`,
        ]
      : []),
    `times are wall clock from process start to exit; peak RSS by ${rssMethod}`,
    '',
  ].join('\n');
}
