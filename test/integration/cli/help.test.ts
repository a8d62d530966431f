/**
 * Every subcommand's --help is usable at 3 a.m.: required flags marked, the key-provider flags in their
 * own section after the command's own, and examples to paste.
 */
import { expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const COMMANDS = ['watch', 'restore', 'verify', 'list', 'rewrap', 'doctor', 'encrypt', 'decrypt', 'audit'];

it.each(COMMANDS)('%s --help: examples, required flags marked, key providers apart', async (name) => {
  const run = await runCli([name, '--help']);
  expect(run.code).toBe(0);
  const help = run.stdout.toString();
  expect(help).toMatch(new RegExp(`\\nExamples:\\n  \\$ snapshot-guard ${name} `));
  const keys = help.indexOf('Key providers');
  if (name !== 'list' && name !== 'audit') {
    expect(keys).toBeGreaterThan(0);
    expect(help.indexOf('--key-file')).toBeGreaterThan(keys); // not mixed into the command's own options
  }
});

it('marks the required flags of restore', async () => {
  const help = (await runCli(['restore', '--help'])).stdout.toString();
  expect(help).toMatch(/--from <[^>]+>\s+\(required\)/);
  expect(help).toMatch(/--to <[^>]+>\s+\(required\)/);
});
