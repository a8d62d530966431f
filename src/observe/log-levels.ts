/** The log levels of --log-level: apart from logger.ts so that reading settings does not load pino. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
