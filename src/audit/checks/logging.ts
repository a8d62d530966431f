/** The slow-query log: the one built-in trail of expensive (or abusive) commands. */
import { lookup, shown, type ServerConfig } from '../config.js';
import type { Finding } from '../findings.js';

export function loggingChecks(cfg: ServerConfig): Finding[] {
  const slowlog = lookup(cfg, 'slowlog_log_slower_than');
  if (slowlog.state !== 'set' || !(Number(slowlog.value) < 0)) return [];
  const redis = cfg.kind === 'redis';
  return [
    {
      id: 'logging.slowlog',
      severity: 'low',
      threat: 'undetected attacks',
      evidence: `${shown(cfg, 'slowlog_log_slower_than', slowlog)}: the slow-query log is off, so expensive or abusive commands leave no trace`,
      fix: redis
        ? '--slowlog-log-slower-than 10000 (microseconds)'
        : '--slowlog_log_slower_than=10000 (microseconds; the default)',
    },
  ];
}
