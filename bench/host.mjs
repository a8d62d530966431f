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

export function describeRun({ opts, ws, versions }) {
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
    `times are wall clock from process start to exit; peak RSS by ${rssMethod}`,
    '',
  ].join('\n');
}
