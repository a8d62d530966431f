#!/usr/bin/env node
/**
 * Prints snapshot-guard(1) in roff, made from the --help texts of the command and every subcommand, so
 * the man page says exactly what the installed program says.
 *   node deploy/debian/manpage.mjs dist/cli/program.js SOURCE_DATE_EPOCH
 */
import { pathToFileURL } from 'node:url';

const [programPath, epoch] = process.argv.slice(2);
if (!programPath) {
  process.stderr.write('usage: manpage.mjs PATH/TO/dist/cli/program.js [SOURCE_DATE_EPOCH]\n');
  process.exit(2);
}
const { buildProgram, VERSION } = await import(pathToFileURL(programPath).href);
const program = await buildProgram();
const date = new Date(Number(epoch ?? Date.now() / 1000) * 1000).toISOString().slice(0, 10);

/** Text safe in roff: backslashes escaped, no line starting with a control character. */
const roff = (text) =>
  text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
const block = (text) => `.nf\n${roff(text.trimEnd())}\n.fi`;

const out = [
  `.TH SNAPSHOT-GUARD 1 "${date}" "snapshot-guard ${VERSION}" "User Commands"`,
  '.SH NAME',
  'snapshot-guard \\- encrypt Dragonfly and Redis snapshots the moment they are written',
  '.SH SYNOPSIS',
  '.B snapshot-guard',
  '.I command',
  '[\\fIoptions\\fR]',
  '.SH DESCRIPTION',
  roff(program.description()),
  '.PP',
  block(program.helpInformation()),
  '.SH COMMANDS',
];
for (const sub of program.commands) {
  out.push(`.SS ${sub.name()}`, block(sub.helpInformation()));
}
out.push(
  '.SH FILES',
  '.TP',
  '.I /etc/snapshot\\-guard/snapshot\\-guard.env',
  'Settings for the systemd units (key providers, log level, metrics address, extra flags).',
  '.TP',
  '.I /etc/snapshot\\-guard/snapshot\\-guard.key',
  'The local key, created with \\fBsnapshot\\-guard keygen\\fR; keep a copy offline.',
  '.TP',
  '.I /var/lib/snapshot\\-guard/sealed',
  'Sealed (encrypted) snapshot sets.',
  '.SH SEE ALSO',
  '.BR systemctl (1),',
  '.BR journalctl (1),',
  'and the documentation in',
  '.IR /usr/share/doc/snapshot\\-guard .',
  '',
);
process.stdout.write(out.join('\n'));
