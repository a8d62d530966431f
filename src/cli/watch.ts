import { hostname } from 'node:os';
import type { Command } from 'commander';
import { commandWithSettings, onSettings } from './options.js';
import { s3SettingsFrom } from './s3-options.js';
import { resolve } from 'node:path';
import { openStore } from '../store/open.js';
import { lockDragonflyDir } from '../snapshots/dir-lock.js';
import { keyringFromSettings } from '../keys/registry.js';
import { createLogger } from '../observe/logger.js';
import { checkDirectories, rejectRemoteDir } from '../snapshots/permissions.js';
import { Watcher } from '../seal/watcher.js';
import type { PipelineObserver } from '../observe/observer.js';
import { verifyLatest } from '../seal/scheduled-verify.js';
import { formatListenAddress } from '../observe/listen-address.js';
import { UserError, errorMessage } from '../errors.js';
import { STALE_MS } from '../io/lock-file.js';
import { VERSION } from '../version.js';
import { auditInputsFrom } from './audit.js';
import { startAuditSchedule } from '../audit/schedule.js';
import { relayObserver } from '../observe/store-observer.js';
import { copyTargetsFrom } from './copy-to.js';

export function watchCommand(): Command {
  const cmd = commandWithSettings(
    'watch',
    "watch Dragonfly's --dir; seal every finished snapshot, verify it, then shred the plaintext",
  );
  return onSettings(cmd, 'watch', async (opts) => {
    const log = createLogger(opts.logLevel);
    const audit = auditInputsFrom(opts); // usage errors (--accept) before anything starts
    if (
      opts.auditEvery === undefined &&
      (audit.flagfiles || audit.cmdline || audit.pid || audit.envFile || audit.accept?.size)
    )
      throw new UserError(
        '--flagfile, --cmdline, --pid, --env-file and --accept are audit inputs: add --audit-every (e.g. 1h)',
        2,
      );
    rejectRemoteDir(opts.dir);
    const storeEvents = relayObserver();
    // The writer's instance: in headers, and in a bucket the PREFIX/INSTANCE its sets go under.
    const instance = opts.instance ?? hostname();
    const store = await openStore(opts.out, '--out', {
      ...s3SettingsFrom(opts),
      instance,
      observer: storeEvents.observer,
    });
    const strict = opts.strictPermissions;
    // Everything is checked before anything is created.
    const dirs = await checkDirectories({
      dragonflyDir: resolve(opts.dir),
      ...(store.local ? { encryptedDir: store.location } : {}),
      allowGroupAccess: opts.allowGroupAccess,
      strict,
    });
    const copy = await copyTargetsFrom(opts, store, dirs.dragonflyDir, storeEvents.observer, log);
    const storeWarnings = await store.prepare();
    if (strict && storeWarnings[0])
      throw new UserError(`refusing to start (--strict-permissions): ${storeWarnings[0]}`, 2);
    for (const w of [...dirs.warnings, ...storeWarnings]) log.warn(w);
    // One writer per store and per Dragonfly directory, taken before anything is read or cleared.
    const purpose = opts.once ? 'watch --once' : 'watch';
    const storeLock = await store.lockForWriting(purpose);
    const dirLock = await lockDragonflyDir(dirs.dragonflyDir, purpose).catch(async (err: unknown) => {
      await storeLock.release();
      throw err;
    });
    // Never throws: a lock left behind is taken over (its process is gone, or it goes stale), and a
    // release that fails, e.g. on a stalled bucket, must not hide why the run ended.
    const releaseLocks = async () => {
      for (const [lock, where] of [
        [dirLock, dirs.dragonflyDir],
        [storeLock, store.location],
      ] as const)
        await lock
          .release()
          .catch((err: unknown) =>
            log.warn(
              { err: errorMessage(err) },
              `could not release the writer lock of ${where}; the next writer takes it over (at once on this host, else when it is ${STALE_MS / 60_000} minutes stale)`,
            ),
          );
    };
    const keyring = await keyringFromSettings(opts);
    // prom-client and the HTTP server are loaded only by `watch`, not by the other commands.
    const { startObservability } = await import('../observe/start.js');
    const observe = await startObservability({
      listen: opts.metricsAddr,
      version: VERSION,
      onError: (err) => log.warn({ err: errorMessage(err) }, 'metrics endpoint error'),
    });
    if (observe.address)
      log.info({ address: formatListenAddress(observe.address) }, 'serving /metrics, /healthz and /readyz');
    const observer: PipelineObserver = observe.observer;
    storeEvents.connect(observe.storeMetrics);
    for (const s of [store, ...(copy?.targets ?? [])])
      if (!s.local) observe.storeMetrics.addStore(s.location);
    for (const t of copy?.targets ?? []) observe.storeMetrics.addTarget(t.location);
    const audits =
      opts.auditEvery === undefined
        ? undefined
        : startAuditSchedule({
            inputs: { ...audit, dir: dirs.dragonflyDir },
            everyMs: opts.auditEvery,
            observer: observe.metrics,
            log,
          });
    keyring.onCall((provider, operation, seconds, err) =>
      observer.keyProviderCall(provider, operation, seconds, !err),
    );
    const watcher = new Watcher({
      keyring,
      store,
      dragonflyDir: dirs.dragonflyDir,
      instance,
      segmentSize: opts.segmentSize,
      shredMode: opts.shred,
      parallelism: opts.parallelism,
      observer,
      log,
      rescanIntervalMs: opts.rescanInterval,
      retryInitialMs: 1000,
      retryMaxMs: opts.retryMax,
      retention: {
        keepLast: opts.keepLast,
        keepWithinMs: opts.keepWithin,
      },
      restored: {
        dragonflyUrl: opts.dragonflyUrl,
        graceMs: opts.restoredGrace,
      },
      verifyEveryMs: opts.verifyEvery,
      verifyLatest: async () => void (await verifyLatest(store, keyring, observer, log, opts.parallelism)),
      ...(copy ? { onSealed: (setId: string) => copy.replicator.sealed(setId) } : {}),
    });
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: letting the current seal finish');
      const clean = await watcher.stop(opts.shutdownTimeout);
      if (!clean)
        log.warn(
          'shutdown timeout: abandoning the current seal; its staging data is discarded at the next start',
        );
      await copy?.replicator.stop(opts.shutdownTimeout);
      await audits?.stop();
      await observe.close();
      await keyring.close();
      await releaseLocks();
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
    await watcher.start();
    copy?.replicator.start();
    if (opts.once) {
      const failure = await watcher.idle();
      await watcher.stop(0);
      const copyFailures = (await copy?.replicator.finish()) ?? [];
      await copy?.replicator.stop(0);
      await audits?.firstRun;
      await audits?.stop();
      if (failure) {
        await observe.close();
        await keyring.close();
        await releaseLocks();
        throw new UserError(
          `could not seal every snapshot (${failure}); the plaintext is untouched, run again`,
        );
      }
      await observe.close();
      await keyring.close();
      await releaseLocks();
      if (copyFailures.length > 0)
        throw new UserError(
          `sealed, but copying failed (${copyFailures.join('; ')}); the next run copies the missing sets`,
        );
    }
  });
}
