/** Entry point: runs the CLI, turning every user-caused failure into one line and a non-zero exit code. */
import { CommanderError } from 'commander';
import { UserError, errnoCode } from '../errors.js';
import { buildProgram } from './program.js';
import { JOURNAL_PRIORITY, isJournalStream } from '../observe/journal.js';

const debug = process.argv.includes('--log-level=debug') || process.env.SNAPSHOT_GUARD_LOG_LEVEL === 'debug';

/** Under systemd the line reaches the journal as an error (`journalctl -p err`), not as info. */
const errorPrefix = isJournalStream(2) ? `<${JOURNAL_PRIORITY.error}>` : '';

function fail(message: string, code: number, err?: unknown): never {
  process.stderr.write(`${errorPrefix}snapshot-guard: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has already printed its one-line message (or the help text).
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UserError) fail(err.message, err.exitCode, err);
  const code = errnoCode(err);
  if (code === 'EPIPE') process.exit(1);
  if (code === 'ENOSPC') fail('no space left on device', 1, err);
  const message = err instanceof Error ? err.message : String(err);
  fail(`unexpected error: ${message} (run with SNAPSHOT_GUARD_LOG_LEVEL=debug for details)`, 70, err);
}
