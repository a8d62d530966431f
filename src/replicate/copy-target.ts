/**
 * One --copy-to target: its own queue (the sets the primary has and it lacks, oldest first), its own
 * writer lock and retries. Passes run after each seal (kick), every `rescanEveryMs`, and after a
 * failure with backoff; each pass lists both stores again, so a restart, a lost kick or a long outage
 * all end the same way: the missing sets are copied. Nothing here ever delays sealing.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { ReplicationObserver } from '../observe/store-observer.js';
import type { Store, WriterLock } from '../store/store.js';
import { Backoff } from '../util/backoff.js';
import { copySet } from './copy-set.js';
import { oldestWaiting, setsToCopy } from './plan.js';

export interface CopyTargetConfig {
  source: Store;
  target: Store;
  observer: ReplicationObserver;
  log: Logger;
  rescanEveryMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export class CopyTarget {
  private lock: WriterLock | undefined;
  /** discardUnpublished ran once under our lock (at first use, as watch does for --out). */
  private cleaned = false;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private lastFailure: string | undefined;
  /** Sets known to be missing on the target: the last pass's plan plus sets sealed since. */
  private readonly waiting = new Set<string>();

  constructor(private readonly cfg: CopyTargetConfig) {
    this.backoff = new Backoff(cfg.retryInitialMs, cfg.retryMaxMs);
  }

  get location(): string {
    return this.cfg.target.location;
  }

  /** The last pass's failure while a retry is scheduled, else undefined. */
  get failure(): string | undefined {
    return this.retryTimer ? this.lastFailure : undefined;
  }

  start(): void {
    this.rescanTimer = setInterval(() => this.kick(), this.cfg.rescanEveryMs);
    this.rescanTimer.unref?.();
    this.kick();
  }

  /** A set was just sealed into the primary: it waits for this target from now on. */
  sealed(setId: string): void {
    this.waiting.add(setId);
    this.report();
    this.kick();
  }

  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Waits until no pass runs (for --once). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops passes; waits up to `timeoutMs` for the copy in flight (an abandoned one is discarded at the next start). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.rescanTimer);
    clearTimeout(this.retryTimer);
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    await this.lock?.release().catch(() => undefined);
    await this.cfg.target.close();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.fail(err);
        return;
      }
    } while (this.again && !this.stopping);
  }

  /** First use of the target: its writer lock, then what an interrupted copy left is removed. */
  private async ready(): Promise<void> {
    if (this.cleaned) return;
    if (!this.lock) {
      for (const warning of await this.cfg.target.prepare())
        this.cfg.log.warn({ target: this.location }, warning);
      this.lock = await this.cfg.target.lockForWriting('watch --copy-to');
    }
    await this.cfg.target.discardUnpublished();
    this.cleaned = true;
  }

  private async pass(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.ready();
    const { source, target, log } = this.cfg;
    const [primary, copies] = await Promise.all([source.listSets(), target.listSets()]);
    const todo = setsToCopy(primary, copies);
    this.waiting.clear();
    for (const id of todo) this.waiting.add(id);
    this.report();
    for (const setId of todo) {
      if (this.stopping) return;
      log.info({ setId, target: target.location }, 'copying sealed set');
      const started = performance.now();
      const copied = await copySet(source, target, setId);
      const seconds = (performance.now() - started) / 1000;
      this.waiting.delete(setId);
      this.cfg.observer.copySucceeded(target.location, copied.bytes, seconds);
      this.report();
      log.info(
        {
          setId,
          target: target.location,
          files: copied.files,
          bytes: copied.bytes,
          seconds: +seconds.toFixed(3),
        },
        'copied sealed set',
      );
    }
    if (this.lastFailure) log.info({ target: target.location }, 'copying works again');
    this.lastFailure = undefined;
    this.backoff.reset();
  }

  private report(): void {
    this.cfg.observer.backlog(this.location, this.waiting.size, oldestWaiting(this.waiting));
  }

  private fail(err: unknown): void {
    this.cfg.observer.copyFailed(this.location);
    const delay = this.backoff.next();
    const message = errorMessage(err);
    if (message !== this.lastFailure) {
      this.cfg.log.error(
        { target: this.location, err: message, retryInSeconds: +(delay / 1000).toFixed(1) },
        'could not copy sealed sets; sealing is not affected, will retry with backoff',
      );
    } else {
      this.cfg.log.debug({ target: this.location, failures: this.backoff.failures }, 'copy still failing');
    }
    this.lastFailure = message;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref?.();
  }
}
