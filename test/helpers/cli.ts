/**
 * Runs the built CLI (bin/snapshot-guard → dist/cli/main.js) as a real child process and captures its
 * output. Run `npm run build` before tests that use it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_PATH = join(PROJECT_ROOT, 'bin', 'snapshot-guard');

export interface RunCliOptions {
  /** Extra environment; merged over the parent's (minus its SNAPSHOT_GUARD_* variables). */
  env?: Record<string, string | undefined>;
  /** Bytes for the child's stdin; stdin is closed right away when absent. */
  input?: Buffer;
  cwd?: string;
  /** Run as this user (the tests run as root). */
  user?: { uid: number; gid: number };
  /** Kills the child after this long so a hung CLI fails the test instead of the whole run. */
  timeoutMs?: number;
}

export interface CliResult {
  /** Exit code; 128 + signal number when killed by a signal. */
  code: number;
  stdout: Buffer;
  stderr: string;
}

function childEnv(extra: RunCliOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Settings of the developer's shell must not leak into tests.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SNAPSHOT_GUARD_')) env[k] = v;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGPIPE: 13 };

export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'cli', 'main.js'))) {
    return Promise.reject(new Error('dist/cli/main.js is missing: run `npm run build` first'));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.user ?? {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // The child may exit before reading all of stdin (for example on a usage error).
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? Buffer.alloc(0));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
