/**
 * Everything the audit knows about one server, merged from its sources: flags (flag file, command line,
 * /proc), its environment, live probes, and the snapshot directory. Checks read only this.
 */
import { canonicalName, type FlagValue } from './flags.js';

export type ServerKind = 'dragonfly' | 'redis';

export interface Setting {
  value: string;
  source: string;
}

export interface LiveFacts {
  /** The URL without its password. */
  url: string;
  reachable: boolean;
  error?: string;
  /** What an unauthenticated client got: refused (NOAUTH), allowed (a command succeeded). */
  unauthenticated: 'refused' | 'allowed' | 'unknown';
  unauthenticatedEvidence: string;
  /** INFO fields (server, persistence, replication). */
  info: Record<string, string>;
  /** false when CONFIG is renamed, restricted or denied by ACL. */
  configGetAllowed: boolean;
  configGetError?: string;
  /** Dangerous command → still callable (COMMAND INFO knows it), when asked. */
  commandAvailable: Map<string, boolean>;
}

export interface DirFacts {
  path: string;
  /** Exposure warnings from the daemon's own permission checks. */
  warnings: string[];
  error?: string;
  uid?: number;
  owner?: string;
  mode?: number;
  /** tmpfs or ramfs: snapshots take memory. */
  memoryBacked?: boolean;
  /** Size of the file system holding --dir, in bytes. */
  fsBytes?: number;
}

export interface ServerConfig {
  kind: ServerKind;
  kindSource: string;
  /** Human description of every source read, for the report header. */
  sources: string[];
  /** True when a flag file, command line or process was read: then a missing flag means "default". */
  flagsKnown: boolean;
  /** Every flag as written, in order. */
  flags: FlagValue[];
  /** Settings by Dragonfly-style name (Redis dashes become underscores); later sources win. */
  settings: Map<string, Setting>;
  /** The server's environment (names and values) when known. */
  env?: Map<string, string>;
  /** The uid the server process runs as (from --pid). */
  processUid?: number;
  live?: LiveFacts;
  dir?: DirFacts;
}

export function emptyConfig(): ServerConfig {
  return {
    kind: 'dragonfly',
    kindSource: 'default',
    sources: [],
    flagsKnown: false,
    flags: [],
    settings: new Map(),
  };
}

/** Booleans that Abseil also accepts as --noNAME. */
const NEGATABLE = new Set([
  'tls',
  'tls_replication',
  'df_snapshot_format',
  'cache_mode',
  'admin_nopass',
  'logtostderr',
]);

/** Applies flags in order (last wins), as the server would. */
export function applyFlags(cfg: ServerConfig, flags: FlagValue[]): void {
  cfg.flags.push(...flags);
  for (const f of flags) {
    const name = canonicalName(f.written, cfg.kind);
    if (name.startsWith('no') && NEGATABLE.has(name.slice(2)) && f.value === 'true') {
      cfg.settings.set(name.slice(2), { value: 'false', source: f.source });
    } else {
      cfg.settings.set(name, { value: f.value, source: f.source });
    }
  }
}

/** Dragonfly reads DFLY_<flag> from the environment, and DFLY_PASSWORD as the password. */
export function applyEnvironment(cfg: ServerConfig, env: Map<string, string>, where: string): void {
  cfg.env = new Map([...(cfg.env ?? []), ...env]);
  if (cfg.kind !== 'dragonfly') return;
  for (const [k, v] of env) {
    if (k === 'DFLY_PASSWORD') {
      if (!cfg.settings.has('requirepass'))
        cfg.settings.set('requirepass', { value: v, source: `${where} DFLY_PASSWORD` });
    } else if (k.startsWith('DFLY_') && k.length > 5) {
      const name = k.slice(5);
      // A flag on the command line wins over the environment.
      if (!cfg.settings.has(name)) cfg.settings.set(name, { value: v, source: `${where} ${k}` });
    }
  }
}

export type Lookup =
  | { state: 'set'; value: string; source: string }
  | { state: 'default'; source: string }
  | { state: 'unknown' };

/** A setting, or "left at its default" when the flags are known, or unknown. */
export function lookup(cfg: ServerConfig, name: string): Lookup {
  const s = cfg.settings.get(name);
  if (s) return { state: 'set', value: s.value, source: s.source };
  if (cfg.flagsKnown)
    return {
      state: 'default',
      source: cfg.sources.filter((x) => /^--(flagfile|cmdline|pid)/.test(x)).join(', '),
    };
  return { state: 'unknown' };
}

/** "--bind=0.0.0.0 (deploy/dragonfly.conf:3)" — never shows the value of a secret. */
export function shown(cfg: ServerConfig, name: string, l: Lookup): string {
  const flag = cfg.kind === 'redis' ? name.replace(/_/g, '-') : name;
  if (l.state === 'unknown') return `--${flag} unknown`;
  if (l.state === 'default') return `--${flag} not set (in ${l.source})`;
  const secret = /pass/i.test(name);
  return `--${flag}=${secret ? '(set)' : JSON.stringify(l.value).slice(1, -1)} (${l.source})`;
}

/** "512mb", "4G", "1073741824" → bytes; undefined when unreadable. */
export function parseBytes(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(value);
  if (!m?.[1]) return undefined;
  const power = ['', 'k', 'm', 'g', 't'].indexOf((m[2] ?? '').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
