/**
 * systemd's journal reads a service's stdout and stderr line by line, each at the unit's default
 * priority (info) unless the line starts with a sd-daemon priority prefix such as `<3>` (error). When
 * JOURNAL_STREAM names the device and inode of the stream (so it was not redirected elsewhere), lines
 * carry that prefix, and `journalctl -p err` shows the errors.
 */
import { fstatSync } from 'node:fs';

/** sd-daemon.h: SD_CRIT 2, SD_ERR 3, SD_WARNING 4, SD_INFO 6, SD_DEBUG 7. */
export const JOURNAL_PRIORITY = { critical: 2, error: 3, warning: 4, info: 6, debug: 7 } as const;

/** Whether file descriptor `fd` is the journal stream systemd connected (JOURNAL_STREAM = "dev:inode"). */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const expected = env.JOURNAL_STREAM;
  if (!expected) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return `${st.dev}:${st.ino}` === expected;
  } catch {
    return false;
  }
}

/** Priority of a pino JSON line, from its numeric level (fatal 60 … trace 10). */
export function priorityOfPinoLine(line: string): number {
  const level = Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 30);
  if (level >= 60) return JOURNAL_PRIORITY.critical;
  if (level >= 50) return JOURNAL_PRIORITY.error;
  if (level >= 40) return JOURNAL_PRIORITY.warning;
  if (level >= 30) return JOURNAL_PRIORITY.info;
  return JOURNAL_PRIORITY.debug;
}
