/**
 * The metrics a scrape really returns: observer calls go in, /metrics is fetched over HTTP on
 * 127.0.0.1, the exposition text is parsed, and each value is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusObserver } from '../../../src/observe/metrics.js';
import { startObserveServer, type ObserveServer } from '../../../src/observe/server.js';
import type { SealSuccess } from '../../../src/observe/observer.js';
import { parseExposition, sampleValue, samplesNamed, type Exposition } from '../../helpers/exposition.js';

let server: ObserveServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function scrape(metrics: PrometheusObserver): Promise<{ exp: Exposition; contentType: string }> {
  server ??= await startObserveServer({
    port: 0,
    metrics,
    readiness: () => ({ ready: true, reasons: [] }),
  });
  const res = await fetch(`http://127.0.0.1:${server.address.port}/metrics`);
  expect(res.status).toBe(200);
  return { exp: parseExposition(await res.text()), contentType: res.headers.get('content-type') ?? '' };
}

function dfsSuccess(overrides: Partial<SealSuccess> = {}): SealSuccess {
  return {
    setId: '20261123T174000.000Z_dump',
    format: 'dfs',
    files: 3,
    plaintextBytes: 3000,
    encryptedBytes: 3100,
    durationSeconds: 4.5,
    plaintextLifetimeSeconds: 5.25,
    fileSizes: [
      { role: 'shard', bytes: 1000 },
      { role: 'shard', bytes: 1500 },
      { role: 'summary', bytes: 500 },
    ],
    finishedAt: 1_795_000_000,
    ...overrides,
  };
}

describe('PrometheusObserver exposition', () => {
  it('serves the text format with the Prometheus content type, build info and process metrics', async () => {
    const metrics = new PrometheusObserver({ version: '1.2.3' });
    const { exp, contentType } = await scrape(metrics);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    expect(
      sampleValue(exp, 'snapshot_guard_build_info', {
        version: '1.2.3',
        node_version: process.versions.node,
      }),
    ).toBe(1);
    expect(samplesNamed(exp, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samplesNamed(exp, 'process_start_time_seconds')).toHaveLength(1);
    // Before the first seal: timestamps at 0, failure series present at 0 for increase() to work.
    expect(sampleValue(exp, 'dragonfly_snapshot_last_success_timestamp_seconds')).toBe(0);
    expect(sampleValue(exp, 'snapshot_guard_seal_failures_total', { reason: 'key_provider' })).toBe(0);
    expect(
      sampleValue(exp, 'snapshot_guard_key_provider_errors_total', {
        provider: 'kms',
        operation: 'generate',
      }),
    ).toBe(0);
    expect(sampleValue(exp, 'snapshot_guard_restore_on_boot_total', { outcome: 'failed' })).toBe(0);
    expect(exp.types.get('snapshot_guard_stage_duration_seconds')).toBe('histogram');
    expect(exp.types.get('snapshot_guard_seals_total')).toBe('counter');
    expect(exp.types.get('dragonfly_snapshot_file_size_bytes')).toBe('gauge');
  });

  it('records a successful seal: timestamp, duration, sizes per role, bytes, lifetime histogram', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    metrics.sealStarted('a');
    metrics.stageFinished('wrap', 0.02);
    metrics.stageFinished('encrypt', 3.5);
    metrics.stageFinished('verify', 0.7);
    metrics.stageFinished('shred', 0.05);
    metrics.sealSucceeded(dfsSuccess());
    const { exp } = await scrape(metrics);

    expect(sampleValue(exp, 'dragonfly_snapshot_last_success_timestamp_seconds')).toBe(1_795_000_000);
    expect(sampleValue(exp, 'dragonfly_snapshot_last_duration_seconds')).toBe(4.5);
    expect(sampleValue(exp, 'dragonfly_snapshot_file_size_bytes', { role: 'shard' })).toBe(2500);
    expect(sampleValue(exp, 'dragonfly_snapshot_file_size_bytes', { role: 'summary' })).toBe(500);
    expect(samplesNamed(exp, 'dragonfly_snapshot_file_size_bytes')).toHaveLength(2);
    expect(sampleValue(exp, 'snapshot_guard_seals_total')).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_seal_successes_total')).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_encrypted_bytes_total')).toBe(3000);

    const encryptCount = sampleValue(exp, 'snapshot_guard_stage_duration_seconds_count', {
      stage: 'encrypt',
    });
    expect(encryptCount).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_stage_duration_seconds_sum', { stage: 'encrypt' })).toBe(3.5);
    // 3.5 s lands in the 5 s bucket, not in the 2.5 s one.
    expect(
      sampleValue(exp, 'snapshot_guard_stage_duration_seconds_bucket', { stage: 'encrypt', le: '2.5' }),
    ).toBe(0);
    expect(
      sampleValue(exp, 'snapshot_guard_stage_duration_seconds_bucket', { stage: 'encrypt', le: '5' }),
    ).toBe(1);
    expect(
      sampleValue(exp, 'snapshot_guard_stage_duration_seconds_bucket', { stage: 'encrypt', le: '+Inf' }),
    ).toBe(1);
    // Buckets span 0.1 s … 1 h.
    const les = samplesNamed(exp, 'snapshot_guard_stage_duration_seconds_bucket')
      .filter((s) => s.labels.stage === 'encrypt')
      .map((s) => s.labels.le);
    expect(les[0]).toBe('0.1');
    expect(les).toContain('3600');
    for (const stage of ['wrap', 'verify', 'shred']) {
      expect(sampleValue(exp, 'snapshot_guard_stage_duration_seconds_count', { stage })).toBe(1);
    }
    expect(sampleValue(exp, 'snapshot_guard_plaintext_lifetime_seconds_count')).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_plaintext_lifetime_seconds_sum')).toBe(5.25);
  });

  it('keeps only the roles of the last sealed set', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    metrics.sealSucceeded(dfsSuccess());
    metrics.sealSucceeded(
      dfsSuccess({
        format: 'rdb',
        files: 1,
        fileSizes: [{ role: 'rdb', bytes: 4242 }],
        finishedAt: 1_795_000_300,
      }),
    );
    const { exp } = await scrape(metrics);
    expect(samplesNamed(exp, 'dragonfly_snapshot_file_size_bytes')).toEqual([
      { name: 'dragonfly_snapshot_file_size_bytes', labels: { role: 'rdb' }, value: 4242 },
    ]);
    expect(sampleValue(exp, 'dragonfly_snapshot_last_success_timestamp_seconds')).toBe(1_795_000_300);
    expect(sampleValue(exp, 'snapshot_guard_encrypted_bytes_total')).toBe(6000);
  });

  it('counts failures by reason and maps unknown reasons to "other"', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    metrics.sealStarted('a');
    metrics.sealFailed('no_space');
    metrics.sealStarted('a');
    metrics.sealFailed('no_space');
    metrics.sealStarted('b');
    metrics.sealFailed('verify');
    // A reason outside the type (a future caller's bug) must not create an unbounded label.
    metrics.sealFailed('/var/lib/dragonfly/dump.rdb' as never);
    const { exp } = await scrape(metrics);
    expect(sampleValue(exp, 'snapshot_guard_seals_total')).toBe(3);
    expect(sampleValue(exp, 'snapshot_guard_seal_failures_total', { reason: 'no_space' })).toBe(2);
    expect(sampleValue(exp, 'snapshot_guard_seal_failures_total', { reason: 'verify' })).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_seal_failures_total', { reason: 'other' })).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_seal_failures_total', { reason: 'io' })).toBe(0);
    expect(exp.samples.some((s) => Object.values(s.labels).some((v) => v.includes('/')))).toBe(false);
  });

  it('reports pending sets and an oldest-plaintext age that keeps growing between reports', async () => {
    let nowMs = 1_000_000;
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false, now: () => nowMs });
    metrics.pending(2, 30);
    let { exp } = await scrape(metrics);
    expect(sampleValue(exp, 'snapshot_guard_pending_sets')).toBe(2);
    expect(sampleValue(exp, 'snapshot_guard_oldest_pending_plaintext_age_seconds')).toBe(30);
    nowMs += 45_000; // no new report: the pipeline may be hung, the age must still grow
    ({ exp } = await scrape(metrics));
    expect(sampleValue(exp, 'snapshot_guard_oldest_pending_plaintext_age_seconds')).toBe(75);
    metrics.pending(0, 0);
    ({ exp } = await scrape(metrics));
    expect(sampleValue(exp, 'snapshot_guard_pending_sets')).toBe(0);
    expect(sampleValue(exp, 'snapshot_guard_oldest_pending_plaintext_age_seconds')).toBe(0);
  });

  it('records key provider latency and errors by provider and operation, bounded', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    metrics.keyProviderCall('kms', 'generate', 0.04, true);
    metrics.keyProviderCall('kms', 'generate', 0.3, false);
    metrics.keyProviderCall('vault', 'unwrap', 0.01, false);
    metrics.keyProviderCall('https://kms.example/key/123', 'generate', 0.01, false);
    metrics.keyProviderReachable(true);
    const { exp } = await scrape(metrics);
    const kmsGen = { provider: 'kms', operation: 'generate' };
    expect(sampleValue(exp, 'snapshot_guard_key_provider_request_duration_seconds_count', kmsGen)).toBe(2);
    expect(sampleValue(exp, 'snapshot_guard_key_provider_request_duration_seconds_sum', kmsGen)).toBeCloseTo(
      0.34,
      10,
    );
    expect(sampleValue(exp, 'snapshot_guard_key_provider_errors_total', kmsGen)).toBe(1);
    expect(
      sampleValue(exp, 'snapshot_guard_key_provider_errors_total', {
        provider: 'vault',
        operation: 'unwrap',
      }),
    ).toBe(1);
    expect(
      sampleValue(exp, 'snapshot_guard_key_provider_errors_total', {
        provider: 'other',
        operation: 'generate',
      }),
    ).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_key_provider_reachable')).toBe(1);
  });

  it('records verifications, restore-on-boot outcomes and watching', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    metrics.verification(true, 1_795_000_100);
    metrics.verification(false, 1_795_000_200);
    metrics.verification(false, 1_795_000_300);
    metrics.restoreOnBoot('restored');
    metrics.restoreOnBoot('shredded_after_load');
    metrics.watching(true);
    const { exp } = await scrape(metrics);
    expect(sampleValue(exp, 'snapshot_guard_last_verification_success_timestamp_seconds')).toBe(
      1_795_000_100,
    );
    expect(sampleValue(exp, 'snapshot_guard_verification_failures_total')).toBe(2);
    expect(sampleValue(exp, 'snapshot_guard_restore_on_boot_total', { outcome: 'restored' })).toBe(1);
    expect(sampleValue(exp, 'snapshot_guard_restore_on_boot_total', { outcome: 'shredded_after_load' })).toBe(
      1,
    );
    expect(sampleValue(exp, 'snapshot_guard_restore_on_boot_total', { outcome: 'skipped' })).toBe(0);
    expect(sampleValue(exp, 'snapshot_guard_watching')).toBe(1);
  });

  it('never throws on nonsense input and ignores it', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    expect(() => {
      metrics.stageFinished('encrypt', -1);
      metrics.stageFinished('encrypt', NaN);
      metrics.pending(-3, 5);
      metrics.sealSucceeded(dfsSuccess({ plaintextBytes: -5, durationSeconds: Infinity }));
    }).not.toThrow();
    const { exp } = await scrape(metrics);
    expect(sampleValue(exp, 'snapshot_guard_stage_duration_seconds_count', { stage: 'encrypt' })).toBe(0);
    expect(sampleValue(exp, 'snapshot_guard_encrypted_bytes_total')).toBe(0);
    expect(sampleValue(exp, 'snapshot_guard_pending_sets')).toBe(0);
  });

  it('uses its own registry: two observers in one process do not clash', async () => {
    const a = new PrometheusObserver({ version: 'a' });
    const b = new PrometheusObserver({ version: 'b' });
    a.sealStarted('x');
    const expB = parseExposition(await b.metrics());
    expect(sampleValue(expB, 'snapshot_guard_seals_total')).toBe(0);
    const { exp } = await scrape(a);
    expect(sampleValue(exp, 'snapshot_guard_seals_total')).toBe(1);
  });
});
