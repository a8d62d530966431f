/** The replication lag (observe/store-metrics.ts) is computed at scrape time and is 0 once caught up. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { StoreMetrics } from '../../../src/observe/store-metrics.js';

async function lag(registry: Registry, target: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric('snapshot_guard_replication_lag_seconds')!.get();
  return m.values.find((v) => v.labels.target === target)?.value;
}

describe('StoreMetrics', () => {
  it('the lag grows with the clock while a set waits, and is 0 when the target has every set', async () => {
    let now = 1_000_000;
    const registry = new Registry();
    const m = new StoreMetrics(registry, () => now);
    m.addTarget('s3://dr/p');
    expect(await lag(registry, 's3://dr/p')).toBe(0);
    m.backlog('s3://dr/p', 2, now - 30_000);
    expect(await lag(registry, 's3://dr/p')).toBe(30);
    now += 60_000; // nothing reported meanwhile: the target is down
    expect(await lag(registry, 's3://dr/p')).toBe(90);
    m.backlog('s3://dr/p', 0, undefined);
    expect(await lag(registry, 's3://dr/p')).toBe(0);
  });

  it('store errors keep their operation; anything unknown is "other"', async () => {
    const registry = new Registry();
    const m = new StoreMetrics(registry);
    m.addStore('s3://b/p');
    m.storeError('s3://b/p', 'list');
    m.storeError('s3://b/p', 'bogus' as never);
    const values = (await registry.getSingleMetric('snapshot_guard_store_errors_total')!.get()).values;
    const of = (operation: string) => values.find((v) => v.labels.operation === operation)?.value;
    expect([of('list'), of('other'), of('upload')]).toEqual([1, 1, 0]);
  });
});
