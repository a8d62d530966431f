/** pino logger: JSON lines on stdout, pretty when stdout is a terminal; secrets redacted by path. */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
    return pino(opts, pretty({ colorize: true, sync: true, ignore: 'pid,hostname,name' }));
  }
  return pino(opts, pino.destination({ dest: 1, sync: true }));
}
