/**
 * pino logger: JSON lines on stdout, pretty when stdout is a terminal (without colours when NO_COLOR is
 * set); secrets redacted by path. Under systemd each line carries its journal priority (journal.ts).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import { isJournalStream, priorityOfPinoLine } from './journal.js';

export type { Logger };

export { LOG_LEVELS } from './log-levels.js';

const REDACT = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'secretId',
  '*.secretId',
  'dataKey',
  '*.dataKey',
  'plaintext',
  '*.plaintext',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-vault-token"]',
];

export function createLogger(level: LevelWithSilent = 'info', forcePretty?: boolean): Logger {
  const opts = {
    level,
    base: { name: 'snapshot-guard' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const usePretty = forcePretty ?? Boolean(process.stdout.isTTY);
  if (usePretty) {
    // Loaded only for terminals: the JSON path (services, containers) does not pay for it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(opts, pretty({ colorize: colorsAllowed(), sync: true, ignore: 'pid,hostname,name' }));
  }
  const out = pino.destination({ dest: 1, sync: true });
  if (!isJournalStream(1)) return pino(opts, out);
  return pino(opts, { write: (line: string) => out.write(`<${priorityOfPinoLine(line)}>${line}`) });
}

/** no-color.org: NO_COLOR present and not empty turns every colour off. */
export function colorsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR;
}
