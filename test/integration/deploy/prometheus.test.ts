/**
 * deploy/prometheus: the alert rules load (promtool check rules), every alert has promtool unit tests
 * that pass (promtool test rules), every runbook_url points at a heading that exists in docs/ALERTS.md,
 * every metric an alert uses is exposed, and the Kubernetes PrometheusRule carries exactly the same groups.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exposedNames, metricNamesIn } from '../../helpers/deploy/promql.js';
import { hasCommand, missing } from '../../helpers/deploy/tools.js';
import { parseYaml } from '../../helpers/deploy/yaml.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const ALERTS = 'deploy/prometheus/alerts.yml';
const ALERT_TESTS = 'deploy/prometheus/alerts.test.yml';
const rules = parseYaml(readFileSync(ALERTS, 'utf8')) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);

const promtool = hasCommand('promtool');
if (!promtool) console.warn(missing('promtool', 'prometheus'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

describe('Prometheus alert rules', () => {
  it.skipIf(!promtool)('pass promtool check rules', () => {
    const out = execFileSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it.skipIf(!promtool)('pass their promtool unit tests', () => {
    const out = execFileSync('promtool', ['test', 'rules', ALERT_TESTS], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  it('every alert has a unit test that expects it to fire and one that expects silence', () => {
    const tests = parseYaml(readFileSync(ALERT_TESTS, 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const checks = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = checks.filter((c) => c.alertname === a.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${a.alert} never expected to fire`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${a.alert} never expected to stay silent`,
      ).toBe(true);
    }
  });

  it('every alert has a severity, a summary, a description and a runbook_url into docs/ALERTS.md', () => {
    const doc = readFileSync('docs/ALERTS.md', 'utf8');
    const anchors = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => githubAnchor(m[1]!)));
    const prefix = 'https://github.com/snapshot-guard/snapshot-guard/blob/main/docs/ALERTS.md#';
    for (const a of alerts) {
      expect(['critical', 'warning'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      const url = a.annotations?.runbook_url ?? '';
      expect(url.startsWith(prefix), `${a.alert}: ${url}`).toBe(true);
      const anchor = url.slice(prefix.length);
      expect(anchor).toBe(githubAnchor(a.alert!));
      expect(anchors.has(anchor), `docs/ALERTS.md has no heading for #${anchor}`).toBe(true);
    }
  });

  it('only uses metrics that snapshot-guard exposes', async () => {
    const known = await exposedNames();
    for (const a of alerts) {
      for (const name of metricNamesIn(a.expr)) {
        expect(known.has(name), `${a.alert} uses unknown metric ${name}`).toBe(true);
      }
    }
  });

  it('the Kubernetes PrometheusRule has exactly the same rule groups', () => {
    const pr = parseYaml(readFileSync('deploy/kubernetes/base/prometheusrule.yaml', 'utf8')) as {
      apiVersion: string;
      kind: string;
      spec: RuleFile;
    };
    expect(pr.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(pr.kind).toBe('PrometheusRule');
    expect(
      pr.spec.groups,
      `copy the groups of ${ALERTS} into deploy/kubernetes/base/prometheusrule.yaml (run deploy/kubernetes/sync-prometheusrule.sh)`,
    ).toEqual(rules.groups);
  });
});
