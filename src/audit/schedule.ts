/**
 * `watch --audit-every`: the audit again and again beside the sealing loop. Each run replaces the
 * exported findings; new and resolved findings are logged once, not at every run.
 */
import type { Logger } from '../observe/logger.js';
import { errorMessage } from '../errors.js';
import { atLeast } from './findings.js';
import { summaryLine } from './report.js';
import { runAudit, type AuditInputs, type AuditReport } from './run.js';

/** What the metrics need from a run (observe/metrics.ts implements it). */
export interface AuditObserver {
  auditFinished(findings: { check: string; severity: string }[], atUnixSeconds: number): void;
}

export interface AuditSchedule {
  /** The last finished run, if any. */
  readonly last: AuditReport | undefined;
  /** Resolves after the first run (tests and start-up logs). */
  readonly firstRun: Promise<void>;
  stop(): Promise<void>;
}

export function startAuditSchedule(opts: {
  inputs: AuditInputs;
  everyMs: number;
  observer: AuditObserver;
  log: Logger;
}): AuditSchedule {
  const { inputs, everyMs, observer, log } = opts;
  let last: AuditReport | undefined;
  let open = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const once = async (): Promise<void> => {
    try {
      const report = await runAudit(inputs);
      last = report;
      observer.auditFinished(
        report.findings.map((f) => ({ check: f.id, severity: f.severity })),
        report.checkedAt,
      );
      const now = new Set(report.findings.map((f) => f.id));
      for (const f of report.findings) {
        if (open.has(f.id)) continue;
        const line = {
          check: f.id,
          severity: f.severity,
          threat: f.threat,
          evidence: f.evidence,
          fix: f.fix,
        };
        if (atLeast(f.severity, 'high')) log.warn(line, 'Dragonfly audit finding');
        else log.info(line, 'Dragonfly audit finding');
      }
      for (const id of open) if (!now.has(id)) log.info({ check: id }, 'Dragonfly audit finding resolved');
      open = now;
      log.info({ summary: summaryLine(report) }, 'Dragonfly audit done');
    } catch (err) {
      // A flag file that vanished or a /proc entry of a restarted server: report and try again next time.
      log.error({ err: errorMessage(err) }, 'Dragonfly audit failed');
    }
  };

  const loop = (): void => {
    running = once().finally(() => {
      if (!stopped) timer = setTimeout(loop, everyMs);
    });
  };
  loop();
  const firstRun = running ?? Promise.resolve();

  return {
    get last() {
      return last;
    },
    firstRun,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
