/** A small parser for the Prometheus text exposition format (enough for tests to read real /metrics output). */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name → type (counter, gauge, histogram, ...), from the # TYPE lines. */
  types: Map<string, string>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m?.[1] || m[2] === undefined) throw new Error(`bad label set: {${text}}`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  // Prometheus parses these case-insensitively (prom-client writes "Nan").
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`bad sample value: ${text}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t?.[1] && t[2]) types.set(t[1], t[2]);
      continue;
    }
    const m = LINE.exec(line);
    if (!m?.[1] || !m[4]) throw new Error(`bad exposition line: ${line}`);
    samples.push({ name: m[1], labels: parseLabels(m[3] ?? ''), value: parseValue(m[4]) });
  }
  return { samples, types };
}

/** The value of the one sample with this name whose labels include `labels`; throws if none or several. */
export function sampleValue(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exp.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) {
    throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  }
  return found[0]!.value;
}

export function samplesNamed(exp: Exposition, name: string): Sample[] {
  return exp.samples.filter((s) => s.name === name);
}
