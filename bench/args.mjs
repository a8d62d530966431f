/** Command-line options of the benchmark (node bench/run.mjs --help). */
import { parseArgs } from 'node:util';

export const SECTIONS = ['speed', 'encrypt', 'decrypt', 'memory', 'daemon', 'curve', 'restore'];
/**
 * Sections run only when named in --only: s3 needs an S3 endpoint (bench/s3.mjs); backlog seals
 * thousands of small snapshots, several minutes (bench/backlog.mjs).
 */
export const OPTIONAL_SECTIONS = ['s3', 'backlog'];

const MiB = 1024 ** 2;

export const USAGE = `usage: node bench/run.mjs [options]
  --size <n>     file size, e.g. 1GiB, 256MiB (default 1GiB)
  --runs <n>     runs per measurement; the median is reported (default 3)
  --dir <path>   where files are written, ideally a tmpfs (default /dev/shm)
  --quick        64MiB and 1 run (smoke test); --size/--runs given explicitly still win
  --only <list>  comma-separated sections: ${SECTIONS.join(',')} (default all); also s3
                 (sealing into a bucket; needs SG_CEPH_ENV=FILE, see bench/README.md) and backlog
                 (the daemon with thousands of small snapshots waiting; --quick: fewer)
  --watch-sizes <list>  set sizes of the watch memory curve (default 64MiB, ×4 …, up to --size),
                 e.g. 64MiB,256MiB,1GiB,4GiB
  --json <file>  also write every figure (medians and samples) to this JSON file
  --help         this text`;

/** A mistake in the options: printed as one line with the usage hint, exit code 2. */
export class UsageError extends Error {}

export function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(MiB|GiB|M|G)$/i.exec(text.trim());
  if (!m) throw new UsageError(`--size must look like 64MiB or 1GiB, got "${text}"`);
  const bytes = Math.round(Number(m[1]) * (m[2].toLowerCase().startsWith('g') ? 1024 ** 3 : MiB));
  if (bytes < 4 * MiB) throw new UsageError(`--size must be at least 4MiB, got "${text}"`);
  return bytes;
}

export function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        size: { type: 'string' },
        runs: { type: 'string' },
        dir: { type: 'string', default: '/dev/shm' },
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        'watch-sizes': { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  const sizeBytes = parseSize(values.size ?? (values.quick ? '64MiB' : '1GiB'));
  const runsText = values.runs ?? (values.quick ? '1' : '3');
  if (!/^\d+$/.test(runsText) || Number(runsText) < 1 || Number(runsText) > 99) {
    throw new UsageError(`--runs must be a whole number from 1 to 99, got "${runsText}"`);
  }
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : SECTIONS;
  const known = [...SECTIONS, ...OPTIONAL_SECTIONS];
  const unknown = only.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(`--only: unknown section "${unknown[0]}"; choose from ${known.join(', ')}`);
  }
  return {
    sizeBytes,
    runs: Number(runsText),
    dir: values.dir,
    quick: values.quick,
    sections: new Set(only),
    watchSizes: values['watch-sizes']?.split(',').map((t) => parseSize(t)),
    json: values.json,
    help: values.help,
  };
}
