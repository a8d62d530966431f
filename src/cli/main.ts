/** Entry point: runs the CLI, turning every user-caused failure into one line and a non-zero exit code. */
import { CommanderError, type Command } from 'commander';
import { MissingKeyFileError, UserError, errnoCode, errnoPath, fileSystemProblem } from '../errors.js';
import { buildProgram } from './program.js';
import { JOURNAL_PRIORITY, isJournalStream } from '../observe/journal.js';

const debug = process.argv.includes('--log-level=debug') || process.env.SNAPSHOT_GUARD_LOG_LEVEL === 'debug';

/** Under systemd the line reaches the journal as an error (`journalctl -p err`), not as info. */
const errorPrefix = isJournalStream(2) ? `<${JOURNAL_PRIORITY.error}>` : '';

/** Commands that open data sealed earlier: a new key (keygen) can never help them. */
const OPENING = new Set(['restore', 'decrypt', 'verify', 'rewrap', 'list', 'doctor']);

function fail(message: string, code: number, err?: unknown): never {
  process.stderr.write(`${errorPrefix}snapshot-guard: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Commander's own usage errors ("error: unknown option '--x'") become one line like every other error:
 * "snapshot-guard: unknown option '--x'; see snapshot-guard restore --help" (exit 2, below).
 */
function oneLineUsageErrors(cmd: Command): void {
  cmd.configureOutput({
    outputError: (text, write) => {
      const what = text.trim().replace(/^error:\s*/, '');
      write(`${errorPrefix}snapshot-guard: ${what}; see \`${commandPath(cmd)} --help\`\n`);
    },
  });
  for (const sub of cmd.commands) oneLineUsageErrors(sub);
}

let running = '';
const program = await buildProgram(process.argv);
oneLineUsageErrors(program);
program.hook('preAction', (_root, action) => {
  running = action.name();
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has already printed its one-line message (or the help text); usage errors exit 2.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof MissingKeyFileError && OPENING.has(running)) fail(err.forOpening(), err.exitCode, err);
  if (err instanceof UserError) fail(err.message, err.exitCode, err);
  const code = errnoCode(err);
  if (code === 'EPIPE') process.exit(1);
  const path = errnoPath(err);
  const problem = path === undefined ? undefined : fileSystemProblem(err, path, 'use');
  if (problem) fail(problem, 1, err);
  if (code === 'ENOSPC') fail('no space left on device; free some space and run again', 1, err);
  const message = err instanceof Error ? err.message : String(err);
  fail(`unexpected error: ${message} (run with SNAPSHOT_GUARD_LOG_LEVEL=debug for details)`, 70, err);
}
