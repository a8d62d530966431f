/**
 * Prometheus metrics for the sealing pipeline, on a registry of their own (never prom-client's global
 * one, so tests and several daemons in one process cannot collide). docs/OPERATIONS.md lists every
 * metric; test/unit/observe/names.test.ts keeps that list, the alerts and the dashboard in step with this file.
 *
 * Labels are bounded on purpose: stage, role, reason, provider, operation and outcome come from small
 * fixed sets (anything else becomes "other"); set ids, file names and paths never become label values.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  HousekeepingTask,
  LastSeal,
  PipelineObserver,
  SealFailureReason,
  SealStage,
  SealSuccess,
} from '../observe/observer.js';

/** 0.1 s … 1 h: a seal of a small RDB takes well under a second, a large DFS set several minutes. */
export const SEAL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** 5 ms … 30 s: a local wrap is sub-millisecond, a KMS or Vault round trip tens of milliseconds. */
export const KEY_PROVIDER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const STAGES: readonly SealStage[] = ['wrap', 'encrypt', 'verify', 'shred'];
const FAILURE_REASONS: readonly SealFailureReason[] = [
  'key_provider',
  'no_space',
  'io',
  'verify',
  'source_changed',
  'permission',
  'store',
  'other',
];
const HOUSEKEEPING_TASKS: readonly HousekeepingTask[] = ['retention', 'orphans', 'restored'];
const ROLES = ['shard', 'summary', 'rdb'] as const;
const PROVIDERS = ['local', 'kms', 'vault', 'age'] as const;
const OPERATIONS = ['generate', 'wrap', 'unwrap', 'rewrap', 'check'] as const;
const AUDIT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
const RESTORE_OUTCOMES = [
  'restored',
  'fell_back',
  'skipped',
  'nothing_sealed',
  'failed',
  'shredded_after_load',
  'stale',
] as const;

export interface PrometheusObserverOptions {
  /** snapshot-guard's version, for snapshot_guard_build_info. */
  version: string;
  /** Adds prom-client's process_* and nodejs_* metrics (default true). */
  defaultMetrics?: boolean;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** Only values from `allowed` become label values; anything else is "other". */
function bounded(value: string, allowed: readonly string[]): string {
  return allowed.includes(value) ? value : 'other';
}

function isCount(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}

export class PrometheusObserver implements PipelineObserver {
  readonly registry = new Registry();
  private readonly now: () => number;
  /** When the oldest pending plaintext appeared (ms), or undefined when nothing is pending. */
  private oldestPendingSince: number | undefined;

  private readonly lastSuccess: Gauge;
  private readonly lastDuration: Gauge;
  private readonly fileSize: Gauge<'role'>;
  private readonly stageDuration: Histogram<'stage'>;
  private readonly seals: Counter;
  private readonly sealSuccesses: Counter;
  private readonly sealFailures: Counter<'reason'>;
  private readonly housekeepingFailures: Counter<'task'>;
  private readonly encryptedBytes: Counter;
  private readonly pendingSets: Gauge;
  private readonly plaintextLifetime: Histogram;
  private readonly keyProviderDuration: Histogram<'provider' | 'operation'>;
  private readonly keyProviderErrors: Counter<'provider' | 'operation'>;
  private readonly lastVerification: Gauge;
  private readonly verificationFailures: Counter;
  private readonly chainBroken: Gauge;
  private readonly restoreOnBootTotal: Counter<'outcome'>;
  private readonly restoreSkipped: Gauge;
  private readonly watchingGauge: Gauge;
  private readonly keyProviderUp: Gauge;
  private readonly auditFindings: Gauge<'check' | 'severity'>;
  private readonly auditLastRun: Gauge;

  constructor(opts: PrometheusObserverOptions) {
    this.now = opts.now ?? Date.now;
    const registers = [this.registry];
    const oldestPendingAge = (): number => {
      const since = this.oldestPendingSince;
      return since === undefined ? 0 : Math.max(0, (this.now() - since) / 1000);
    };

    this.lastSuccess = new Gauge({
      name: 'dragonfly_snapshot_last_success_timestamp_seconds',
      help: 'Unix time when the last snapshot set was sealed (encrypted, verified, plaintext destroyed); 0 before the first one',
      registers,
    });
    this.lastDuration = new Gauge({
      name: 'dragonfly_snapshot_last_duration_seconds',
      help: 'Seconds the last successful seal took, from its start to the plaintext being gone',
      registers,
    });
    this.fileSize = new Gauge({
      name: 'dragonfly_snapshot_file_size_bytes',
      help: 'Plaintext size of the last sealed snapshot set, summed per file role (shard, summary, rdb)',
      labelNames: ['role'],
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'snapshot_guard_stage_duration_seconds',
      help: 'Seconds spent in each seal stage (wrap: data key from the key provider, encrypt, verify: read back and authenticate, shred)',
      labelNames: ['stage'],
      buckets: SEAL_BUCKETS,
      registers,
    });
    this.seals = new Counter({
      name: 'snapshot_guard_seals_total',
      help: 'Seal attempts started',
      registers,
    });
    this.sealSuccesses = new Counter({
      name: 'snapshot_guard_seal_successes_total',
      help: 'Seals that finished: encrypted copy durable and verified, plaintext destroyed',
      registers,
    });
    this.sealFailures = new Counter({
      name: 'snapshot_guard_seal_failures_total',
      help: 'Seal attempts that failed, by reason (the plaintext is kept and the seal retried)',
      labelNames: ['reason'],
      registers,
    });
    this.housekeepingFailures = new Counter({
      name: 'snapshot_guard_housekeeping_failures_total',
      help: 'Failures of work besides sealing (retention, leftover-shard cleanup, restored files), by task; never a failed seal',
      labelNames: ['task'],
      registers,
    });
    this.encryptedBytes = new Counter({
      name: 'snapshot_guard_encrypted_bytes_total',
      help: 'Plaintext bytes of snapshot sets sealed successfully',
      registers,
    });
    this.pendingSets = new Gauge({
      name: 'snapshot_guard_pending_sets',
      help: 'Complete snapshot sets waiting to be sealed (or being sealed)',
      registers,
    });
    new Gauge({
      name: 'snapshot_guard_oldest_pending_plaintext_age_seconds',
      help: 'Age of the oldest plaintext snapshot set still waiting to be sealed, at scrape time; 0 when none',
      registers,
      // Computed at scrape time, so the age keeps growing even if the pipeline stops reporting.
      collect() {
        this.set(oldestPendingAge());
      },
    });
    this.plaintextLifetime = new Histogram({
      name: 'snapshot_guard_plaintext_lifetime_seconds',
      help: 'Seconds plaintext existed after Dragonfly finished writing the snapshot, until it was destroyed',
      buckets: SEAL_BUCKETS,
      registers,
    });
    this.keyProviderDuration = new Histogram({
      name: 'snapshot_guard_key_provider_request_duration_seconds',
      help: 'Latency of key provider requests, by provider (local, kms, vault, age) and operation',
      labelNames: ['provider', 'operation'],
      buckets: KEY_PROVIDER_BUCKETS,
      registers,
    });
    this.keyProviderErrors = new Counter({
      name: 'snapshot_guard_key_provider_errors_total',
      help: 'Key provider requests that failed, by provider and operation',
      labelNames: ['provider', 'operation'],
      registers,
    });
    this.lastVerification = new Gauge({
      name: 'snapshot_guard_last_verification_success_timestamp_seconds',
      help: 'Unix time of the last successful verification of a sealed set; 0 before the first one',
      registers,
    });
    this.verificationFailures = new Counter({
      name: 'snapshot_guard_verification_failures_total',
      help: 'Verifications of sealed sets that failed (the encrypted copy did not read back and authenticate)',
      registers,
    });
    this.restoreOnBootTotal = new Counter({
      name: 'snapshot_guard_restore_on_boot_total',
      help: 'Restore-on-boot handling, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.chainBroken = new Gauge({
      name: 'snapshot_guard_chain_broken_links',
      help: 'Broken links the last scheduled check (watch --verify-every) found in the chain of sealed sets: a set deleted from the middle of the store, or replaced',
      registers,
    });
    this.restoreSkipped = new Gauge({
      name: 'snapshot_guard_restore_skipped_sets',
      help: 'Newer sealed sets the last restore into the snapshot directory skipped because they failed verification (it fell back to an older set)',
      registers,
    });
    this.watchingGauge = new Gauge({
      name: 'snapshot_guard_watching',
      help: '1 while the snapshot directory is being watched',
      registers,
    });
    this.keyProviderUp = new Gauge({
      name: 'snapshot_guard_key_provider_reachable',
      help: '1 when the key provider answered the last reachability check',
      registers,
    });
    this.auditFindings = new Gauge({
      name: 'snapshot_guard_dragonfly_audit_findings',
      help: 'Open findings of the last Dragonfly configuration audit (watch --audit-every), by check id and severity; accepted findings are not counted',
      labelNames: ['check', 'severity'],
      registers,
    });
    this.auditLastRun = new Gauge({
      name: 'snapshot_guard_dragonfly_audit_last_run_timestamp_seconds',
      help: 'Unix time of the last finished Dragonfly configuration audit; 0 before the first one',
      registers,
    });
    const buildInfo = new Gauge({
      name: 'snapshot_guard_build_info',
      help: 'Always 1; labels carry the snapshot-guard and Node.js versions',
      labelNames: ['version', 'node_version'],
      registers,
    });
    buildInfo.set({ version: opts.version, node_version: process.versions.node }, 1);

    // Series that alerts use with increase() exist from the start at 0, so that the first failure
    // is an increase and not a new series that increase() cannot see.
    for (const reason of FAILURE_REASONS) this.sealFailures.inc({ reason }, 0);
    for (const task of HOUSEKEEPING_TASKS) this.housekeepingFailures.inc({ task }, 0);
    for (const stage of STAGES) this.stageDuration.zero({ stage });
    for (const provider of PROVIDERS)
      for (const operation of OPERATIONS) this.keyProviderErrors.inc({ provider, operation }, 0);
    for (const outcome of RESTORE_OUTCOMES) this.restoreOnBootTotal.inc({ outcome }, 0);
    this.lastSuccess.set(0);
    this.restoreSkipped.set(0);
    this.lastVerification.set(0);
    this.pendingSets.set(0);
    this.auditLastRun.set(0);

    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Text exposition of every metric (what /metrics serves). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // The PipelineObserver contract says these never throw: each body is guarded.

  sealStarted(_setId: string): void {
    guard(() => this.seals.inc());
  }

  stageFinished(stage: SealStage, seconds: number): void {
    guard(() => {
      if (isCount(seconds)) this.stageDuration.observe({ stage: bounded(stage, STAGES) }, seconds);
    });
  }

  sealSucceeded(s: SealSuccess): void {
    guard(() => {
      this.sealSuccesses.inc();
      if (isCount(s.finishedAt)) this.lastSuccess.set(s.finishedAt);
      if (isCount(s.durationSeconds)) this.lastDuration.set(s.durationSeconds);
      if (isCount(s.plaintextBytes)) this.encryptedBytes.inc(s.plaintextBytes);
      if (isCount(s.plaintextLifetimeSeconds)) this.plaintextLifetime.observe(s.plaintextLifetimeSeconds);
      // The seal read every byte back and authenticated it: that is a verification of the newest set.
      if (isCount(s.finishedAt)) this.lastVerification.set(s.finishedAt);
      this.setFileSizes(s.fileSizes);
    });
  }

  /** After a restart the dashboards and SnapshotSizeJump need the last seal's gauges, not zeros. */
  lastSealFromStore(s: LastSeal): void {
    guard(() => {
      if (isCount(s.finishedAt)) this.lastSuccess.set(s.finishedAt);
      if (s.verifiedAt !== undefined && isCount(s.verifiedAt)) this.lastVerification.set(s.verifiedAt);
      this.setFileSizes(s.fileSizes);
    });
  }

  private setFileSizes(fileSizes: LastSeal['fileSizes']): void {
    {
      const perRole = new Map<string, number>();
      for (const f of fileSizes) {
        if (!isCount(f.bytes)) continue;
        const role = bounded(f.role, ROLES);
        perRole.set(role, (perRole.get(role) ?? 0) + f.bytes);
      }
      // Only the roles of the last set: an RDB after a DFS set must not leave the old shard size behind.
      this.fileSize.reset();
      for (const [role, bytes] of perRole) this.fileSize.set({ role }, bytes);
    }
  }

  housekeepingFailed(task: HousekeepingTask): void {
    guard(() => this.housekeepingFailures.inc({ task: bounded(task, HOUSEKEEPING_TASKS) }));
  }

  sealFailed(reason: SealFailureReason): void {
    guard(() => this.sealFailures.inc({ reason: bounded(reason, FAILURE_REASONS) }));
  }

  pending(count: number, oldestAgeSeconds: number): void {
    guard(() => {
      if (!isCount(count)) return;
      this.pendingSets.set(count);
      this.oldestPendingSince =
        count > 0 && isCount(oldestAgeSeconds) ? this.now() - oldestAgeSeconds * 1000 : undefined;
    });
  }

  keyProviderCall(provider: string, operation: string, seconds: number, ok: boolean): void {
    guard(() => {
      const labels = { provider: bounded(provider, PROVIDERS), operation: bounded(operation, OPERATIONS) };
      if (isCount(seconds)) this.keyProviderDuration.observe(labels, seconds);
      if (!ok) this.keyProviderErrors.inc(labels);
    });
  }

  verification(ok: boolean, atUnixSeconds: number): void {
    guard(() => {
      if (!ok) this.verificationFailures.inc();
      else if (isCount(atUnixSeconds)) this.lastVerification.set(atUnixSeconds);
    });
  }

  chainChecked(brokenLinks: number): void {
    guard(() => {
      if (isCount(brokenLinks)) this.chainBroken.set(brokenLinks);
    });
  }

  restoreSkippedSets(count: number): void {
    guard(() => this.restoreSkipped.set(count));
  }

  restoreOnBoot(outcome: (typeof RESTORE_OUTCOMES)[number]): void {
    guard(() => this.restoreOnBootTotal.inc({ outcome: bounded(outcome, RESTORE_OUTCOMES) }));
  }

  watching(active: boolean): void {
    guard(() => this.watchingGauge.set(active ? 1 : 0));
  }

  keyProviderReachable(ok: boolean): void {
    guard(() => this.keyProviderUp.set(ok ? 1 : 0));
  }

  /** A finished audit (src/audit/schedule.ts): its open findings replace the previous ones. */
  auditFinished(findings: { check: string; severity: string }[], atUnixSeconds: number): void {
    guard(() => {
      this.auditFindings.reset();
      for (const f of findings) {
        // Check ids are a fixed list plus flag.<name>; anything odd-looking becomes "other".
        const check = /^[a-z][a-z0-9_.-]{0,63}$/i.test(f.check) ? f.check : 'other';
        this.auditFindings.inc({ check, severity: bounded(f.severity, AUDIT_SEVERITIES) });
      }
      if (isCount(atUnixSeconds)) this.auditLastRun.set(atUnixSeconds);
    });
  }
}

/** Metrics must never break sealing: a failure to record is dropped. */
function guard(record: () => void): void {
  try {
    record();
  } catch {
    // Nothing sensible to do: the pipeline's own logs still tell what happened.
  }
}
