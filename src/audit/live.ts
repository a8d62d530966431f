/**
 * Live probes of a running server through --dragonfly-url: does a client without credentials get
 * NOAUTH; INFO; CONFIG GET of the settings the checks need (where the server allows CONFIG); and which
 * dangerous commands the server still knows. Works with Dragonfly, Redis and Valkey.
 */
import type { Redis as RedisClient } from 'ioredis';
import { UserError } from '../errors.js';
import type { LiveFacts, ServerKind, Setting } from './config.js';
import { DANGEROUS_COMMANDS } from './checks/commands.js';

const REDIS_PARAMS = [
  'bind',
  'port',
  'requirepass',
  'aclfile',
  'maxmemory',
  'maxclients',
  'dir',
  'dbfilename',
  'save',
  'slowlog-log-slower-than',
  'tls-port',
  'tls-replication',
];
const DRAGONFLY_PARAMS = [
  'bind',
  'port',
  'requirepass',
  'aclfile',
  'maxmemory',
  'maxclients',
  'dir',
  'dbfilename',
  'snapshot_cron',
  'slowlog_log_slower_than',
  'tls',
  'tls_replication',
  'cache_mode',
];

export interface LiveResult {
  facts: LiveFacts;
  kind?: ServerKind;
  /** CONFIG GET values, by Dragonfly-style name. */
  settings: Map<string, Setting>;
}

/** The URL with its password replaced, for reports and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function parseUrl(url: string): URL {
  try {
    const u = new URL(url);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('scheme');
    return u;
  } catch {
    throw new UserError(
      `--dragonfly-url must look like redis://[:password@]host:port (or rediss:// for TLS), got "${redactUrl(url)}"`,
      2,
    );
  }
}

async function connect(url: string): Promise<RedisClient> {
  const { Redis } = await import('ioredis'); // only loaded for live probes
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
    // RESP2 and no CLIENT SETINFO: with RESP3 the client opens with HELLO, which a server that requires a
    // password answers with NOAUTH and a closed connection, so the unauthenticated probe could not run.
    protocol: 2,
    disableClientInfo: true,
  });
  client.on('error', () => undefined); // every failure is reported through the probe's result
  await client.connect();
  return client;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export async function probe(url: string): Promise<LiveResult> {
  const u = parseUrl(url);
  const shown = redactUrl(url);
  const facts: LiveFacts = {
    url: shown,
    reachable: false,
    unauthenticated: 'unknown',
    unauthenticatedEvidence: 'not checked',
    info: {},
    configGetAllowed: false,
    commandAvailable: new Map(),
  };
  const settings = new Map<string, Setting>();

  // 1. Without credentials: any command that runs means no authentication at all.
  const bare = new URL(u.toString());
  bare.username = '';
  bare.password = '';
  let anonymous: RedisClient | undefined;
  try {
    anonymous = await connect(bare.toString());
    facts.reachable = true;
    try {
      const n = (await anonymous.call('DBSIZE')) as number;
      facts.unauthenticated = 'allowed';
      facts.unauthenticatedEvidence = `a client without credentials ran DBSIZE (${n} keys)`;
    } catch (err) {
      const m = message(err);
      if (/NOAUTH|auth(entication)? required|NOPERM/i.test(m)) {
        facts.unauthenticated = 'refused';
        facts.unauthenticatedEvidence = `a client without credentials got "${m}"`;
      } else facts.unauthenticatedEvidence = `DBSIZE without credentials failed: ${m}`;
    }
  } catch (err) {
    facts.error = `cannot connect: ${message(err)}`;
    return { facts, settings };
  } finally {
    anonymous?.disconnect();
  }

  // 2. With the URL's credentials: INFO, CONFIG GET, COMMAND INFO.
  let client: RedisClient | undefined;
  let kind: ServerKind | undefined;
  try {
    client = await connect(u.toString());
    facts.info = parseInfo((await client.call('INFO')) as string);
    kind = facts.info.dragonfly_version ? 'dragonfly' : 'redis';
    const source = 'CONFIG GET (live)';
    facts.configGetAllowed = true;
    for (const param of kind === 'redis' ? REDIS_PARAMS : DRAGONFLY_PARAMS) {
      try {
        const reply = (await client.call('CONFIG', 'GET', param)) as string[];
        if (reply.length < 2) continue;
        const value = reply[1] ?? '';
        const name = param.replace(/-/g, '_');
        // Never keep a password: only whether one is set.
        settings.set(name, { value: name === 'requirepass' ? (value === '' ? '' : '(set)') : value, source });
      } catch (err) {
        facts.configGetAllowed = false;
        facts.configGetError = message(err);
        break;
      }
    }
    try {
      const reply = (await client.call('COMMAND', 'INFO', ...DANGEROUS_COMMANDS)) as unknown[];
      DANGEROUS_COMMANDS.forEach((c, i) =>
        facts.commandAvailable.set(c, reply[i] !== null && reply[i] !== undefined),
      );
    } catch {
      // COMMAND INFO itself may be denied; the flags then decide.
    }
  } catch (err) {
    facts.error = `with the URL's credentials: ${message(err)}`;
    facts.reachable = false;
  } finally {
    client?.disconnect();
  }
  return { facts, kind, settings };
}
