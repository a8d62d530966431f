/** The audit as one line, for `doctor`: counts, the worst findings, and where to see the details. */
import { errorMessage } from '../errors.js';
import { atLeast } from './findings.js';
import { summaryLine } from './report.js';
import { runAudit, type AuditInputs } from './run.js';

export async function auditSummary(inputs: AuditInputs): Promise<{ level: 'ok' | 'warn'; text: string }> {
  try {
    const r = await runAudit(inputs);
    const serious = r.findings.filter((f) => atLeast(f.severity, 'high'));
    const worst = serious
      .slice(0, 3)
      .map((f) => `${f.id} (${f.severity})`)
      .join(', ');
    return {
      level: serious.length > 0 ? 'warn' : 'ok',
      text: `Dragonfly audit (${r.sources.join('; ')}): ${summaryLine(r)}${worst ? `; worst: ${worst}${serious.length > 3 ? ', …' : ''}` : ''}${r.findings.length ? '; details and fixes: snapshot-guard audit' : ''}`,
    };
  } catch (err) {
    return { level: 'warn', text: `Dragonfly audit did not run: ${errorMessage(err)}` };
  }
}
