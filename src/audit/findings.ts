/**
 * What an audit reports: findings with a stable id, a severity, the evidence seen, the threat the
 * check addresses (the threat names of the security analyses the checklist comes from) and the fix.
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const THREATS = [
  'unauthorised access',
  'data breach',
  'command abuse',
  'denial of service',
  'data loss',
  'undetected attacks',
] as const;
export type Threat = (typeof THREATS)[number];

export interface Finding {
  /** Stable id, used by --accept and as the metric's `check` label. */
  id: string;
  severity: Severity;
  threat: Threat;
  /** What the check saw, with where it saw it ("--bind=0.0.0.0 (flagfile /etc/dragonfly.conf:3)"). */
  evidence: string;
  /** The exact change that makes the finding go away, with the real flag. */
  fix: string;
}

export interface AcceptedFinding extends Finding {
  /** Why the operator accepted it (--accept ID=REASON). */
  reason: string;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}
