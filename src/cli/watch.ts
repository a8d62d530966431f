import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { addS3Options, s3SettingsFrom } from './s3-options.js';
import { openStore } from '../store/open.js';
import { lockDragonflyDir } from '../snapshots/dir-lock.js';
import { keyringFromSettings } from '../keys/registry.js';
import { addKeyOptions, keySettingsFrom, type ParsedOptions } from './key-options.js';
import { createLogger } from '../observe/logger.js';
import { checkDirectories, rejectRemoteDir } from '../snapshots/permissions.js';
import { Watcher } from '../seal/watcher.js';
import type { PipelineObserver } from '../observe/observer.js';
import { verifyLatest } from '../seal/scheduled-verify.js';
import { formatListenAddress, metricsAddrOption, type MetricsAddr } from '../observe/listen-address.js';
import { UserError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import {
  instanceOption,
  logLevelOption,
  parseDuration,
  parseIntegerIn,
  segmentSizeOption,
} from './common.js';
import type { ShredMode } from '../snapshots/shred.js';
import type { LevelWithSilent } from 'pino';
import { addAuditSourceOptions, auditInputsFrom } from './audit.js';
import { startAuditSchedule } from '../audit/schedule.js';

export function watchCommand(): Command {
  const cmd = new Command('watch')
    .description("watch Dragonfly's --dir; seal every finished snapshot, verify it, then shred the plaintext")
    .addOption(
      new Option('--dir <dir>', "Dragonfly's --dir (where snapshots appear)")
        .env('SNAPSHOT_GUARD_DIR')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--out <dir>', 'where sealed sets are stored (created 0700 if missing)')
        .env('SNAPSHOT_GUARD_OUT')
        .makeOptionMandatory(),
    );
  addKeyOptions(cmd);
  cmd
    .addOption(instanceOption())
    .addOption(
      new Option('--shred <mode>', 'how plaintext is destroyed after sealing')
        .choices(['overwrite', 'unlink'])
        .default('overwrite'),
    )
    .addOption(
      new Option('--keep-last <n>', 'keep at least the newest N sealed sets (retention)').argParser(
        parseIntegerIn('--keep-last', 1, 1_000_000),
      ),
    )
    .addOption(
      new Option(
        '--keep-within <duration>',
        'keep sealed sets newer than this, e.g. 7d (retention)',
      ).argParser(parseDuration('--keep-within')),
    )
    .addOption(
      new Option(
        '--strict-permissions',
        'refuse to start when directories or snapshots are exposed (instead of warning)',
      ),
    )
    .addOption(
      new Option(
        '--allow-group-access',
        "accept a group-accessible --dir (snapshot-guard in Dragonfly's group)",
      ),
    )
    .addOption(
      new Option(
        '--dragonfly-url <url>',
        'redis://[:password@]host:port of Dragonfly, to learn when a restored snapshot has loaded',
      ).env('SNAPSHOT_GUARD_DRAGONFLY_URL'),
    )
    .addOption(
      new Option(
        '--restored-grace <duration>',
        'without --dragonfly-url: remove restored plaintext this long after the restore',
      )
        .argParser(parseDuration('--restored-grace'))
        .default(300_000, '5m'),
    )
    .addOption(
      new Option(
        '--verify-every <duration>',
        're-verify the newest sealed set this often (restorability check)',
      ).argParser(parseDuration('--verify-every')),
    )
    .addOption(metricsAddrOption())
    .addOption(
      new Option('--rescan-interval <duration>', 'full directory rescan interval (besides file events)')
        .argParser(parseDuration('--rescan-interval'))
        .default(30_000, '30s'),
    )
    .addOption(
      new Option('--retry-max <duration>', 'longest wait between retries of a failing seal')
        .argParser(parseDuration('--retry-max'))
        .default(300_000, '5m'),
    )
    .addOption(
      new Option('--parallel <n>', 'files of a set encrypted at once')
        .argParser(parseIntegerIn('--parallel', 1, 64))
        .default(2),
    )
    .addOption(
      new Option('--shutdown-timeout <duration>', 'on SIGTERM, how long to let the current seal finish')
        .argParser(parseDuration('--shutdown-timeout'))
        .default(30_000, '30s'),
    )
    .addOption(new Option('--once', 'seal what is there now, then exit (for cron jobs and tests)'))
    .addOption(segmentSizeOption())
    .addOption(logLevelOption())
    .addOption(
      new Option(
        '--audit-every <duration>',
        "audit Dragonfly's configuration this often (snapshot_guard_dragonfly_audit_findings); inputs: --dir, --dragonfly-url and the options below",
      ).argParser(parseDuration('--audit-every')),
    );
  addAuditSourceOptions(cmd, { dirAndUrl: false });
  addS3Options(cmd, { write: true });
  return cmd.action(async (opts: ParsedOptions) => {
    const log = createLogger(opts.logLevel as LevelWithSilent);
    const audit = auditInputsFrom(opts); // usage errors (--accept) before anything starts
    if (
      opts.auditEvery === undefined &&
      (audit.flagfiles || audit.cmdline || audit.pid || audit.envFile || audit.accept?.size)
    )
      throw new UserError(
        '--flagfile, --cmdline, --pid, --env-file and --accept are audit inputs: add --audit-every (e.g. 1h)',
        2,
      );
    rejectRemoteDir(opts.dir as string);
    const store = openStore(opts.out as string, '--out', s3SettingsFrom(opts));
    const strict = Boolean(opts.strictPermissions);
    // Everything is checked before anything is created.
    const dirs = await checkDirectories({
      dragonflyDir: resolve(opts.dir as string),
      ...(store.local ? { encryptedDir: store.location } : {}),
      allowGroupAccess: Boolean(opts.allowGroupAccess),
      strict,
    });
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
    const releaseLocks = async () => {
      await dirLock.release();
      await storeLock.release();
    };
    const keyring = await keyringFromSettings(keySettingsFrom(opts));
    // prom-client and the HTTP server are loaded only by `watch`, not by the other commands.
    const { startObservability } = await import('../observe/start.js');
    const observe = await startObservability({
      listen: opts.metricsAddr as MetricsAddr,
      version: VERSION,
      onError: (err) => log.warn({ err: errorMessage(err) }, 'metrics endpoint error'),
    });
    if (observe.address)
      log.info({ address: formatListenAddress(observe.address) }, 'serving /metrics, /healthz and /readyz');
    const observer: PipelineObserver = observe.observer;
    const audits =
      opts.auditEvery === undefined
        ? undefined
        : startAuditSchedule({
            inputs: { ...audit, dir: dirs.dragonflyDir },
            everyMs: opts.auditEvery as number,
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
      instance: opts.instance as string,
      segmentSize: opts.segmentSize as number,
      shredMode: opts.shred as ShredMode,
      parallelism: opts.parallel as number,
      observer,
      log,
      rescanIntervalMs: opts.rescanInterval as number,
      retryInitialMs: 1000,
      retryMaxMs: opts.retryMax as number,
      retention: {
        keepLast: opts.keepLast as number | undefined,
        keepWithinMs: opts.keepWithin as number | undefined,
      },
      restored: {
        dragonflyUrl: opts.dragonflyUrl as string | undefined,
        graceMs: opts.restoredGrace as number,
      },
      verifyEveryMs: opts.verifyEvery as number | undefined,
      verifyLatest: async () =>
        void (await verifyLatest(store, keyring, observer, log, opts.parallel as number)),
    });
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: letting the current seal finish');
      const clean = await watcher.stop(opts.shutdownTimeout as number);
      if (!clean)
        log.warn(
          'shutdown timeout: abandoning the current seal; its staging data is discarded at the next start',
        );
      await audits?.stop();
      await observe.close();
      await keyring.close();
      await releaseLocks();
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
    await watcher.start();
    if (opts.once) {
      const failure = await watcher.idle();
      await watcher.stop(0);
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
    }
  });
}
