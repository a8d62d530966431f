/**
 * Runs `snapshot-guard watch` as a real child process, collecting its JSON log lines so tests can wait
 * for events instead of sleeping.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH, PROJECT_ROOT } from './cli.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class Daemon {
  readonly logs: LogLine[] = [];
  stderr = '';
  private exited: Promise<number>;
  private done = false;
  exitCode: number | undefined;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 0, msg: line });
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.done = true;
        this.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1);
        resolve(this.exitCode);
      }),
    );
  }

  /** `env` entries with the value undefined remove that variable from the child's environment. */
  static start(
    args: string[],
    env: Record<string, string | undefined> = {},
    user?: { uid: number; gid: number },
  ): Daemon {
    const childEnv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SNAPSHOT_GUARD_')) childEnv[k] = v;
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete childEnv[k];
      else childEnv[k] = v;
    }
    const child = spawn(process.execPath, [CLI_PATH, 'watch', ...args], {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: 'pipe',
      ...(user ?? {}),
    });
    return new Daemon(child);
  }

  get running(): boolean {
    return !this.done;
  }

  messages(): string[] {
    return this.logs.map((l) => l.msg);
  }

  count(pred: (l: LogLine) => boolean): number {
    return this.logs.filter(pred).length;
  }

  /** Waits until a log line matches, or fails with the log so far. */
  async waitFor(pred: (l: LogLine) => boolean, timeoutMs = 30_000, what = 'log line'): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs.find(pred);
      if (hit) return hit;
      if (this.done)
        throw new Error(
          `daemon exited (${this.exitCode}) before ${what}; stderr: ${this.stderr}\nlogs: ${this.messages().join(' | ')}`,
        );
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; logs: ${this.messages().join(' | ')}; stderr: ${this.stderr}`,
        );
      await sleep(25);
    }
  }

  /** Waits for the n-th "sealed" event and returns it. */
  async waitForSealed(n = 1, timeoutMs = 30_000): Promise<LogLine> {
    const sealed = (l: LogLine) => l.msg.startsWith('sealed snapshot set');
    await this.waitFor(() => this.count(sealed) >= n, timeoutMs, `${n} sealed set(s)`);
    return this.logs.filter(sealed)[n - 1] as LogLine;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
    if (!this.done) this.child.kill(signal);
    return this.exited;
  }

  wait(): Promise<number> {
    return this.exited;
  }
}

/** Polls `check` until it returns true. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
