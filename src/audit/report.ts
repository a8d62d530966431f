/** The audit's output: a table grouped by severity for people, JSON for machines, and the exit code. */
import { SEVERITIES, atLeast, type Severity } from './findings.js';
import type { AuditReport } from './run.js';

export function counts(r: AuditReport): Record<Severity, number> {
  const c = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of r.findings) c[f.severity]++;
  return c;
}

/** "1 critical, 2 high, 0 medium, 1 low, 0 info; 1 accepted" */
export function summaryLine(r: AuditReport): string {
  const c = counts(r);
  const parts = [...SEVERITIES].reverse().map((s) => `${c[s]} ${s}`);
  return `${parts.join(', ')}${r.accepted.length ? `; ${r.accepted.length} accepted` : ''}`;
}

export function failed(r: AuditReport, failOn: Severity): boolean {
  return r.findings.some((f) => atLeast(f.severity, failOn));
}

export function formatTable(r: AuditReport, failOn: Severity): string {
  const lines: string[] = [];
  lines.push(`snapshot-guard audit of a ${r.server} server (${r.serverFrom})`);
  lines.push(`sources: ${r.sources.join('; ')}`);
  const width = Math.max(8, ...[...r.findings, ...r.accepted].map((f) => f.id.length));
  for (const s of [...SEVERITIES].reverse()) {
    const group = r.findings.filter((f) => f.severity === s);
    if (group.length === 0) continue;
    lines.push('', `${s.toUpperCase()} (${group.length})`);
    for (const f of group)
      lines.push(`  ${f.id.padEnd(width)}  [${f.threat}] ${f.evidence}  → fix: ${f.fix}`);
  }
  if (r.accepted.length > 0) {
    lines.push('', `ACCEPTED (${r.accepted.length}, silenced with --accept)`);
    for (const f of r.accepted)
      lines.push(
        `  ${f.id.padEnd(width)}  ${f.severity}, accepted because: ${f.reason} (saw: ${f.evidence})`,
      );
  }
  if (r.findings.length === 0) lines.push('', 'no findings');
  lines.push('', `summary: ${summaryLine(r)}; --fail-on ${failOn}: ${failed(r, failOn) ? 'FAIL' : 'pass'}`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(r: AuditReport, failOn: Severity): string {
  return `${JSON.stringify({ ...r, summary: counts(r), failOn, failed: failed(r, failOn) }, null, 2)}\n`;
}
