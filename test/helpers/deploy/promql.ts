/**
 * Metric names referenced by a PromQL expression, and whether a registry has them. Enough PromQL to
 * read our own alerts and dashboard: strings, label matchers, ranges, grouping clauses, functions,
 * keywords and Grafana variables are stripped; what remains are metric names.
 */
import { PrometheusObserver } from '../../../src/observe/metrics.js';
import { StoreMetrics } from '../../../src/observe/store-metrics.js';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function metricNamesIn(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/#.*$/gm, '') // comments
    .replace(/\{[^}]*\}/g, ' ') // label matchers (and Grafana ${var} forms)
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries, with $__rate_interval
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\w+/g, ' '); // remaining Grafana variables
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const before = s[m.index - 1] ?? ' ';
    const after = s.slice(m.index + word.length);
    if (/[0-9.]/.test(before)) continue; // the unit of a duration or an exponent: 1h, 1e3
    if (/^\s*\(/.test(after)) continue; // a function call
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Series Prometheus itself adds to every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** Every name a scrape of snapshot-guard can return, including histogram series suffixes. */
export async function exposedNames(): Promise<Set<string>> {
  const metrics = new PrometheusObserver({ version: 'test' });
  new StoreMetrics(metrics.registry); // what watch adds: stores and --copy-to
  const names = new Set(SYNTHETIC);
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    if (String(m.type) === 'summary') for (const suffix of ['_sum', '_count']) names.add(m.name + suffix);
  }
  return names;
}

/** The names snapshot-guard defines itself (not prom-client's process and Node.js defaults). */
export async function ownMetricNames(): Promise<string[]> {
  const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
  new StoreMetrics(metrics.registry);
  return (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
}
