/**
 * One list of metric names, kept honest: every metric snapshot-guard defines is documented in
 * docs/OPERATIONS.md with its real type and labels; every metric name the docs, the alert rules and the
 * dashboard mention is really exposed; every metric follows Prometheus naming conventions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrometheusObserver } from '../../../src/observe/metrics.js';
import { StoreMetrics } from '../../../src/observe/store-metrics.js';
import { exposedNames, metricNamesIn } from '../../helpers/deploy/promql.js';
import { parseYaml } from '../../helpers/deploy/yaml.js';

interface Documented {
  name: string;
  type: string;
  labels: string[];
}

/** Rows of the metrics table: | `name` | type | `label` = …; `label2` … | meaning | */
function documentedMetrics(markdown: string): Documented[] {
  const rows: Documented[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\| `([a-z_:][a-z0-9_:]*)` \| (\w+) \|([^|]*)\|/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const labels = [...(m[3] ?? '').trim().matchAll(/(?:^|;\s*)`([a-z_]+)`/g)].map((l) => l[1]!);
    rows.push({ name: m[1], type: m[2], labels });
  }
  return rows;
}

/** Every own metric with its type and label names, after each observer method has been called once. */
async function registered(): Promise<Map<string, { type: string; labels: string[] }>> {
  const o = new PrometheusObserver({ version: 'test', defaultMetrics: false });
  o.sealSucceeded({
    setId: 's',
    format: 'dfs',
    files: 2,
    plaintextBytes: 2,
    encryptedBytes: 2,
    durationSeconds: 1,
    plaintextLifetimeSeconds: 1,
    fileSizes: [{ role: 'shard', bytes: 1 }],
    finishedAt: 1,
  });
  o.keyProviderCall('kms', 'generate', 0.1, true);
  o.auditFinished([{ check: 'auth.password', severity: 'high' }], 1);
  const stores = new StoreMetrics(o.registry);
  stores.addStore('s3://b/p');
  stores.addTarget('s3://b/copy');
  stores.transfer('s3://b/p', 'upload', 1, 1);
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of await o.registry.getMetricsAsJSON()) {
    const labels = new Set<string>();
    for (const v of m.values) for (const k of Object.keys(v.labels)) if (k !== 'le') labels.add(k);
    out.set(m.name, { type: String(m.type), labels: [...labels].sort() });
  }
  return out;
}

const operations = readFileSync('docs/OPERATIONS.md', 'utf8');
const alertsDoc = readFileSync('docs/ALERTS.md', 'utf8');

describe('metric names', () => {
  it('docs/OPERATIONS.md documents every own metric, with its real type and labels, and nothing else', async () => {
    const reg = await registered();
    const docs = documentedMetrics(operations);
    expect(docs.map((d) => d.name).sort()).toEqual([...reg.keys()].sort());
    for (const d of docs) {
      const r = reg.get(d.name)!;
      expect(d.type, d.name).toBe(r.type);
      expect(d.labels.sort(), d.name).toEqual(r.labels);
    }
  });

  it('every metric name mentioned in docs/OPERATIONS.md and docs/ALERTS.md is exposed', async () => {
    const known = await exposedNames();
    const mentioned = new Set<string>();
    for (const text of [operations, alertsDoc]) {
      for (const code of text.matchAll(/`([^`\n]+)`/g)) {
        for (const name of metricNamesIn(code[1]!)) {
          // "dragonfly_snapshot_*" names a family, not a metric.
          if (/^(snapshot_guard_|dragonfly_snapshot_|process_|nodejs_).*[a-z0-9]$/.test(name))
            mentioned.add(name);
        }
      }
    }
    expect(mentioned.size).toBeGreaterThan(20);
    for (const name of mentioned) expect(known.has(name), `documented but not exposed: ${name}`).toBe(true);
  });

  it('every metric the alert rules and the dashboard use is exposed', async () => {
    const known = await exposedNames();
    const rules = parseYaml(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as {
      groups: { rules: { expr: string }[] }[];
    };
    const dashboard = readFileSync('deploy/grafana/snapshot-guard.json', 'utf8');
    const exprs = [
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ...[...dashboard.matchAll(/"expr": ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string),
    ];
    expect(exprs.length).toBeGreaterThan(25);
    for (const expr of exprs) {
      for (const name of metricNamesIn(expr)) expect(known.has(name), `${name} in ${expr}`).toBe(true);
    }
  });

  it('follow Prometheus naming conventions', async () => {
    for (const [name, { type }] of await registered()) {
      expect(name).toMatch(/^(snapshot_guard|dragonfly_snapshot)_[a-z0-9_]+$/);
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      else expect(name, name).not.toMatch(/_total$/);
      if (type === 'histogram' || name.includes('duration') || name.includes('age')) {
        expect(name, name).toMatch(/_seconds$/);
      }
      if (name.includes('size') || name.includes('bytes')) expect(name, name).toMatch(/_bytes(_total)?$/);
      expect(name).not.toMatch(/_(ms|milliseconds|kb|mb|minutes)(_|$)/);
    }
  });
});
