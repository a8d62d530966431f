/** Shared helpers of the audit tests. */
import { join } from 'node:path';
import { runCli, type CliResult } from './cli.js';

export const FIXTURES = join(import.meta.dirname, 'audit-fixtures');
export const fixture = (name: string): string => join(FIXTURES, name);

export interface JsonFinding {
  id: string;
  severity: string;
  threat: string;
  evidence: string;
  fix: string;
  reason?: string;
}
export interface JsonReport {
  server: string;
  sources: string[];
  findings: JsonFinding[];
  accepted: JsonFinding[];
  summary: Record<string, number>;
  failed: boolean;
}

export async function auditJson(
  args: string[],
  env?: Record<string, string | undefined>,
): Promise<{ r: CliResult; report: JsonReport }> {
  const r = await runCli(['audit', '--json', ...args], { env });
  let report: JsonReport;
  try {
    report = JSON.parse(r.stdout.toString()) as JsonReport;
  } catch {
    throw new Error(`audit printed no JSON (exit ${r.code}): ${r.stderr}${r.stdout.toString()}`);
  }
  return { r, report };
}

/** "id severity" pairs, sorted, for exact comparisons. */
export function idsOf(findings: JsonFinding[]): string[] {
  return findings.map((f) => `${f.id} ${f.severity}`).sort();
}

export function byId(findings: JsonFinding[], id: string): JsonFinding {
  const f = findings.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id} in ${findings.map((x) => x.id).join(', ')}`);
  return f;
}
