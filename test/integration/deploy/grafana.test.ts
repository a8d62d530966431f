/**
 * deploy/grafana/snapshot-guard.json: valid JSON for a recent Grafana, a data-source variable, every
 * metric group on some panel, every query's metric names really exposed, and every query valid PromQL
 * (checked by promtool, by wrapping the queries into a temporary recording-rule file).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exposedNames, metricNamesIn, ownMetricNames } from '../../helpers/deploy/promql.js';
import { hasCommand } from '../../helpers/deploy/tools.js';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

const dashboard = JSON.parse(readFileSync('deploy/grafana/snapshot-guard.json', 'utf8')) as Dashboard;

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const panels = allPanels(dashboard.panels);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));

describe('Grafana dashboard', () => {
  it('is a recent dashboard with a Prometheus data-source variable used by every query', () => {
    expect(dashboard.uid).toBe('snapshot-guard');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual(p.datasource);
    }
  });

  it('has unique panel ids and panels inside the 24-column grid', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.gridPos!.x + p.gridPos!.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('only queries metric names the registry exposes', async () => {
    const known = await exposedNames();
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) {
      const names = metricNamesIn(q.expr);
      expect(names.length, `${q.panel}: ${q.expr}`).toBeGreaterThan(0);
      for (const name of names) expect(known.has(name), `${q.panel}: unknown metric ${name}`).toBe(true);
    }
  });

  it('shows every snapshot-guard metric on some panel', async () => {
    const used = new Set(
      queries.flatMap((q) => metricNamesIn(q.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of await ownMetricNames()) expect(used.has(name), `no panel shows ${name}`).toBe(true);
  });

  it.skipIf(!hasCommand('promtool'))('has only valid PromQL (promtool check rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-grafana-'));
    try {
      // Grafana fills these in at query time; any valid duration will do for a syntax check.
      const rules = queries.map((q, i) => ({
        record: `dashboard:query_${i}`,
        expr: q.expr
          .replaceAll('$__rate_interval', '5m')
          .replaceAll('$job', '.*')
          .replaceAll('$instance', '.*'),
      }));
      const file = join(dir, 'rules.yml');
      // JSON is YAML: no YAML writer needed.
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metricNamesIn', () => {
  it('finds metric names and nothing else', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.9, sum by (le, stage) (rate(snapshot_guard_stage_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))',
      ),
    ).toEqual(['snapshot_guard_stage_duration_seconds_bucket']);
    expect(
      metricNamesIn(
        'abs(sum without (role) (a_bytes) - sum without (role) (a_bytes offset 1h)) / (b_total > 0) > 0.5 or on(instance) up{job="x"} unless vector(1e3)',
      ).sort(),
    ).toEqual(['a_bytes', 'b_total', 'up']);
  });
});
