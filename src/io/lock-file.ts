/**
 * One writer at a time: an exclusive lock file (created with O_EXCL) that names its holder. Node has no
 * flock(), and a lock must also work on a volume shared by two pods, so staleness is decided like this:
 * - on the same host (same boot), the holder is gone when its pid no longer runs the same process
 *   (pid alive and the same start time) — so a `kill -9` is recovered from at once;
 * - from another host, the holder refreshes the file's time every HEARTBEAT_MS; a lock not refreshed
 *   for STALE_MS is taken over.
 */
import { constants, readFileSync } from 'node:fs';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { UserError, errnoCode } from '../errors.js';

export const HEARTBEAT_MS = 30_000;
export const STALE_MS = 120_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** Identifies this boot of the host (a pid from before a reboot means nothing). */
  bootId: string;
  /** The holder process's start time in clock ticks since boot (a reused pid has another). */
  startTicks: number;
  since: string;
  purpose: string;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may contain spaces). */
function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function me(purpose: string): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: bootId(),
    startTicks: startTicksOf(process.pid) ?? 0,
    since: new Date().toISOString(),
    purpose,
  };
}

/** Why a lock is no longer held, or undefined while its holder is alive. */
export function staleReason(
  holder: LockHolder | undefined,
  ageMs: number,
  self: LockHolder,
): string | undefined {
  if (holder && holder.host === self.host && holder.bootId === self.bootId) {
    if (holder.pid === self.pid && holder.startTicks === self.startTicks) return undefined; // ours
    const ticks = startTicksOf(holder.pid);
    if (ticks === undefined) return `its holder (pid ${holder.pid}) is no longer running`;
    if (ticks !== holder.startTicks) return `its pid ${holder.pid} now belongs to another process`;
    return undefined;
  }
  if (holder && holder.host === self.host && holder.bootId !== self.bootId)
    return 'it is from before a reboot';
  if (ageMs > STALE_MS) return `it was not refreshed for ${Math.round(ageMs / 1000)} s`;
  return undefined;
}

export class LockHeldError extends UserError {
  constructor(
    readonly what: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `${what} is in use by another snapshot-guard (${holder.purpose}, pid ${holder.pid} on ${holder.host}, since ${holder.since}); only one may write there at a time: stop that one first`
        : `${what} is locked by another snapshot-guard that is starting; only one may write there at a time`,
    );
    this.name = 'LockHeldError';
  }
}

export class LockFile {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    private readonly text: string,
  ) {}

  /** Takes the lock at `path` for `purpose` (e.g. "watch"), or throws LockHeldError naming the holder. */
  static async acquire(path: string, what: string, purpose: string): Promise<LockFile> {
    const self = me(purpose);
    const text = `${JSON.stringify(self)}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        try {
          await fh.writeFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
        const lock = new LockFile(path, text);
        lock.timer = setInterval(() => void lock.refresh(), HEARTBEAT_MS);
        lock.timer.unref();
        return lock;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const found = await readHolder(path);
      if (!found) continue; // released meanwhile
      const reason = staleReason(found.holder, Date.now() - found.mtimeMs, self);
      if (reason === undefined) throw new LockHeldError(what, found.holder);
      // Remove the stale lock only if it is still the one judged stale, then race for it again.
      if ((await readHolder(path))?.text === found.text) await unlink(path).catch(() => undefined);
    }
    throw new LockHeldError(what, undefined);
  }

  private async refresh(): Promise<void> {
    const now = new Date();
    await utimes(this.path, now, now).catch(() => undefined);
  }

  /** Releases the lock if it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    const current = await readHolder(this.path);
    if (current?.text === this.text) await unlink(this.path).catch(() => undefined);
  }
}

async function readHolder(
  path: string,
): Promise<{ holder: LockHolder | undefined; text: string; mtimeMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(text) as LockHolder;
    } catch {
      holder = undefined; // being written, or damaged: judged by its age alone
    }
    return { holder, text, mtimeMs: st.mtimeMs };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
