/** The audit's metrics: each run replaces the findings; labels stay bounded. */
import { describe, expect, it } from 'vitest';
import { PrometheusObserver } from '../../../src/observe/metrics.js';

async function auditLines(o: PrometheusObserver): Promise<string[]> {
  return (await o.metrics()).split('\n').filter((l) => l.startsWith('snapshot_guard_dragonfly_audit_'));
}

describe('auditFinished', () => {
  it('exports open findings of the last run only, with the time of the run', async () => {
    const o = new PrometheusObserver({ version: 't', defaultMetrics: false });
    expect(await auditLines(o)).toEqual(['snapshot_guard_dragonfly_audit_last_run_timestamp_seconds 0']);
    o.auditFinished(
      [
        { check: 'auth.password', severity: 'critical' },
        { check: 'flag.maxmemory-policy', severity: 'high' },
      ],
      1000,
    );
    expect(await auditLines(o)).toEqual([
      'snapshot_guard_dragonfly_audit_findings{check="auth.password",severity="critical"} 1',
      'snapshot_guard_dragonfly_audit_findings{check="flag.maxmemory-policy",severity="high"} 1',
      'snapshot_guard_dragonfly_audit_last_run_timestamp_seconds 1000',
    ]);
    o.auditFinished([{ check: 'resources.maxclients', severity: 'low' }], 2000);
    expect(await auditLines(o)).toEqual([
      'snapshot_guard_dragonfly_audit_findings{check="resources.maxclients",severity="low"} 1',
      'snapshot_guard_dragonfly_audit_last_run_timestamp_seconds 2000',
    ]);
  });

  it('never turns odd input into label values', async () => {
    const o = new PrometheusObserver({ version: 't', defaultMetrics: false });
    o.auditFinished([{ check: 'flag.x"} 1\nevil{a="', severity: 'catastrophic' }], 1);
    expect(await auditLines(o)).toContain(
      'snapshot_guard_dragonfly_audit_findings{check="other",severity="other"} 1',
    );
  });
});
