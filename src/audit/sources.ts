/**
 * Where the server's flags come from: a flag file, a command line given as one string, or a running
 * process (/proc/PID/cmdline, its environment and user, and any --flagfile it names).
 */
import { readFile, readlink } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { UserError, errnoCode } from '../errors.js';
import { parseArgs, parseFlagfile, splitCommandLine, type FlagValue } from './flags.js';

export interface FlagSource {
  /** For the report header: "--flagfile deploy/dragonfly.conf". */
  description: string;
  flags: FlagValue[];
  /** The program's name when the source shows it (argv[0]). */
  program?: string;
  env?: Map<string, string>;
  envWhere?: string;
  uid?: number;
  /**
   * false when flags may live elsewhere: Redis rewrites its process title (so /proc shows no flags),
   * and a Redis config file named on the command line is not read. Then a missing flag is "unknown".
   */
  complete: boolean;
}

const isRedis = (program: string | undefined): boolean => /^(redis|valkey)-server/.test(program ?? '');

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err) ?? String(err);
    throw new UserError(
      `cannot read ${what} ${path}: ${code}; check the path and that this user may read it`,
      2,
    );
  }
}

/** Replaces each --flagfile=PATH by the flags in that file, in place, as Abseil does. */
async function expandFlagfiles(flags: FlagValue[], cwd: string, depth = 0): Promise<FlagValue[]> {
  const out: FlagValue[] = [];
  for (const f of flags) {
    if (f.written !== 'flagfile') {
      out.push(f);
      continue;
    }
    if (depth > 8) throw new UserError(`--flagfile nesting too deep at ${f.source}`, 2);
    for (const one of f.value.split(',')) {
      const path = isAbsolute(one) ? one : resolve(cwd, one);
      const inner = parseFlagfile(await readText(path, `--flagfile (named in ${f.source})`), path);
      out.push(...(await expandFlagfiles(inner, cwd, depth + 1)));
    }
  }
  return out;
}

export async function fromFlagfile(path: string): Promise<FlagSource> {
  const text = await readText(path, '--flagfile');
  const flags = await expandFlagfiles(parseFlagfile(text, path), process.cwd());
  return { description: `--flagfile ${path}`, flags, complete: true };
}

export async function fromCommandLine(line: string): Promise<FlagSource> {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (err) {
    throw new UserError(`cannot read --cmdline: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
  // "dragonfly --bind …" or just "--bind …".
  const program = words[0] !== undefined && !words[0].startsWith('-') ? basename(words.shift()!) : undefined;
  const positionals: string[] = [];
  const flags = await expandFlagfiles(parseArgs(words, '--cmdline', positionals), process.cwd());
  const complete = !(isRedis(program) && positionals.length > 0);
  return {
    description: `--cmdline${complete ? '' : ` (the config file ${positionals[0]} is not read: settings not on the command line count as unknown)`}`,
    flags,
    program,
    complete,
  };
}

function parseEnviron(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of text.split(/\0|\n/)) {
    const i = entry.indexOf('=');
    if (i > 0) env.set(entry.slice(0, i), entry.slice(i + 1));
  }
  return env;
}

/** KEY=value lines (systemd EnvironmentFile=, docker --env-file); `#` comments. */
export async function readEnvFile(path: string): Promise<Map<string, string>> {
  const text = await readText(path, '--env-file');
  const lines = text.split(/\r?\n/).filter((l) => !/^\s*(#|$)/.test(l));
  return parseEnviron(lines.map((l) => l.trim().replace(/^export\s+/, '')).join('\n'));
}

export async function fromProcess(pid: number): Promise<FlagSource> {
  const proc = `/proc/${pid}`;
  let raw: string;
  try {
    raw = await readFile(`${proc}/cmdline`, 'utf8');
  } catch (err) {
    throw new UserError(
      `cannot read ${proc}/cmdline: ${errnoCode(err) === 'ENOENT' ? 'no such process' : (errnoCode(err) ?? String(err))}; check --pid`,
      2,
    );
  }
  const argv = raw.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  const cwd = await readlink(`${proc}/cwd`).catch(() => '/');
  const flags = await expandFlagfiles(parseArgs(argv.slice(1), `${proc}/cmdline`), cwd);
  // The environment is readable only by the same user or root; without it DFLY_PASSWORD is unknown.
  const env = await readFile(`${proc}/environ`, 'utf8').then(parseEnviron, () => undefined);
  const status = await readFile(`${proc}/status`, 'utf8').catch(() => '');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const program = argv[0] ? basename(argv[0].split(' ')[0]!) : undefined;
  const complete = !isRedis(program);
  return {
    description: `--pid ${pid} (${program ?? '?'})${env ? '' : ', environment not readable'}${complete ? '' : ': Redis rewrites its command line, so its flags are unknown (use --dragonfly-url)'}`,
    flags,
    program,
    complete,
    env,
    envWhere: `${proc}/environ`,
    uid: uid === undefined ? undefined : Number(uid),
  };
}
