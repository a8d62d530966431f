/**
 * Runs one command as a child process and measures its wall-clock time, CPU time (user + system) and
 * peak RSS: under GNU /usr/bin/time when present (exact); otherwise CPU is not measured (NaN) and
 * RSS is polled from VmHWM in /proc/<pid>/status.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
export const rssMethod = existsSync(GNU_TIME) ? '/usr/bin/time %U %S %M' : 'VmHWM polling (CPU not measured)';

/** The child environment: the caller's, minus settings of the developer's shell for snapshot-guard. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SNAPSHOT_GUARD_')) env[k] = v;
  return { ...env, ...extra };
}

/** Peak resident set size (VmHWM) of a running process, in bytes; NaN once it has gone. */
export async function peakRss(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU-seconds (user + system) a running process has used so far; NaN once it has gone. */
export async function cpuSeconds(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const CLOCK_TICKS = 100;

/**
 * Runs `cmd args`, stdout to the file `stdoutPath` (e.g. /dev/null) or ignored; rejects with the
 * command's stderr when it fails. Resolves to { seconds, cpuSeconds, peakRssBytes }.
 */
export async function measure(cmd, args, { stdoutPath, scratchDir, env } = {}) {
  const rssFile = join(scratchDir, `rss-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const useTime = rssMethod.startsWith(GNU_TIME);
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%U %S %M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const outFd = stdoutPath ? openSync(stdoutPath, 'w', 0o600) : 'ignore';
  let polled = NaN;
  const started = process.hrtime.bigint();
  const child = spawn(file, argv, { stdio: ['ignore', outFd, 'pipe'], env: env ?? cleanEnv() });
  if (typeof outFd === 'number') closeSync(outFd);
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c.toString()));
  const poll = useTime
    ? undefined
    : setInterval(() => {
        void peakRss(child.pid).then((v) => {
          if (Number.isFinite(v)) polled = Number.isFinite(polled) ? Math.max(polled, v) : v;
        });
      }, 10);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? `signal ${signal}`));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(poll);
  let peakRssBytes = polled;
  let cpu = NaN;
  if (useTime) {
    const text = await readFile(rssFile, 'utf8').catch(() => '');
    await rm(rssFile, { force: true });
    const m = /^(\d+\.\d+) (\d+\.\d+) (\d+)$/.exec(text.trim().split('\n').pop() ?? '');
    peakRssBytes = m ? Number(m[3]) * 1024 : NaN;
    cpu = m ? Number(m[1]) + Number(m[2]) : NaN;
  }
  if (code !== 0) {
    const detail = stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${detail}`);
  }
  return { seconds, cpuSeconds: cpu, peakRssBytes };
}

/** Runs a short command and returns its stdout (for versions, key generation and the like). */
export function capture(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? cleanEnv() });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    child.stderr.on('data', (c) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.trim()}`)),
    );
  });
}

/** True when `cmd` can be found on PATH. */
export function onPath(cmd) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, cmd)));
}
