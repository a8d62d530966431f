/**
 * A wire-level Vault emulator for tests: an HTTP(S) server on 127.0.0.1 speaking Vault's HTTP API
 * (paths, bodies, `{"errors":[...]}` and status codes as in Vault's API docs) for the Transit engine,
 * sys/health, token lookup-self and renew-self, and Kubernetes and AppRole login. Tokens really expire,
 * namespaces (X-Vault-Namespace or a path prefix) really separate keys, a sealed Vault answers 503, and
 * every request is counted per path so tests can check how many calls a command made.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TransitEngine, TransitError } from './vault-emulator-transit.js';

export interface TokenOptions {
  /** Seconds; 0 = never expires. */
  ttl?: number;
  renewable?: boolean;
  /** Seconds from creation after which no renewal extends the token; 0 = none. */
  maxTtl?: number;
  namespace?: string;
  /**
   * ACL policy of the token, as Vault writes it: path (a trailing `*` matches any rest, `+` one segment)
   * → capabilities ("read" for GET, "update"/"create" for POST and PUT). Paths are relative to the
   * token's namespace. Absent: everything is allowed (like the root policy). Vault's `default` policy
   * (auth/token/lookup-self, renew-self) always applies. A denied request answers 403 permission denied.
   */
  policy?: VaultPolicy;
}

export type VaultPolicy = Record<string, ('read' | 'update' | 'create' | 'list' | 'delete')[]>;

/** Vault's built-in `default` policy, as far as snapshot-guard touches it. */
const DEFAULT_POLICY: VaultPolicy = {
  'auth/token/lookup-self': ['read'],
  'auth/token/renew-self': ['update'],
};

function pathMatches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*');
  const p = (glob ? pattern.slice(0, -1) : pattern).split('/');
  const s = path.split('/');
  for (let i = 0; i < p.length; i++) {
    if (i === p.length - 1 && glob) return (s.slice(i).join('/') ?? '').startsWith(p[i] ?? '');
    if (s[i] === undefined || (p[i] !== '+' && p[i] !== s[i])) return false;
  }
  return glob || s.length === p.length;
}

/** Whether an ACL policy lets `method` reach `path` (Vault: the most specific match decides; here any). */
function policyAllows(policy: VaultPolicy, method: string, path: string): boolean {
  const needed = method === 'GET' ? ['read'] : method === 'LIST' ? ['list'] : ['update', 'create'];
  return Object.entries({ ...DEFAULT_POLICY, ...policy }).some(
    ([pattern, caps]) => pathMatches(pattern, path) && caps.some((c) => needed.includes(c)),
  );
}

interface Token {
  policy?: VaultPolicy;
  namespace: string;
  creationTtl: number;
  renewable: boolean;
  expiresAtMs: number;
  maxExpiresAtMs: number;
}

interface LoginRole extends TokenOptions {
  secret: string;
}

/** An error answer, a dropped connection, or no answer at all (until close()). */
export type Fault = { status: number; errors: string[] } | 'reset' | 'hang';

interface PendingFault {
  remaining: number;
  fault: Fault;
  pathIncludes?: string;
}

export interface RequestRecord {
  method: string;
  /** Path inside Vault, namespace included ("ns1/transit/encrypt/k"), without "/v1/". */
  path: string;
  status: number;
  namespaceHeader: string | undefined;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DENIED = 'permission denied';
const join = (ns: string, rest: string): string => (ns ? `${ns}/${rest}` : rest);

export class VaultEmulator {
  readonly rootToken = `hvs.root${randomBytes(12).toString('hex')}`;
  sealed = false;
  readonly requests: RequestRecord[] = [];
  private readonly tokens = new Map<string, Token>();
  private readonly transit = new Map<string, TransitEngine>();
  private readonly namespaces = new Set<string>(['']);
  private readonly k8sRoles = new Map<string, LoginRole>();
  private readonly appRoles = new Map<string, LoginRole & { secretId: string }>();
  private readonly authMounts = new Map<string, 'kubernetes' | 'approle'>();
  private readonly faults: PendingFault[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly addr: string,
  ) {
    this.tokens.set(this.rootToken, {
      namespace: '',
      creationTtl: 0,
      renewable: false,
      expiresAtMs: Infinity,
      maxExpiresAtMs: Infinity,
    });
    this.enableTransit('transit');
  }

  /** Starts on 127.0.0.1 and an ephemeral port; HTTPS when a key and certificate are given. */
  static async start(opts: { tls?: { key: Buffer; cert: Buffer } } = {}): Promise<VaultEmulator> {
    const server = opts.tls ? createHttpsServer(opts.tls) : createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const emulator = new VaultEmulator(server, `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void emulator.handle(req, res));
    server.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      emulator.sockets.add(s);
      s.on('close', () => emulator.sockets.delete(s));
    });
    return emulator;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addNamespace(ns: string): void {
    this.namespaces.add(ns);
  }

  enableTransit(mount: string, namespace = ''): TransitEngine {
    const engine = new TransitEngine();
    this.transit.set(join(namespace, mount), engine);
    return engine;
  }

  /** The Transit engine at `mount` (in `namespace`), for direct key management in tests. */
  engine(mount = 'transit', namespace = ''): TransitEngine {
    const e = this.transit.get(join(namespace, mount));
    if (!e) throw new Error(`no transit engine at ${join(namespace, mount)}`);
    return e;
  }

  createToken(opts: TokenOptions = {}): string {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    this.issue(token, opts);
    return token;
  }

  /** Makes a token expire now, as if its TTL had run out. */
  expireToken(token: string): void {
    const t = this.tokens.get(token);
    if (t) t.expiresAtMs = Date.now() - 1;
  }

  /** Seconds the token has left (negative once expired), or undefined for an unknown token. */
  tokenTtl(token: string): number | undefined {
    const t = this.tokens.get(token);
    return t ? (t.expiresAtMs - Date.now()) / 1000 : undefined;
  }

  /** Tokens issued so far by logins or createToken (the root token excluded). */
  issuedTokens(): string[] {
    return [...this.tokens.keys()].filter((t) => t !== this.rootToken);
  }

  addKubernetesRole(role: string, jwt: string, opts: TokenOptions & { mount?: string } = {}): void {
    this.authMounts.set(join(opts.namespace ?? '', opts.mount ?? 'kubernetes'), 'kubernetes');
    this.k8sRoles.set(join(opts.namespace ?? '', role), { ...opts, secret: jwt });
  }

  addAppRole(roleId: string, secretId: string, opts: TokenOptions & { mount?: string } = {}): void {
    this.authMounts.set(join(opts.namespace ?? '', opts.mount ?? 'approle'), 'approle');
    this.appRoles.set(join(opts.namespace ?? '', roleId), { ...opts, secret: roleId, secretId });
  }

  /** The next `count` requests (whose path contains `pathIncludes`, if given) fail with `fault`. */
  failNext(count: number, fault: Fault, pathIncludes?: string): void {
    this.faults.push({ remaining: count, fault, ...(pathIncludes ? { pathIncludes } : {}) });
  }

  /** Requests received for `path` ("transit/datakey/plaintext/k", or "ns1/transit/…"). */
  calls(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  responses(status: number): number {
    return this.requests.filter((r) => r.status === status).length;
  }

  private issue(token: string, opts: TokenOptions): void {
    const now = Date.now();
    const ttl = opts.ttl ?? 0;
    this.tokens.set(token, {
      namespace: opts.namespace ?? '',
      creationTtl: ttl,
      renewable: opts.renewable ?? false,
      expiresAtMs: ttl > 0 ? now + ttl * 1000 : Infinity,
      maxExpiresAtMs: opts.maxTtl ? now + opts.maxTtl * 1000 : Infinity,
      ...(opts.policy ? { policy: opts.policy } : {}),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const nsHeader = req.headers['x-vault-namespace'];
    const namespaceHeader = typeof nsHeader === 'string' ? nsHeader.replace(/^\/+|\/+$/g, '') : undefined;
    const rel = url.pathname.replace(/^\/v1\//, '').replace(/\/+$/, '');
    const path = rel === 'sys/health' ? rel : join(namespaceHeader ?? '', rel);
    const record: RequestRecord = { method: req.method ?? '', path, status: 0, namespaceHeader };
    this.requests.push(record);
    const send = (status: number, body: unknown): void => {
      record.status = status;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch {
      send(400, { errors: ['failed to parse JSON input'] });
      return;
    }
    const fault = this.takeFault(path);
    if (fault === 'reset' || fault === 'hang') {
      record.status = -1;
      if (fault === 'reset') req.socket.destroy();
      return;
    }
    if (fault) {
      send(fault.status, { errors: fault.errors });
      return;
    }
    if (rel === 'sys/health') {
      send(this.sealed ? 503 : 200, {
        initialized: true,
        sealed: this.sealed,
        standby: this.sealed,
        version: '1.17.0+emulator',
        server_time_utc: Math.floor(Date.now() / 1000),
      });
      return;
    }
    if (this.sealed) {
      send(503, { errors: ['Vault is sealed'] });
      return;
    }
    try {
      const out = this.route(req.method ?? 'GET', path, body, req.headers['x-vault-token']);
      send(200, {
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: out.data ?? null,
        wrap_info: null,
        warnings: out.warnings ?? null,
        auth: out.auth ?? null,
      });
    } catch (err) {
      if (err instanceof HttpError || err instanceof TransitError)
        send(err.status, { errors: [err.message] });
      else send(500, { errors: [String(err)] });
    }
  }

  private takeFault(path: string): Fault | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (!x.pathIncludes || path.includes(x.pathIncludes)));
    if (!f) return undefined;
    f.remaining--;
    return f.fault;
  }

  /** Splits "ns1/ns2/transit/…" into the longest known namespace and the path inside it. */
  private split(path: string): { ns: string; inner: string } {
    let best = '';
    for (const ns of this.namespaces)
      if (ns && path.startsWith(`${ns}/`) && ns.length > best.length) best = ns;
    return { ns: best, inner: best ? path.slice(best.length + 1) : path };
  }

  private route(
    method: string,
    path: string,
    body: Record<string, unknown>,
    tokenHeader: string | string[] | undefined,
  ): { data?: unknown; auth?: unknown; warnings?: string[] } {
    const { ns, inner } = this.split(path);
    const login = /^auth\/(.+)\/login$/.exec(inner);
    if (login?.[1] && method === 'POST' && this.authMounts.has(join(ns, login[1]))) {
      return { auth: this.login(this.authMounts.get(join(ns, login[1])) ?? 'approle', ns, body) };
    }
    const tokenId = typeof tokenHeader === 'string' ? tokenHeader : '';
    const token = this.tokens.get(tokenId);
    const inNamespace =
      token && (token.namespace === '' || ns === token.namespace || ns.startsWith(`${token.namespace}/`));
    if (!token || !inNamespace || Date.now() >= token.expiresAtMs) throw new HttpError(403, DENIED);
    const relative = token.namespace ? path.slice(token.namespace.length + 1) : path;
    if (token.policy && !policyAllows(token.policy, method, relative))
      throw new HttpError(403, `1 error occurred:\n\t* ${DENIED}\n\n`);

    if (inner === 'auth/token/lookup-self' && method === 'GET') return { data: this.lookup(tokenId, token) };
    if (inner === 'auth/token/renew-self' && (method === 'POST' || method === 'PUT')) {
      return this.renew(tokenId, token, body);
    }
    const m =
      /^(.+?)\/(keys|encrypt|decrypt|rewrap|datakey\/(?:plaintext|wrapped))\/([^/]+)(?:\/(rotate|config))?$/.exec(
        inner,
      );
    const engine = m?.[1] ? this.transit.get(join(ns, m[1])) : undefined;
    if (!m || !engine || !m[3])
      throw new HttpError(404, `no handler for route "${inner}". route entry not found.`);
    return { data: this.transitOp(engine, method, m[2] ?? '', m[3], m[4], body) };
  }

  private transitOp(
    e: TransitEngine,
    method: string,
    op: string,
    name: string,
    sub: string | undefined,
    body: Record<string, unknown>,
  ): unknown {
    const post = method === 'POST' || method === 'PUT';
    if (op === 'keys' && sub === 'rotate' && post) return { latest_version: e.rotate(name) };
    if (op === 'keys' && sub === 'config' && post) {
      e.configure(name, body.min_decryption_version);
      return e.read(name);
    }
    if (op === 'keys' && !sub && method === 'GET') return e.read(name);
    if (op === 'keys' && !sub && post) {
      e.createKey(name, body.derived === true || body.derived === 'true');
      return null;
    }
    if (!post || sub) throw new HttpError(405, 'unsupported operation');
    if (op === 'encrypt')
      return { ciphertext: e.encrypt(name, body.plaintext, body.context), key_version: 0 };
    if (op === 'decrypt') return { plaintext: e.decrypt(name, body.ciphertext, body.context) };
    if (op === 'rewrap') return { ciphertext: e.rewrap(name, body.ciphertext, body.context) };
    const key = e.datakey(name, body.context, body.bits);
    return op === 'datakey/plaintext' ? key : { ciphertext: key.ciphertext };
  }

  private login(kind: 'kubernetes' | 'approle', ns: string, body: Record<string, unknown>): unknown {
    let role: LoginRole | undefined;
    let metadata: Record<string, string>;
    if (kind === 'kubernetes') {
      if (typeof body.role !== 'string' || !body.role) throw new HttpError(400, 'missing role');
      role = this.k8sRoles.get(join(ns, body.role));
      if (!role) throw new HttpError(400, `invalid role name "${body.role}"`);
      if (body.jwt !== role.secret) throw new HttpError(403, DENIED);
      metadata = {
        role: body.role,
        service_account_name: 'snapshot-guard',
        service_account_namespace: 'default',
      };
    } else {
      const r = this.appRoles.get(join(ns, typeof body.role_id === 'string' ? body.role_id : ''));
      if (!r || body.secret_id !== r.secretId) throw new HttpError(400, 'invalid role or secret ID');
      role = r;
      metadata = { role_name: 'snapshot-guard' };
    }
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    this.issue(token, { ...role, namespace: ns });
    return {
      client_token: token,
      accessor: randomBytes(12).toString('base64url'),
      policies: ['default', 'snapshot-guard'],
      token_policies: ['default', 'snapshot-guard'],
      metadata,
      lease_duration: role.ttl ?? 0,
      renewable: role.renewable ?? false,
      token_type: 'service',
      orphan: true,
    };
  }

  private lookup(id: string, t: Token): unknown {
    const finite = Number.isFinite(t.expiresAtMs);
    return {
      id,
      accessor: 'accessor',
      policies: ['default', 'snapshot-guard'],
      ttl: finite ? Math.max(0, Math.floor((t.expiresAtMs - Date.now()) / 1000)) : 0,
      creation_ttl: t.creationTtl,
      renewable: t.renewable,
      expire_time: finite ? new Date(t.expiresAtMs).toISOString() : null,
      explicit_max_ttl: 0,
      namespace_path: t.namespace ? `${t.namespace}/` : '',
      type: 'service',
      num_uses: 0,
    };
  }

  private renew(id: string, t: Token, body: Record<string, unknown>): { auth: unknown; warnings?: string[] } {
    if (!t.renewable) throw new HttpError(400, 'lease is not renewable');
    const now = Date.now();
    const increment =
      typeof body.increment === 'number' && body.increment > 0 ? body.increment : t.creationTtl;
    const wanted = now + increment * 1000;
    t.expiresAtMs = Math.min(wanted, t.maxExpiresAtMs);
    const lease = Math.max(0, Math.floor((t.expiresAtMs - now) / 1000));
    return {
      auth: { client_token: id, policies: ['default'], lease_duration: lease, renewable: true },
      ...(wanted > t.maxExpiresAtMs
        ? {
            warnings: [
              `TTL of "${increment}s" exceeded the effective max_ttl; TTL value is capped accordingly`,
            ],
          }
        : {}),
    };
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('not an object');
  return parsed as Record<string, unknown>;
}
