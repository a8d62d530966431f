/** How far the server's port reaches, and whether it asks for a password: other checks weigh by these. */
import { lookup, type Lookup, type ServerConfig } from '../config.js';

export type Exposure = 'none' | 'loopback' | 'specific' | 'all' | 'unknown';

const LOOPBACK = /^-?(127\.\d+\.\d+\.\d+|::1|localhost)$/i;
const ANY = /^-?(0\.0\.0\.0|::|\*|::\*)$/;

export function bindLookup(cfg: ServerConfig): Lookup {
  return lookup(cfg, 'bind');
}

export function exposure(cfg: ServerConfig): Exposure {
  const port = lookup(cfg, 'port');
  if (port.state === 'set' && port.value.trim() === '0') return 'none'; // Unix socket only
  const bind = bindLookup(cfg);
  if (bind.state === 'unknown') return 'unknown';
  // Dragonfly listens on every interface unless --bind says otherwise.
  if (bind.state === 'default') return cfg.kind === 'redis' ? 'loopback' : 'all';
  const addrs = bind.value.split(/[\s,]+/).filter((a) => a !== '');
  if (addrs.length === 0 || addrs.some((a) => ANY.test(a))) return 'all';
  if (addrs.every((a) => LOOPBACK.test(a))) return 'loopback';
  return 'specific';
}

export function beyondLoopback(e: Exposure): boolean {
  return e === 'all' || e === 'specific';
}

/** true/false when known from the configuration, undefined when it cannot be told. */
export function hasPassword(cfg: ServerConfig): boolean | undefined {
  for (const name of ['requirepass', 'aclfile']) {
    const l = lookup(cfg, name);
    if (l.state === 'set' && l.value.trim() !== '') return true;
  }
  if (cfg.live?.unauthenticated === 'refused') return true;
  if (cfg.live?.unauthenticated === 'allowed') return false;
  return cfg.flagsKnown ? false : undefined;
}

export function tlsOn(cfg: ServerConfig): boolean {
  const name = cfg.kind === 'redis' ? 'tls_port' : 'tls';
  const l = lookup(cfg, name);
  if (l.state !== 'set') return false;
  return cfg.kind === 'redis'
    ? l.value.trim() !== '0' && l.value.trim() !== ''
    : !/^(false|0|no)$/i.test(l.value.trim());
}
