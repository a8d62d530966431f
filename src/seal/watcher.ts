/**
 * The daemon's loop: directory events and periodic rescans → finished snapshot sets → one seal at a
 * time, oldest first → shred. Failures back off and retry while the plaintext stays where it is.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { setIdFor } from '../store/names.js';
import { scanDirectory, type SnapshotSet } from '../snapshots/scan.js';
import { finishInterruptedShreds } from '../snapshots/shred.js';
import { readRestoreStatus } from '../snapshots/restore-status.js';
import { SourceChangedError } from '../snapshots/source-changed.js';
import { Backoff } from '../util/backoff.js';
import { collectAllGarbage } from '../io/young-garbage.js';
import { failureReason } from './failure.js';
import {
  anyRestoredFileLeft,
  currentMarker,
  forgetMarker,
  isRestoredSet,
  restoredSetLoaded,
  type RestoredPolicy,
} from './restored.js';
import { applyRetention, type RetentionPolicy } from './retention.js';
import { encryptAndPublish, shredSet, type SealConfig } from './seal.js';
import { adoptPublished, removeSealedOrphans } from './recovery.js';
import type { Manifest } from '../format/manifest.js';
import type { HousekeepingTask } from '../observe/observer.js';

export interface WatchConfig extends SealConfig {
  dragonflyDir: string;
  rescanIntervalMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  retention: RetentionPolicy;
  restored: RestoredPolicy;
  /** Called after the periodic verification interval; wired by the CLI when --verify-every is set. */
  verifyEveryMs?: number;
  verifyLatest?: () => Promise<void>;
  /** Called once a set is published and its plaintext gone (watch --copy-to); must not block. */
  onSealed?: (setId: string) => void;
}

const KEY_CHECK_INTERVAL_MS = 60_000;
/** A full garbage collection after this many seals and after every pass that sealed (young-garbage.ts). */
const SEALS_PER_COLLECTION = 50;
/** Idle this long after a pass that sealed, the daemon hands back the memory V8 grew while busy. */
const IDLE_BEFORE_REDUCING_MS = 1000;
/**
 * How long after a directory event the rescan starts: lets a burst of events (a DFS set's renames,
 * which Dragonfly makes back to back) share one scan. It adds to every snapshot's plaintext lifetime:
 * 100 ms kept a single 1 GiB RDB 65 ms longer in plaintext than 20 ms (bench, medians of 7).
 */
const EVENT_DELAY_MS = 20;

export class Watcher {
  private fsWatcher: FSWatcher | undefined;
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private restoredTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private readonly backoff: Backoff;
  private lastFailure: string | undefined;
  /** Messages reportOnce logged: few and fixed (not per file); directory problems are kept apart. */
  private readonly reported = new Set<string>();
  private problems = new Set<string>();
  private eventTimer: NodeJS.Timeout | undefined;
  /** Directory scans so far: one per pass however many events arrived (read by tests). */
  scans = 0;
  private sealsSinceCollect = 0;
  private idleCollection: NodeJS.Timeout | undefined;
  private readonly housekeepingErrors = new Map<HousekeepingTask, string>();
  private readonly startedAt = Date.now();
  private lastRestoreAt: string | undefined;

  constructor(private readonly cfg: WatchConfig) {
    this.backoff = new Backoff(cfg.retryInitialMs, cfg.retryMaxMs);
  }

  private get log(): Logger {
    return this.cfg.log;
  }

  async start(): Promise<void> {
    await this.cfg.store.discardUnpublished();
    await this.reportLastSeal();
    const finished = await finishInterruptedShreds(this.cfg.dragonflyDir, this.cfg.shredMode);
    if (finished.length > 0)
      this.log.info({ files: finished }, 'finished shredding plaintext of sealed sets (interrupted earlier)');
    // One inotify watch on the directory and nothing per file: an event only says "rescan soon", so
    // its name and kind do not matter. (A watcher library that stats each entry and keeps state per
    // path made a burst of thousands of renames cost a directory listing per event.)
    this.fsWatcher = watch(this.cfg.dragonflyDir, () => this.soon());
    this.fsWatcher.on('error', (err) =>
      this.log.warn({ err: errorMessage(err) }, 'directory watch error; periodic rescans continue'),
    );
    this.timers.push(setInterval(() => this.kick(), this.cfg.rescanIntervalMs));
    this.timers.push(setInterval(() => void this.checkKeys(), KEY_CHECK_INTERVAL_MS));
    await this.checkKeys();
    if (this.cfg.verifyEveryMs && this.cfg.verifyLatest) {
      const verify = this.cfg.verifyLatest;
      this.timers.push(setInterval(() => void verify().catch(() => undefined), this.cfg.verifyEveryMs));
    }
    this.cfg.observer.watching(true);
    this.log.info(
      { dir: this.cfg.dragonflyDir, out: this.cfg.store.location, keys: this.cfg.keyring.describe() },
      'watching for finished snapshots',
    );
    this.kick();
  }

  /** Stops watching; waits up to `timeoutMs` for the set being sealed. Returns false on timeout. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.cfg.observer.watching(false);
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.retryTimer);
    clearTimeout(this.restoredTimer);
    clearTimeout(this.eventTimer);
    clearTimeout(this.idleCollection);
    this.fsWatcher?.close();
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.running.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return finished;
  }

  /**
   * Waits until the current pass is over (for --once). Returns the last failure, if the pass ended
   * with a failing seal that is waiting for its retry.
   */
  async idle(): Promise<string | undefined> {
    while (this.running) await this.running;
    return this.retryTimer ? this.lastFailure : undefined;
  }

  /** Readiness input: can the key providers be reached? Logged only when the answer changes. */
  private keysReachable: boolean | undefined;
  private async checkKeys(): Promise<void> {
    let ok = true;
    try {
      await this.cfg.keyring.check();
    } catch (err) {
      ok = false;
      if (this.keysReachable !== false)
        this.log.warn({ err: errorMessage(err) }, 'key provider check failed');
    }
    this.setKeysReachable(ok);
  }

  private setKeysReachable(ok: boolean): void {
    if (ok && this.keysReachable === false) this.log.info('key provider reachable again');
    this.keysReachable = ok;
    this.cfg.observer.keyProviderReachable(ok);
  }

  /**
   * Coalesces events: the first one starts a short timer, the rest until it fires add nothing. (A
   * timer restarted on every event would never fire while snapshots keep arriving.) Events during a
   * pass only mark that one more pass, with one scan, is needed.
   */
  private soon(): void {
    this.eventTimer ??= setTimeout(() => {
      this.eventTimer = undefined;
      this.kick();
    }, EVENT_DELAY_MS);
  }

  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.cycle();
      } catch (err) {
        this.fail(err);
        return;
      }
    } while (this.again && !this.stopping);
  }

  private async cycle(): Promise<void> {
    // First, so that a failing seal below cannot hide what the last restore did.
    await this.housekeeping('restored', () => this.reportRestoreStatus());
    this.scans++;
    const scan = await scanDirectory(this.cfg.dragonflyDir);
    this.reportProblems(scan.problems.map((p) => `${p.name}: ${p.problem}`));
    const marker = await currentMarker(this.cfg.dragonflyDir);
    const restored = scan.sets.filter((s) => isRestoredSet(s, marker));
    const pending = scan.sets.filter((s) => !restored.includes(s));
    this.reportPending(pending, 0);

    for (const [i, set] of pending.entries()) {
      if (this.stopping || this.retryTimer) return;
      await this.sealOne(set);
      this.reportPending(pending, i + 1);
    }
    if (this.sealsSinceCollect > 0) {
      this.collectGarbage();
      this.reduceMemoryWhenIdle();
    }
    await this.housekeeping('orphans', () => removeSealedOrphans(scan.orphanShards, this.cfg));
    if (marker) await this.housekeeping('restored', () => this.handleRestored(restored, marker));
  }

  /**
   * The last restore into Dragonfly's directory, as `restore` recorded it: counted once per restore
   * (only restores from around this daemon's start on, so a restart does not count an old one again).
   */
  private async reportRestoreStatus(): Promise<void> {
    const status = await readRestoreStatus(this.cfg.dragonflyDir);
    if (!status || status.at === this.lastRestoreAt) return;
    this.lastRestoreAt = status.at;
    this.cfg.observer.restoreSkippedSets(status.skipped.length);
    if (Date.parse(status.at) < this.startedAt - 3_600_000) return;
    if (!status.ok) {
      this.cfg.observer.restoreOnBoot('failed');
      this.log.error(
        { err: status.error, at: status.at },
        'the last restore into the snapshot directory failed',
      );
    } else if (status.skipped.length > 0) {
      this.cfg.observer.restoreOnBoot('fell_back');
      this.log.error(
        { setId: status.setId, skipped: status.skipped },
        'the last restore fell back to an older set: newer sets failed verification',
      );
    }
    if (status.ok && status.stale) {
      this.cfg.observer.restoreOnBoot('stale');
      this.log.error(
        { ...status.stale },
        'the last restore on boot restored a set older than --max-age: the newest sets may have been deleted, or sealing stopped',
      );
    }
  }

  /** The newest sealed set's time, sizes and verification, so a restart does not blank the metrics. */
  private async reportLastSeal(): Promise<void> {
    try {
      const newest = (await this.cfg.store.listSets())[0];
      if (!newest) return;
      const [info, status] = await Promise.all([
        this.cfg.store.readInfo(newest),
        this.cfg.store.readStatus(newest),
      ]);
      if (!info) return;
      this.cfg.observer.lastSealFromStore({
        finishedAt: Date.parse(info.sealedAt) / 1000,
        ...(status?.ok ? { verifiedAt: Date.parse(status.verifiedAt) / 1000 } : {}),
        fileSizes: info.files.map((f) => ({ role: f.role, bytes: f.size })),
      });
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not read the newest sealed set for the metrics');
    }
  }

  /** Sets still waiting (those from index `next` on) and the age of the oldest of them. */
  private reportPending(pending: SnapshotSet[], next: number): void {
    const oldest = pending[next];
    const age = oldest ? (Date.now() - oldest.snapshotTimeMs) / 1000 : 0;
    this.cfg.observer.pending(pending.length - next, Math.max(0, age));
  }

  /**
   * Work besides sealing (retention, leftover shards, restored files): its failure is reported as its
   * own, once per distinct error, and never as a failed seal (the seal's plaintext is already safe).
   */
  private async housekeeping(task: HousekeepingTask, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      this.housekeepingErrors.delete(task);
    } catch (err) {
      this.cfg.observer.housekeepingFailed(task);
      const message = errorMessage(err);
      if (this.housekeepingErrors.get(task) === message) {
        this.log.debug({ task, err: message }, `${task} still failing`);
        return;
      }
      this.housekeepingErrors.set(task, message);
      this.log.error({ task, err: message }, `${task} failed; sealing is not affected, will try again`);
    }
  }

  private async sealOne(set: SnapshotSet): Promise<void> {
    const started = performance.now();
    let setId = setIdFor(set.snapshotTimeMs, set.stem);
    this.cfg.observer.sealStarted(setId);
    let manifest: Manifest | undefined;
    // A published set with this id means an earlier run crashed after publishing: verify it, then shred.
    const listing = await this.cfg.store.listSets();
    const published = new Set(listing);
    for (let n = 2; !manifest && published.has(setId); n++) {
      manifest = await adoptPublished(set, setId, this.cfg);
      if (!manifest) setId = `${setIdFor(set.snapshotTimeMs, set.stem)}.${n}`;
    }
    manifest ??= await encryptAndPublish(set, setId, this.cfg, listing);
    await shredSet(set, this.cfg.dragonflyDir, this.cfg);
    this.succeeded(set, manifest, started);
    this.cfg.onSealed?.(manifest.setId);
    if (++this.sealsSinceCollect >= SEALS_PER_COLLECTION) this.collectGarbage();
    await this.housekeeping('retention', async () => {
      const { removed, futureSetTime } = await applyRetention(
        this.cfg.store,
        this.cfg.retention,
        Date.now(),
        this.log,
      );
      if (removed.length > 0) this.log.info({ removed }, 'retention removed old sealed sets');
      if (futureSetTime)
        this.reportOnce(
          `the newest sealed set's time ${futureSetTime} is in the future: is this host's clock or Dragonfly's wrong? --keep-within counts from the newest set, so nothing fresh is deleted`,
        );
    });
  }

  /** Once no pass has been running for a moment: V8's memory-reducing collection (young-garbage.ts). */
  private reduceMemoryWhenIdle(): void {
    this.idleCollection ??= setTimeout(() => {
      this.idleCollection = undefined;
      if (this.stopping) return;
      if (this.running) this.reduceMemoryWhenIdle();
      else collectAllGarbage(true);
    }, IDLE_BEFORE_REDUCING_MS);
    this.idleCollection.unref();
  }

  /** Memory a seal leaves behind outside V8's view is freed only by a full collection (young-garbage.ts). */
  private collectGarbage(): void {
    this.sealsSinceCollect = 0;
    collectAllGarbage();
  }

  private succeeded(set: SnapshotSet, manifest: Manifest, started: number): void {
    const now = Date.now();
    const plaintextBytes = manifest.files.reduce((s, f) => s + f.size, 0);
    const encryptedBytes = manifest.files.reduce((s, f) => s + f.encryptedSize, 0);
    const durationSeconds = (performance.now() - started) / 1000;
    const lifetime = Math.max(0, (now - set.snapshotTimeMs) / 1000);
    this.cfg.observer.sealSucceeded({
      setId: manifest.setId,
      format: set.format,
      files: set.files.length,
      plaintextBytes,
      encryptedBytes,
      durationSeconds,
      plaintextLifetimeSeconds: lifetime,
      fileSizes: manifest.files.map((f) => ({ role: f.role, bytes: f.size })),
      finishedAt: now / 1000,
    });
    this.setKeysReachable(true);
    if (this.lastFailure) this.log.info('sealing works again');
    this.lastFailure = undefined;
    this.backoff.reset();
    this.log.info(
      {
        setId: manifest.setId,
        files: set.files.length,
        bytes: plaintextBytes,
        seconds: +durationSeconds.toFixed(3),
        plaintextLifetimeSeconds: +lifetime.toFixed(3),
      },
      'sealed snapshot set and removed its plaintext',
    );
  }

  private fail(err: unknown): void {
    const reason = failureReason(err);
    if (err instanceof SourceChangedError) {
      this.log.info({ reason: errorMessage(err) }, 'snapshot changed while sealing; rescanning');
      this.soon();
      return;
    }
    this.cfg.observer.sealFailed(reason);
    if (reason === 'key_provider') this.setKeysReachable(false);
    const message = errorMessage(err);
    const delay = this.backoff.next();
    const state = `${reason}: ${message}`;
    if (state !== this.lastFailure) {
      this.log.error(
        { reason, err: message, retryInSeconds: +(delay / 1000).toFixed(1) },
        'could not seal snapshot; plaintext left in place, will retry with backoff',
      );
      if (this.log.isLevelEnabled('debug') && err instanceof Error)
        this.log.debug({ stack: err.stack }, 'failure details');
    } else {
      this.log.debug(
        { reason, retryInSeconds: delay / 1000, failures: this.backoff.failures },
        'still failing',
      );
    }
    this.lastFailure = state;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref?.();
  }

  /**
   * Warns once about each problem in the directory while it lasts; only the last scan's problems are
   * remembered (file names come and go: a set of every message ever seen would grow without end),
   * so a problem that goes away and comes back is reported again.
   */
  private reportProblems(messages: string[]): void {
    const current = new Set(messages);
    for (const m of current) if (!this.problems.has(m)) this.log.warn(m);
    this.problems = current;
  }

  /** Problems of the last scan, warned about already (read by tests). */
  get problemsRemembered(): number {
    return this.problems.size;
  }

  private reportOnce(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.log.warn(message);
  }

  private async handleRestored(
    restored: SnapshotSet[],
    marker: NonNullable<Awaited<ReturnType<typeof currentMarker>>>,
  ): Promise<void> {
    if (restored.length === 0) {
      // Forget the marker only when none of its files is still there as restored (a restore may be
      // half-way through its renames, with the summary not yet in place).
      if (!(await anyRestoredFileLeft(this.cfg.dragonflyDir, marker)))
        await forgetMarker(this.cfg.dragonflyDir);
      return;
    }
    if (!(await restoredSetLoaded(marker, this.cfg.restored, this.log))) {
      this.restoredTimer ??= setTimeout(() => {
        this.restoredTimer = undefined;
        this.kick();
      }, 2000);
      return;
    }
    for (const set of restored) await shredSet(set, this.cfg.dragonflyDir, this.cfg);
    await forgetMarker(this.cfg.dragonflyDir);
    this.cfg.observer.restoreOnBoot('shredded_after_load');
    this.log.info(
      { setId: marker.setId },
      'Dragonfly has loaded the restored snapshot; removed its plaintext',
    );
  }
}
