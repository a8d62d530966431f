/**
 * One writer per instance in a bucket: the lock object PREFIX/INSTANCE/writer.lock, created with
 * If-None-Match: * (in a versioned bucket, where some servers ignore that, the first version since the
 * key was last deleted wins), naming its holder like the local lock file (io/lock-file.ts). The holder
 * rewrites it every HEARTBEAT_MS; a lock whose holder is gone (same host: its process no longer runs;
 * another host: not rewritten for STALE_MS by the server's clock) is taken over.
 */
import { HEARTBEAT_MS, LockHeldError, me, staleReason, type LockHolder } from '../../io/lock-file.js';
import type { WriterLock } from '../store.js';
import { httpStatus, s3ErrorName } from './errors.js';
import type { Bucket } from './bucket.js';

interface Found {
  holder: LockHolder | undefined;
  text: string;
  /** Newest rewrite (heartbeat) of the lock, by the server's clock. */
  lastModified: number;
}

async function readHolder(store: Bucket, key: string): Promise<Found | undefined> {
  const live = await store.liveVersions(key);
  const first = live[live.length - 1];
  if (!first) return undefined;
  const text = await store.getText(key, first.versionId, 'reading the writer lock').catch((err: unknown) => {
    if (httpStatus((err as { cause?: unknown }).cause) === 404) return undefined; // released meanwhile
    throw err;
  });
  if (text === undefined) return undefined;
  let holder: LockHolder | undefined;
  try {
    holder = JSON.parse(text) as LockHolder;
  } catch {
    holder = undefined; // damaged: judged by its age alone
  }
  return { holder, text, lastModified: Math.max(...live.map((v) => v.lastModified)) };
}

/** Creates the lock object; returns its version id ('' unversioned), or undefined if another holds it. */
async function tryCreate(store: Bucket, key: string, text: string): Promise<string | undefined> {
  let versionId: string | undefined;
  try {
    versionId = await store.putObject(key, Buffer.from(text), undefined, true);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause ?? err;
    if (httpStatus(cause) === 412 || s3ErrorName(cause) === 'PreconditionFailed') return undefined;
    throw err;
  }
  if (!versionId || versionId === 'null') return '';
  const live = await store.liveVersions(key);
  if (live[live.length - 1]?.versionId === versionId) return versionId;
  await store.deleteVersion(key, versionId); // lost the race: withdraw ours
  return undefined;
}

/**
 * Lock objects a live BucketLock of this process holds (bucket/key). An object that names this process
 * but is not here was left by an acquire that failed after writing it (the endpoint went away between
 * the PUT and the check): it is ours to take back, or a retry would find itself "in use by another".
 */
const heldHere = new Set<string>();

function isThisProcess(holder: LockHolder | undefined, self: LockHolder): boolean {
  return (
    holder !== undefined &&
    holder.host === self.host &&
    holder.bootId === self.bootId &&
    holder.pid === self.pid &&
    holder.startTicks === self.startTicks
  );
}

export class BucketLock implements WriterLock {
  private timer: NodeJS.Timeout | undefined;
  /** Versions this holder wrote (versioned buckets), removed on release. */
  private readonly versions: string[] = [];

  private constructor(
    private readonly store: Bucket,
    private readonly key: string,
    private readonly text: string,
  ) {}

  static async acquire(store: Bucket, key: string, what: string, purpose: string): Promise<BucketLock> {
    const self = me(purpose);
    const text = `${JSON.stringify(self)}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await tryCreate(store, key, text);
      if (created !== undefined) {
        const lock = new BucketLock(store, key, text);
        heldHere.add(`${store.bucket}/${key}`);
        if (created) lock.versions.push(created);
        lock.timer = setInterval(() => void lock.refresh(), HEARTBEAT_MS);
        lock.timer.unref();
        return lock;
      }
      const found = await readHolder(store, key);
      if (!found) continue; // released meanwhile
      const leftByUs = isThisProcess(found.holder, self) && !heldHere.has(`${store.bucket}/${key}`);
      const reason = leftByUs
        ? 'left by this process'
        : staleReason(found.holder, Date.now() - found.lastModified, self);
      if (reason === undefined) throw new LockHeldError(what, found.holder);
      // Hide the stale lock only if it is still the one judged stale, then race for it again.
      if ((await readHolder(store, key))?.text === found.text) await store.hide(key);
    }
    throw new LockHeldError(what, undefined);
  }

  /** Rewrites the lock (its time is the heartbeat); in a versioned bucket drops the previous rewrite. */
  private async refresh(): Promise<void> {
    try {
      const v = await this.store.putObject(this.key, Buffer.from(this.text), undefined);
      if (v && v !== 'null') {
        const previous = this.versions.length > 1 ? this.versions.pop() : undefined;
        this.versions.push(v);
        if (previous) await this.store.deleteVersion(this.key, previous);
      }
    } catch {
      // the next heartbeat tries again; a holder that cannot reach the bucket cannot seal either
    }
  }

  /** Releases the lock if it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    heldHere.delete(`${this.store.bucket}/${this.key}`);
    const found = await readHolder(this.store, this.key).catch(() => undefined);
    if (found?.text !== this.text) return;
    for (const v of this.versions) await this.store.deleteVersion(this.key, v);
    if ((await this.store.liveVersions(this.key).catch(() => [])).length > 0) await this.store.hide(this.key);
  }
}
