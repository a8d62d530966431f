/**
 * The container image's HEALTHCHECK: asks /healthz of the running `snapshot-guard watch` at the address
 * it was configured with, so the check follows --metrics-addr instead of assuming port 9464. The
 * address comes from the watch process itself, as it does for the daemon: its --metrics-addr flag, else
 * its SNAPSHOT_GUARD_METRICS_ADDR environment variable, else the default 127.0.0.1:9464. A wildcard
 * host (0.0.0.0, ::) is asked on loopback. Exit 0: healthy; 1: unhealthy, with one line saying why.
 * With the metrics server off there is nothing to ask: a running watch process counts as healthy.
 */
import { readFileSync, readdirSync } from 'node:fs';

const PROC = process.env.SNAPSHOT_GUARD_HEALTHCHECK_PROC ?? '/proc'; // tests point it at a fake /proc
const DEFAULT_ADDR = '127.0.0.1:9464';

function unhealthy(why) {
  process.stdout.write(`unhealthy: ${why}\n`);
  process.exit(1);
}

const read = (pid, file) => {
  try {
    return readFileSync(`${PROC}/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined; // gone, or not ours to read
  }
};

/**
 * The Node.js process running `snapshot-guard watch` (not tini or a shell that started it), with its
 * arguments and environment.
 */
function findWatch() {
  for (const pid of readdirSync(PROC).filter((n) => /^\d+$/.test(n))) {
    const argv = read(pid, 'cmdline');
    if (!argv || !/(^|\/)node$/.test(argv[0] ?? '')) continue;
    if (!/(^|\/)(snapshot-guard|dist\/cli\/main\.js)$/.test(argv[1] ?? '') || !argv.includes('watch'))
      continue;
    return { argv, env: read(pid, 'environ') ?? [] };
  }
  return undefined;
}

/** --metrics-addr X or --metrics-addr=X, the last one winning as on the command line. */
function configuredAddress({ argv, env }) {
  let addr;
  argv.forEach((a, i) => {
    if (a === '--metrics-addr') addr = argv[i + 1];
    else if (a.startsWith('--metrics-addr=')) addr = a.slice('--metrics-addr='.length);
  });
  addr ??= env.find((e) => e.startsWith('SNAPSHOT_GUARD_METRICS_ADDR='))?.split('=')[1];
  return addr ?? DEFAULT_ADDR;
}

function healthzUrl(addr) {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) return undefined;
  let host = m[1] ?? m[2] ?? '';
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${m[3]}/healthz`;
}

const watch = findWatch();
if (!watch) unhealthy('no `snapshot-guard watch` process is running');
const addr = configuredAddress(watch);
if (/^(off|none|false|)$/i.test(addr.trim())) process.exit(0);
const url = healthzUrl(addr);
if (!url) unhealthy(`cannot read the metrics address "${addr}"`);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) unhealthy(`${url} answered ${res.status}`);
} catch (err) {
  unhealthy(`${url}: ${err.cause?.code ?? err.message}`);
}
